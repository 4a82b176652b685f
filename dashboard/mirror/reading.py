"""What the pages read: the mirror of the account the request acts for. Never writes, never calls
OpenTrain (the worker keeps the mirror current; `after_write` refreshes it after the dashboard's
own writes)."""

from __future__ import annotations

from django.db.models import Exists, OuterRef
from django.utils import timezone

from dashboard import opentrain, services
from dashboard.mirror.models import Account, Contract
from dashboard.opentrain import OpenTrainError
from dashboard.opentrain.problems import Problem, explain


def account_for_request(request) -> Account | None:
    """The mirror of the request's OpenTrain account (None when the worker never saw it), with
    `attention_due`: whether a contract's attention score is due for a refresh (the list's
    `attention.refresh` skips its own check when none is). Read once per GET (the view, the
    navigation's count and the blocked buttons all ask); a POST reads it afresh each time, as its
    own writes may have changed it."""
    if request.method == "GET" and hasattr(request, "mirror_account"):
        return request.mirror_account
    account = None
    if fingerprint := _fingerprint(request):
        due = Contract.objects.filter(account=OuterRef("pk"), attention_next_at__lt=timezone.now())
        rows = Account.objects.annotate(attention_due=Exists(due))
        account = rows.filter(fingerprint=fingerprint).first()
    if request.method == "GET":
        request.mirror_account = account
    return account


def version(request) -> int:
    """The version of the request's mirror (0 before the worker saw it): what open pages poll."""
    rows = Account.objects.filter(fingerprint=_fingerprint(request))
    return rows.values_list("version", flat=True).first() or 0


def _fingerprint(request) -> str:
    token = services.token_for(request)
    return services.token_fingerprint(token) if token else ""


def contract(account: Account | None, contract_id: str) -> opentrain.Contract | None:
    row = contract_row(account, contract_id)
    return row.as_result() if row is not None else None


def contract_row(account: Account | None, contract_id: str) -> Contract | None:
    """The mirror's row of the contract (its stored columns, for what is worked out from them)."""
    return Contract.objects.for_account(account).filter(contract_id=contract_id).first()


def active_contracts(account: Account | None) -> list[opentrain.Contract]:
    rows = Contract.objects.for_account(account).filter(status="active")
    return rows.order_by("-upstream_created_at", "contract_id").results()


def missing(account: Account | None) -> Problem:
    """Why a contract is not in the mirror: the account was never synced, or OpenTrain has no such
    contract on it (as of the last sync)."""
    if account is None or not account.ever_synced:
        return Problem(
            "not_synced",
            "Not synced yet",
            "The worker fills this in a few seconds: use Sync now, then reload the page.",
        )
    return explain(OpenTrainError("", status=404))
