"""Budget items: depleted and low budgets, with the forecast and the next batch. No HTTP here."""

from __future__ import annotations

import math
from decimal import Decimal

from dashboard.mirror import pace
from dashboard.mirror.models import Contract
from dashboard.opentrain.vocabulary import UNITS, milestone_cost
from dashboard.words import money, volume_words

from .items import Item, url

BUDGET_KINDS = {"depleted": "DEPLETED", "low": "LOW"}


def budget_items(rows: list, now) -> dict[int, Item]:
    """Depleted and low budgets' items (`InboxItem` rows, each with its contract), by row ID, with
    forecasts from one read of their budgets' readings."""
    found = readings([row.contract.pk for row in rows], now)
    return {row.pk: _item(row, now, found.get(row.contract.pk)) for row in rows}


def readings(pks: list[int], now) -> dict[int, Contract]:
    """These contracts' pace readings and the moment their budget entered its state, by ID, in
    one query: a row each, however long their histories (`mirror/pace.py`)."""
    rows = Contract.objects.filter(pk__in=pks).only("pk", "budget_state", "remaining_volume")
    return {row.pk: row for row in pace.with_state_since(pace.with_readings(rows, now))}


def _item(row, now, reading: Contract | None) -> Item:
    contract = row.contract
    depleted = row.kind == "depleted"
    item = Item(
        key=row.key,
        kind=row.kind,
        what="Every funded unit is used: the AI trainer cannot go on"
        if depleted
        else "Most of the funded budget is used",
        contract_id=contract.contract_id,
        contract_title=contract.title,
    )
    if not depleted and contract.remaining_volume is not None:
        item.stake = f"{volume_words(contract.payment_type, contract.remaining_volume)} left"
    if reading is not None:
        item.since = reading.state_since
        if not depleted:
            item.note = _forecast(pace.days_left(reading, now))
    item.action_label, item.action_url, batch = _next_batch(contract, row.volume, row.amount_usd)
    if batch:
        item.stake = " · ".join(filter(None, [item.stake, f"next batch {batch}"]))
    return item


def _forecast(left: Decimal | None) -> str:
    """ "Runs out in about N days at the last 7 days' pace", or "" when there is no pace."""
    if left is None:
        return ""
    if left < 1:
        return "Runs out within a day at the last 7 days' pace."
    n = math.ceil(left)
    return f"Runs out in about {n} day{'s' if n != 1 else ''} at the last 7 days' pace."


def _next_batch(row: Contract, volume, amount) -> tuple[str, str, str]:
    """ "Add next batch": the form pre-filled with the last milestone's volume or amount."""
    query, words = {}, ""
    if row.payment_type in UNITS and volume:
        query = {"volume": format(volume.normalize(), "f")}
        cost = milestone_cost(row.rate_usd, volume)
        words = volume_words(row.payment_type, volume) + (f", {money(cost)}" if cost else "")
    elif row.payment_type == "FIXED_PRICE" and amount:
        query, words = {"amount_usd": format(amount, "f")}, money(amount)
    return "Add next batch", url("milestone_create", row.contract_id, query=query), words
