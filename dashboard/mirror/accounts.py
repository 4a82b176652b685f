"""Which OpenTrain accounts the mirror follows, and the token the worker uses for each.

One account in production (OT_API_TOKEN); on the sandbox, each demo account. Tokens stay in
memory: the database and the task queue only ever see fingerprints.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from dashboard import demo_accounts, services
from dashboard.mirror.models import Account
from dashboard.opentrain import OpenTrainError


@dataclass(frozen=True)
class Known:
    fingerprint: str
    label: str
    token: str


def known() -> list[Known]:
    if not demo_accounts.sandbox_mode():
        token = settings.OT_API_TOKEN
        return [Known(services.token_fingerprint(token), "OpenTrain account", token)]
    try:
        demo = demo_accounts.sandbox_accounts()
    except OpenTrainError:
        return []
    return [Known(services.token_fingerprint(a.token), a.label, a.token) for a in demo]


def by_fingerprint(fingerprint: str) -> Known | None:
    return next((k for k in known() if k.fingerprint == fingerprint), None)


def followed():
    """The mirror's rows of the accounts the dashboard acts for, without HTTP: in production only
    OT_API_TOKEN's (an older token's rows stop counting once it is replaced); in the sandbox, all.
    """
    rows = Account.objects.all()
    if not demo_accounts.sandbox_mode():
        rows = rows.filter(fingerprint=services.token_fingerprint(settings.OT_API_TOKEN))
    return rows
