"""What the pages read: the mirror of the account the request acts for. Never writes, never calls
OpenTrain (the worker keeps the mirror current; `after_write` refreshes it after the dashboard's
own writes)."""

from __future__ import annotations

from functools import cache

from django.db import connection
from django.utils import timezone

from dashboard import opentrain, services
from dashboard.mirror.models import Account, Contract
from dashboard.models import Approval, Snooze
from dashboard.opentrain import OpenTrainError
from dashboard.opentrain.problems import Problem, explain
from dashboard.statements import column


def account_for_request(request) -> Account | None:
    """The mirror of the request's OpenTrain account, as the person reading sees it (`_glance`);
    None when the worker never saw it. Read once per GET (the view, the navigation's count and the
    blocked buttons all ask); a POST reads it afresh each time, as its own writes may have changed
    it."""
    if request.method == "GET" and hasattr(request, "mirror_account"):
        return request.mirror_account
    token = services.token_for(request)
    account = None
    if token:
        person = getattr(request, "user", None)
        account = _glance(services.token_fingerprint(token), getattr(person, "pk", None))
    if request.method == "GET":
        request.mirror_account = account
    return account


def _glance(fingerprint: str, person_id) -> Account | None:
    """The account's row, with what every page asks next, read in the same statement:
    - `attention_due`: whether a contract's attention score is due for a refresh (the list's
      `attention.refresh` skips its own check when none is);
    - `approvals_stamp`: how many approvals the account has and when the last changed;
    - `snoozes_stamp`: how many of the person's snoozes are still asleep and when the latest
      wakes (snoozing sets a new latest; waking lowers the count).
    Each stamp is one string that changes whenever what it sums up does: parts of the navigation
    count's cache key (`inbox.open_count`)."""
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    found = Account.objects.raw(_glance_sql(), [now, person_id, now, person_id, now, fingerprint])
    account = next(iter(found), None)
    if account is not None:
        account.attention_due = bool(account.attention_due)
        account.approvals_stamp = _stamp(account.approvals_count, account.approvals_changed)
        account.snoozes_stamp = _stamp(account.snoozes_count, account.snoozes_until)
    return account


def _stamp(count, latest) -> str:
    # SQLite gives the time as text; no spaces (memcached refuses them in a key).
    return f"{count}:{latest}".replace(" ", "T")


@cache
def _glance_sql() -> str:
    """Written out, with names from the models' metadata: the ORM took 1.3 ms to build this
    statement (before the snoozes), three times what PostgreSQL takes to run it, and the four
    reads it replaces cost a round trip each on every page."""
    account, contract, approval, snooze = (
        Account._meta,
        Contract._meta,
        Approval._meta,
        Snooze._meta,
    )

    fingerprint = column(account, "fingerprint")
    approvals = (
        f"{approval.db_table} p WHERE p.{column(approval, 'token_fingerprint')} = a.{fingerprint}"
    )
    asleep = (
        f"{snooze.db_table} s WHERE s.{column(snooze, 'user')} = %s "
        f"AND s.{column(snooze, 'until')} > %s"
    )
    return (
        f"SELECT a.*, EXISTS(SELECT 1 FROM {contract.db_table} c "  # noqa: S608
        f"WHERE c.{column(contract, 'account')} = a.{account.pk.column} "
        f"AND c.{column(contract, 'attention_next_at')} < %s) AS attention_due, "
        f"(SELECT COUNT(*) FROM {approvals}) AS approvals_count, "
        f"(SELECT MAX(p.{column(approval, 'updated_at')}) FROM {approvals}) AS approvals_changed, "
        f"(SELECT COUNT(*) FROM {asleep}) AS snoozes_count, "
        f"(SELECT MAX(s.{column(snooze, 'until')}) FROM {asleep}) AS snoozes_until "
        f"FROM {account.db_table} a WHERE a.{fingerprint} = %s"
    )


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
