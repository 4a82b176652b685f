"""Next week's milestones, pre-filled from each contract's last one: for the template CSV and for
the contracts a PM ticked. Read from the mirror only; no HTTP here."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from dashboard import opentrain
from dashboard.mirror import reading
from dashboard.mirror.models import Account, Contract

COLUMNS = ["contract_id", "name", "description", "amount_usd", "volume", "due_date"]
DEFAULT_NAME = "Next batch"
MAX_TICKED = 200


def ticked_ids(values: list[str]) -> list[str]:
    """The ticked contract IDs, in order, each once, blanks and overlong values left out."""
    seen = []
    for value in values[:MAX_TICKED]:
        value = value.strip()
        if value and len(value) <= 200 and value not in seen:
            seen.append(value)
    return seen


def rows_for(account: Account | None, contract_ids: list[str]) -> list[dict]:
    """One typed row per ticked contract, in the order ticked; one mirror query for them all.

    A contract the mirror does not know keeps its ID alone, so the preview refuses it in words.
    """
    found = contracts_by_id(account, contract_ids)
    return [
        next_milestone(found[cid], renamed=True) if cid in found else {"contract_id": cid}
        for cid in contract_ids
    ]


def contracts_by_id(account: Account | None, ids) -> dict[str, opentrain.Contract]:
    """The mirror's contracts with these IDs, in one query (a batch never reads one a row)."""
    rows = Contract.objects.for_account(account).filter(contract_id__in=set(ids))
    return {row.contract_id: row.as_result() for row in rows}


def template_rows(account: Account | None, contract_ids: list[str] | None = None) -> list[dict]:
    """The template CSV's rows: the ticked contracts the mirror knows (never an ID as the query
    gave it), or else every active one, pre-filled."""
    if contract_ids:
        found = contracts_by_id(account, contract_ids)
        contracts = [found[cid] for cid in contract_ids if cid in found]
    else:
        contracts = reading.active_contracts(account)
    return [{c: row.get(c, "") for c in COLUMNS} for row in map(next_milestone, contracts)]


def next_milestone(
    contract: opentrain.Contract, today: date | None = None, *, renamed: bool = False
) -> dict:
    """The contract's last milestone again, due a week after it (a week from today without one);
    `renamed`, under the next name (a batch of ticked contracts: "Batch 2" after "Batch 1"), else
    under its own (the template CSV keeps the last milestone's values, as its page says)."""
    today = today or timezone.localdate()
    row = {"contract_id": contract.id, "name": DEFAULT_NAME, "due_date": _a_week_on("", today)}
    last = contract.latest_milestone
    if last is None:
        return row
    row["name"] = (next_name(last.name) if renamed else last.name) if last.name else DEFAULT_NAME
    row["description"] = last.description
    if contract.payment_type == "FIXED_PRICE":
        row["amount_usd"] = _plain(last.amount_usd)
    else:
        row["volume"] = _plain(last.volume)
    row["due_date"] = _a_week_on(last.due_date or "", today)
    return row


def next_name(name: str) -> str:
    """The name after `name`, counted on from its end: "Batch 1" to "Batch 2", "Week 09" to
    "Week 10", "Weeks 3-4" to "Weeks 5-6", "Batch B" to "Batch C"; " 2" added to any other
    ("Labeling" to "Labeling 2"), so it is never a copy of the last one."""
    name = name.rstrip()
    span = re.fullmatch(r"(.*?)(\d+)(\s*[-\u2013]\s*)(\d+)", name)
    if span and int(span[4]) >= int(span[2]):
        before, first, dash, last = span.groups()
        start = int(last) + 1
        return f"{before}{start}{dash}{start + int(last) - int(first)}"
    number = re.fullmatch(r"(.*?)(\d+)", name)
    if number:
        before, digits = number.groups()
        return f"{before}{int(digits) + 1:0{len(digits)}d}"
    letter = re.fullmatch(r"(.*\s)([A-Y])", name)
    if letter:
        return f"{letter[1]}{chr(ord(letter[2]) + 1)}"
    return f"{name} 2"


def _plain(value: Decimal | None) -> str:
    return "" if value is None else format(value.normalize(), "f")


def _a_week_on(due: str, today: date) -> str:
    """A week after the last due date; a week from today when that would be past or is missing."""
    try:
        following = date.fromisoformat(due[:10]) + timedelta(days=7)
    except ValueError:
        following = today
    if following < today + timedelta(days=1):
        following = today + timedelta(days=7)
    return following.isoformat()
