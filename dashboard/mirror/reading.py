"""What the pages read: the mirror of the account the request acts for. Never writes, never calls
OpenTrain (the worker keeps the mirror current; `after_write` refreshes it after the dashboard's
own writes)."""

from __future__ import annotations

from dashboard import opentrain, services
from dashboard.mirror.models import Account, Contract
from dashboard.opentrain import OpenTrainError
from dashboard.opentrain.problems import Problem, explain


def account_for_request(request) -> Account | None:
    """The mirror of the request's OpenTrain account; None when the worker never saw it. Read
    once per GET (the view, the navigation's count and the blocked buttons all ask); a POST reads
    it afresh each time, as its own writes may have changed it."""
    if request.method == "GET" and hasattr(request, "mirror_account"):
        return request.mirror_account
    token = services.token_for(request)
    account = None
    if token:
        account = Account.objects.filter(fingerprint=services.token_fingerprint(token)).first()
    if request.method == "GET":
        request.mirror_account = account
    return account


def contract(account: Account | None, contract_id: str) -> opentrain.Contract | None:
    row = Contract.objects.for_account(account).filter(contract_id=contract_id).first()
    return row.as_result() if row is not None else None


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
