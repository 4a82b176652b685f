"""Budget items: depleted and low budgets, with the forecast and the next batch. No HTTP here."""

from __future__ import annotations

import math
from datetime import datetime
from decimal import Decimal

from dashboard.forms import milestone_cost
from dashboard.mirror.models import Contract
from dashboard.opentrain.vocabulary import UNITS
from dashboard.templatetags.dashboard import money

from .items import PACE_WINDOW, Item, url, volume_words


def budget_items(contracts, now, forecasts: bool) -> list[Item]:
    items = []
    for row in contracts.filter(budget_state__in=("DEPLETED", "LOW")).order_by("title"):
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
        if forecasts:
            item.since = _state_since(row)
            if not depleted:
                item.note = _forecast(row, now)
        item.action_label, item.action_url, batch = _next_batch(row)
        if batch:
            item.stake = " · ".join(filter(None, [item.stake, f"next batch {batch}"]))
        items.append(item)
    return items


def _state_since(row: Contract) -> datetime | None:
    """When the budget entered its current state, from the budget history."""
    history = row.budget_history.all()
    before = history.exclude(state=row.budget_state).order_by("-observed_at", "-id").first()
    run = history.filter(state=row.budget_state)
    if before is not None:
        run = run.filter(observed_at__gte=before.observed_at)
    first = run.order_by("observed_at", "id").first()
    return first.observed_at if first else None


def _forecast(row: Contract, now) -> str:
    """ "Runs out in about N days at the last 7 days' pace", or "" when there is no pace."""
    history = row.budget_history.exclude(consumed_volume=None)
    latest = history.order_by("-observed_at", "-id").first()
    start = now - PACE_WINDOW
    baseline = history.filter(observed_at__lte=start).order_by("-observed_at", "-id").first()
    if baseline is None:
        baseline = history.order_by("observed_at", "id").first()
    if latest is None or baseline is None or row.remaining_volume is None:
        return ""
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
    last = row.milestone_rows.exclude(status__in=("CANCELLED", "REFUNDED")).order_by("-number")
    last = last.first()
    query, words = {}, ""
    if last is not None and row.payment_type in UNITS and last.volume:
        query = {"volume": format(last.volume.normalize(), "f")}
        cost = milestone_cost(row.rate_usd, last.volume)
        words = volume_words(row.payment_type, last.volume) + (f", {money(cost)}" if cost else "")
    elif last is not None and row.payment_type == "FIXED_PRICE" and last.amount_usd:
        query, words = {"amount_usd": format(last.amount_usd, "f")}, money(last.amount_usd)
    return "Add next batch", url("milestone_create", row.contract_id, query=query), words
