"""The dashboard's side of OpenTrain: which token a request uses, and how tokens are named.

No HTTP here: everything upstream goes through `dashboard.opentrain`.
"""

from __future__ import annotations

import hashlib
from urllib.parse import urlsplit

from django.conf import settings

from dashboard import demo_accounts


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
    if not demo_accounts.sandbox_mode():
        return settings.OT_API_TOKEN
    return demo_accounts.token_for(request)


def token_fingerprint(token: str, *parts: str) -> str:
    """A stable name for the API base and token together (and any `parts`, such as a contract ID,
    for a cache key); the token cannot be read back from it. The one place tokens are hashed."""
    raw = "|".join((settings.OT_API_BASE_URL, token, *parts))
    return hashlib.sha256(raw.encode()).hexdigest()[:24]
