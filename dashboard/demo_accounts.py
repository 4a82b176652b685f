"""The dashboard's side of the sandbox's demo accounts: which exist, which one a PM acts as.

Only in sandbox mode (no OT_API_TOKEN): the accounts are read over HTTP from the sandbox, as any
other upstream call, and the PM's pick is kept in the session. The real API has no such thing, so
nothing here is part of the API client.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.http import Http404, HttpResponseRedirect
from django.views.decorators.http import require_POST

from dashboard import links
from dashboard.opentrain import OpenTrainError, transport

SANDBOX_ACCOUNT_KEY = "sandbox_account"
_CACHE_KEY = "sandbox-accounts"


@dataclass
class SandboxAccount:
    key: str
    label: str
    description: str
    token: str = field(repr=False)


def sandbox_mode() -> bool:
    return bool(settings.OT_SANDBOX and not settings.OT_API_TOKEN)


def _fetch() -> list[SandboxAccount]:
    # The sandbox's `_sandbox/accounts` endpoint answers without a token.
    accounts = transport.request("GET", "/_sandbox/accounts", "").body.get("accounts")
    return [
        SandboxAccount(
            key=str(a.get("key") or ""),
            label=str(a.get("label") or ""),
            description=str(a.get("description") or ""),
            token=str(a.get("token") or ""),
        )
        for a in (accounts if isinstance(accounts, list) else [])
        if isinstance(a, dict)
    ]


def sandbox_accounts() -> list[SandboxAccount]:
    """The sandbox's demo accounts, cached briefly (they only change when it is re-seeded)."""
    accounts = cache.get(_CACHE_KEY)
    if accounts is None:
        accounts = _fetch()
        cache.set(_CACHE_KEY, accounts, 300)
    return accounts


def _accounts_if_reachable() -> list[SandboxAccount]:
    try:
        return sandbox_accounts()
    except OpenTrainError:
        return []


def token_for(request) -> str:
    """The token of the demo account the PM picked (the first account until they pick one)."""
    cached = getattr(request, "_ot_token", None)
    if cached is not None:
        return cached
    chosen = request.session.get(SANDBOX_ACCOUNT_KEY, "")
    token = ""
    for account in _accounts_if_reachable():
        if account.key == chosen or (not chosen and not token):
            token = account.token
    request._ot_token = token
    return token


def banner(request) -> dict:
    """The banner's demo-account switcher: every account, and the one acted as."""
    sandbox = sandbox_mode()
    accounts = _accounts_if_reachable() if sandbox else []
    current = request.session.get(SANDBOX_ACCOUNT_KEY) or (accounts[0].key if accounts else "")
    return {
        "ot_sandbox": sandbox,
        "ot_sandbox_accounts": accounts,
        "ot_sandbox_account": current,
    }


@require_POST
def switch_sandbox_account(request):
    """On the sandbox, pick which demo account the dashboard acts as."""
    if not sandbox_mode():
        raise Http404("Only the sandbox has demo accounts.")
    key = request.POST.get("account", "")
    accounts = {a.key: a for a in _accounts_if_reachable()}
    if key in accounts:
        request.session[SANDBOX_ACCOUNT_KEY] = key
        messages.success(request, f"Now acting as the sandbox account “{accounts[key].label}”.")
    else:
        messages.error(request, "There is no such sandbox account.")
    return HttpResponseRedirect(links.back_to(request))
