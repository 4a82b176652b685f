"""Budget items: depleted and low budgets, with the forecast and the next batch. No HTTP here."""

from __future__ import annotations

import math
from datetime import datetime
from decimal import Decimal

from django.db.models import OuterRef, Subquery

from dashboard.forms import milestone_cost
from dashboard.mirror.models import BudgetSnapshot, Contract, Milestone
from dashboard.opentrain.vocabulary import UNITS
from dashboard.templatetags.dashboard import money

from .items import PACE_WINDOW, Found, Item, first_rows, snoozed, url, volume_words

BUDGET_KINDS = {"depleted": "DEPLETED", "low": "LOW"}


def budget_items(contracts, now, hidden: set[str], cap) -> dict[str, Found]:
    """Depleted and low budgets: counted in SQL, and the first `cap(kind)` (None: all; 0: only
    the count) made into items, with forecasts from one read of their budget history."""
    found = {}
    for kind, state in BUDGET_KINDS.items():
        rows = contracts.filter(budget_state=state).exclude(contract_id__in=snoozed(hidden, kind))
        total, shown = first_rows(_with_last_milestone(rows).order_by("title"), cap(kind))
        histories = _histories(shown)
        found[kind] = Found(total, [_item(row, now, histories.get(row.pk, [])) for row in shown])
    return found


def _item(row: Contract, now, history: list[BudgetSnapshot]) -> Item:
    depleted = row.budget_state == "DEPLETED"
    item = Item(
        key=f"{'depleted' if depleted else 'low'}:{row.contract_id}",
        kind="depleted" if depleted else "low",
        what="Every funded unit is used: the AI trainer cannot go on"
        if depleted
        else "Most of the funded budget is used",
        contract_id=row.contract_id,
        contract_title=row.title,
    )
    if not depleted and row.remaining_volume is not None:
        item.stake = f"{volume_words(row.payment_type, row.remaining_volume)} left"
    item.since = _state_since(row, history)
    if not depleted:
        item.note = _forecast(row, now, history)
    item.action_label, item.action_url, batch = _next_batch(row)
    if batch:
        item.stake = " · ".join(filter(None, [item.stake, f"next batch {batch}"]))
    return item


def _with_last_milestone(rows):
    """Each contract with its last milestone's volume and amount (for "Add next batch")."""
    last = (
        Milestone.objects.filter(contract=OuterRef("pk"))
        .exclude(status__in=("CANCELLED", "REFUNDED"))
        .order_by("-number")
    )
    return rows.annotate(
        last_volume=Subquery(last.values("volume")[:1]),
        last_amount=Subquery(last.values("amount_usd")[:1]),
    )


def _histories(rows: list[Contract]) -> dict[int, list[BudgetSnapshot]]:
    """The budget history of these contracts, oldest first, in one query."""
    histories: dict[int, list[BudgetSnapshot]] = {}
    snapshots = BudgetSnapshot.objects.filter(contract__in=[row.pk for row in rows])
    for snapshot in snapshots.order_by("contract", "observed_at", "id"):
        histories.setdefault(snapshot.contract_id, []).append(snapshot)
    return histories


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
    history = [s for s in history if s.consumed_volume is not None]
    if not history or row.remaining_volume is None:
        return ""
    latest = history[-1]
    start = now - PACE_WINDOW
    baseline = next((s for s in reversed(history) if s.observed_at <= start), history[0])
    used = latest.consumed_volume - baseline.consumed_volume
    days = Decimal((now - max(start, baseline.observed_at)).total_seconds()) / 86400
    if used <= 0 or days <= 0:
        return ""
    left = row.remaining_volume / (used / days)
    if left < 1:
        return "Runs out within a day at the last 7 days' pace."
    n = math.ceil(left)
    return f"Runs out in about {n} day{'s' if n != 1 else ''} at the last 7 days' pace."


def _next_batch(row: Contract) -> tuple[str, str, str]:
    """ "Add next batch": the form pre-filled with the last milestone's volume or amount."""
    volume, amount = row.last_volume, row.last_amount
    query, words = {}, ""
    if row.payment_type in UNITS and volume:
        query = {"volume": format(volume.normalize(), "f")}
        cost = milestone_cost(row.rate_usd, volume)
        words = volume_words(row.payment_type, volume) + (f", {money(cost)}" if cost else "")
    elif row.payment_type == "FIXED_PRICE" and amount:
        query, words = {"amount_usd": format(amount, "f")}, money(amount)
    return "Add next batch", url("milestone_create", row.contract_id, query=query), words
