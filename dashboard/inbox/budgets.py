"""Budget items: depleted and low budgets, with the forecast and the next batch. No HTTP here."""

from __future__ import annotations

import math
from datetime import datetime
from decimal import Decimal

from dashboard.mirror.models import BudgetSnapshot, Contract
from dashboard.opentrain.vocabulary import UNITS, milestone_cost
from dashboard.words import money, volume_words

from .items import PACE_WINDOW, Item, url

BUDGET_KINDS = {"depleted": "DEPLETED", "low": "LOW"}


def budget_items(rows: list, now) -> dict[int, Item]:
    """Depleted and low budgets' items (`InboxItem` rows, each with its contract), by row ID, with
    forecasts from one read of their budget history."""
    found = histories([row.contract for row in rows])
    return {row.pk: _item(row, now, found.get(row.contract.pk, [])) for row in rows}


def _item(row, now, history: list[BudgetSnapshot]) -> Item:
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
    item.since = _state_since(contract, history)
    if not depleted:
        item.note = _forecast(contract, now, history)
    item.action_label, item.action_url, batch = _next_batch(contract, row.volume, row.amount_usd)
    if batch:
        item.stake = " · ".join(filter(None, [item.stake, f"next batch {batch}"]))
    return item


def histories(rows: list[Contract]) -> dict[int, list[BudgetSnapshot]]:
    """The budget history of these contracts, oldest first, in one query."""
    found: dict[int, list[BudgetSnapshot]] = {}
    snapshots = BudgetSnapshot.objects.filter(contract__in=[row.pk for row in rows])
    for snapshot in snapshots.order_by("contract", "observed_at", "id"):
        found.setdefault(snapshot.contract_id, []).append(snapshot)
    return found


def _state_since(row: Contract, history: list[BudgetSnapshot]) -> datetime | None:
    """When the budget entered its current state, from the budget history."""
    before = next((s for s in reversed(history) if s.state != row.budget_state), None)
    run = [
        s
        for s in history
        if s.state == row.budget_state and (before is None or s.observed_at >= before.observed_at)
    ]
    return run[0].observed_at if run else None


def _forecast(row: Contract, now, history: list[BudgetSnapshot]) -> str:
    """ "Runs out in about N days at the last 7 days' pace", or "" when there is no pace."""
    left = days_left(row, now, history)
    if left is None:
        return ""
    if left < 1:
        return "Runs out within a day at the last 7 days' pace."
    n = math.ceil(left)
    return f"Runs out in about {n} day{'s' if n != 1 else ''} at the last 7 days' pace."


def days_left(row: Contract, now, history: list[BudgetSnapshot]) -> Decimal | None:
    """How many days the remaining volume lasts at the last 7 days' pace (None: no pace)."""
    history = [s for s in history if s.consumed_volume is not None]
    if not history or row.remaining_volume is None:
        return None
    latest = history[-1]
    start = now - PACE_WINDOW
    baseline = next((s for s in reversed(history) if s.observed_at <= start), history[0])
    used = latest.consumed_volume - baseline.consumed_volume
    days = Decimal((now - max(start, baseline.observed_at)).total_seconds()) / 86400
    if used <= 0 or days <= 0:
        return None
    return row.remaining_volume / (used / days)


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
