"""Exports of the mirror and the submission ledger, as CSV or JSON, streamed row by row.

Amounts are exact decimals (JSON: strings, so no reader turns them into floats); dates and times
are ISO 8601. In CSV, text that a spreadsheet would run as a formula is written as text (OWASP's
CSV-injection advice); numbers, dates and JSON are written as they are. No HTTP here: exports
read the mirror, like every page.
"""

from __future__ import annotations

import csv
import heapq
import json
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal

from dashboard import filters
from dashboard.mirror.models import Account, Contract, Milestone
from dashboard.models import HandoffAttempt, Submission

CHUNK = 500

CONTRACT_COLUMNS = [
    "contract_id",
    "title",
    "status",
    "payment_type",
    "rate_usd",
    "estimated_total_usd",
    "freelancer",
    "country",
    "budget_state",
    "created_at",
]
MILESTONE_COLUMNS = [
    "contract_id",
    "contract_title",
    "milestone_id",
    "number",
    "name",
    "status",
    "amount_usd",
    "volume",
    "due_date",
    "created_at",
]
ACTIVITY_COLUMNS = [
    "key", "created_at", "user", "action", "contract_id", "contract_title", "payment_type",
    "state", "milestone_id", "amount_usd", "volume", "due_date", "approval_id", "retry_of",
    "error_code", "error_message", "request_id",
]  # fmt: skip


class Echo:
    """A file-like object whose `write` returns the line, for `csv.writer` inside a generator."""

    def write(self, value: str) -> str:
        return value


def value(v) -> str | int | None:
    """One cell: decimals exact, dates ISO 8601, everything else as text."""
    if v is None or isinstance(v, int | str):
        return v
    if isinstance(v, Decimal):
        return format(v, "f")
    if isinstance(v, datetime | date):
        return v.isoformat()
    return str(v)


# A spreadsheet reads a cell that starts with one of these as a formula; a quote in front makes it
# text. Only text cells get it: a negative number stays a number.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(v) -> str | int | None:
    """One CSV cell: `value`, with text that starts like a formula written as text."""
    if isinstance(v, str) and v.startswith(FORMULA_STARTS):
        return "'" + v
    return value(v)


def as_typed(text: str) -> str:
    """A cell read back from a CSV the dashboard wrote: without the quote `csv_cell` put in."""
    if text[:1] == "'" and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text


def contracts(account: Account | None, chosen: dict) -> Iterator[dict]:
    # In the list's order (its sort is one of the filters).
    rows = filters.apply(Contract.objects.for_account(account), **chosen).defer("data")
    for c in rows.iterator(chunk_size=CHUNK):
        yield {
            "contract_id": c.contract_id,
            "title": c.title,
            "status": c.status,
            "payment_type": c.payment_type,
            "rate_usd": c.rate_usd,
            "estimated_total_usd": c.estimated_total_usd,
            "freelancer": c.freelancer_name,
            "country": c.freelancer_country,
            "budget_state": c.budget_state,
            "created_at": c.upstream_created_at,
        }


def milestones(account: Account | None) -> Iterator[dict]:
    rows = Milestone.objects.filter(contract__account=account).select_related("contract")
    rows = rows.order_by("contract__contract_id", "number", "upstream_created_at")
    for m in rows.iterator(chunk_size=CHUNK):
        yield {
            "contract_id": m.contract.contract_id,
            "contract_title": m.contract.title,
            "milestone_id": m.milestone_id,
            "number": m.number,
            "name": m.name,
            "status": m.status,
            "amount_usd": m.amount_usd,
            "volume": m.volume,
            "due_date": m.due_date,
            "created_at": m.upstream_created_at,
        }


def activity() -> Iterator[dict]:
    """Every action sent from the dashboard, newest first: milestones and handoff requests."""
    newest_first = {"key": lambda row: row["created_at"], "reverse": True}
    yield from heapq.merge(_milestone_activity(), _handoff_activity(), **newest_first)


def _milestone_activity() -> Iterator[dict]:
    rows = Submission.objects.select_related("user", "retry_of").order_by("-created_at", "-id")
    for s in rows.iterator(chunk_size=CHUNK):
        s = s.as_shown()
        payload = s.payload or {}
        yield {
            "key": str(s.key),
            "created_at": s.created_at,
            "user": s.user.get_username() if s.user else "",
            "action": "create_milestone",
            "contract_id": s.contract_id,
            "contract_title": s.contract_title,
            "payment_type": s.payment_type,
            "state": s.state,
            "milestone_id": s.milestone_id,
            # The payload holds JSON numbers; their text is the exact amount that was sent.
            "amount_usd": _exact(payload.get("amountUsd"), cents=True),
            "volume": _exact(payload.get("volume")),
            "due_date": payload.get("dueDate"),
            "approval_id": "",
            "retry_of": str(s.retry_of.key) if s.retry_of else "",
            "error_code": s.error_code,
            "error_message": s.error_message,
            "request_id": s.request_id,
        }


def _handoff_activity() -> Iterator[dict]:
    rows = HandoffAttempt.objects.select_related("user").order_by("-created_at", "-id")
    for h in rows.iterator(chunk_size=CHUNK):
        yield {
            "key": f"handoff-{h.pk}",
            "created_at": h.created_at,
            "user": h.user.get_username() if h.user else "",
            "action": h.action,
            "contract_id": h.contract_id,
            "contract_title": h.contract_title,
            "payment_type": "",
            "state": h.state,
            "milestone_id": h.milestone_id,
            "amount_usd": None,
            "volume": None,
            "due_date": None,
            "approval_id": h.approval_id,
            "retry_of": f"handoff-{h.retry_of_id}" if h.retry_of_id else "",
            "error_code": h.error_code,
            "error_message": h.error_message,
            "request_id": h.request_id,
        }


def _exact(number, *, cents: bool = False) -> Decimal | None:
    if number is None:
        return None
    exact = Decimal(str(number))
    return exact.quantize(Decimal("0.01")) if cents else exact


def as_csv(columns: list[str], rows: Iterable[dict]) -> Iterator[str]:
    writer = csv.writer(Echo())
    yield writer.writerow(columns)
    for row in rows:
        yield writer.writerow([csv_cell(row[c]) for c in columns])


def as_json(rows: Iterable[dict]) -> Iterator[str]:
    """A JSON array, one object a chunk, so a large export never sits whole in memory."""
    yield "["
    for n, row in enumerate(rows):
        yield ("," if n else "") + "\n" + json.dumps({k: value(v) for k, v in row.items()})
    yield "\n]\n"
