"""The dashboard's side of OpenTrain: which token a request uses, and the cached contract list.

No HTTP here: everything upstream goes through `dashboard.opentrain`.
"""

from __future__ import annotations

import hashlib
import threading
import uuid
from collections import OrderedDict
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache

from dashboard import demo_accounts, opentrain
from dashboard.demo_accounts import sandbox_mode


def api_host() -> str:
    return urlsplit(settings.OT_API_BASE_URL).netloc


def mask_token(token: str) -> str:
    """`ot_pat_8f2a…91cd`: enough to tell tokens apart, never enough to use one."""
    if not token:
        return "(no token)"
    prefix = ""
    for known in ("ot_pat_", "ot_ptk_", "ot_clm_", "ot_cat_"):
        if token.startswith(known):
            prefix, token = known, token[len(known) :]
            break
    if len(token) < 12:
        return prefix + "…"
    return f"{prefix}{token[:4]}…{token[-4:]}"


def token_for(request) -> str:
    """The OpenTrain token this request acts with.

    With OT_API_TOKEN set, always that one. On the sandbox, the demo account the PM picked.
    """
    if not sandbox_mode():
        return settings.OT_API_TOKEN
    return demo_accounts.token_for(request)


def token_fingerprint(token: str, *parts: str) -> str:
    """A stable name for the API base and token together (and any `parts`, such as a contract ID,
    for a cache key); the token cannot be read back from it. The one place tokens are hashed."""
    raw = "|".join((settings.OT_API_BASE_URL, token, *parts))
    return hashlib.sha256(raw.encode()).hexdigest()[:24]


def _list_key(token: str) -> str:
    return f"contracts:{token_fingerprint(token)}"


# The list lives in the shared cache as two entries: a small version stamp under the key, and
# (version, the list's JSON) under key + ":data". Each process also keeps the contracts it last
# read, by version, so a repeat view costs one small cache read instead of unpickling every contract
# again; a write on any server deletes the stamp, which every server's next read sees.
_LOCAL_SIZE = 4
_local: OrderedDict[str, tuple[str, list[opentrain.Contract]]] = OrderedDict()
_local_lock = threading.Lock()


def _remember(key: str, version: str, contracts: list[opentrain.Contract]) -> None:
    with _local_lock:
        _local[key] = (version, contracts)
        _local.move_to_end(key)
        while len(_local) > _LOCAL_SIZE:
            _local.popitem(last=False)


def _cached_list(key: str) -> list[opentrain.Contract] | None:
    version = cache.get(key)
    if version is None:
        return None
    with _local_lock:
        local = _local.get(key)
    if local is not None and local[0] == version:
        return local[1]
    stored = cache.get(key + ":data")
    if not isinstance(stored, tuple) or stored[0] != version:
        return None
    contracts = opentrain.parse_contracts(stored[1])
    _remember(key, version, contracts)
    return contracts


def contracts(token: str, *, refresh: bool = False) -> tuple[list[opentrain.Contract], bool]:
    """All contracts of the token's account, from the cache when fresh.

    Returns the contracts and whether they came from OpenTrain just now. Filters are applied
    locally, so every filter and page shares this one cached read. The list is shared between
    threads and requests: treat it as read-only.
    """
    key = _list_key(token)
    if not refresh:
        cached = _cached_list(key)
        if cached is not None:
            return cached, False
    result, raw = opentrain.list_contracts_raw(token)
    version = uuid.uuid4().hex
    # The JSON as received is far cheaper to store than the parsed objects (a bytes copy, not
    # pickling thousands of dataclasses); other servers parse it once per version.
    cache.set_many({key: version, key + ":data": (version, raw)}, settings.OT_LIST_CACHE_SECONDS)
    _remember(key, version, result)
    return result, True


def cached_contract(token: str, contract_id: str) -> opentrain.Contract | None:
    """A contract from the cached list, or None when the list is not cached or lacks it."""
    cached = _cached_list(_list_key(token))
    if cached is None:
        return None
    return next((c for c in cached if c.id == contract_id), None)


def forget_contracts(token: str) -> None:
    """Drop the cached list after the dashboard's own writes (on every server: see above)."""
    key = _list_key(token)
    cache.delete_many([key, key + ":data"])
    with _local_lock:
        _local.pop(key, None)
