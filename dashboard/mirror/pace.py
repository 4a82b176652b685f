"""A budget's last 7 days' pace and the moment it entered its state, read from its history.

The inbox's budget items, the urgent notifications, the spend page's "Runs out first" and the
contract's chart all reckon the pace this one way: the volume used between the last reading at
or before the window's start (else the first reading in it) and the latest, over the days
between. The readings come as annotations, so a contract with a year of history costs one row,
not a model of each of its snapshots (the inbox at 50,000 contracts made 676 of them a view).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.db.models import DateTimeField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from .models import BudgetSnapshot

WINDOW = timedelta(days=7)
_NEVER = datetime(1970, 1, 1, tzinfo=UTC)


def with_readings(contracts: QuerySet, now: datetime) -> QuerySet:
    """The contracts with `base_at` and `base_consumed` (the pace's first reading) and
    `last_consumed` (the latest), each read through the history's (contract, observed_at)
    index."""
    start = now - WINDOW
    known = BudgetSnapshot.objects.filter(contract=OuterRef("pk"), consumed_volume__isnull=False)
    before = known.filter(observed_at__lte=start).order_by("-observed_at", "-id")
    after = known.filter(observed_at__gt=start).order_by("observed_at", "id")
    latest = known.order_by("-observed_at", "-id")
    return contracts.annotate(
        base_at=Coalesce(
            Subquery(before.values("observed_at")[:1]), Subquery(after.values("observed_at")[:1])
        ),
        base_consumed=Coalesce(
            Subquery(before.values("consumed_volume")[:1]),
            Subquery(after.values("consumed_volume")[:1]),
        ),
        last_consumed=Subquery(latest.values("consumed_volume")[:1]),
    )


def with_state_since(contracts: QuerySet) -> QuerySet:
    """The contracts with `state_since`: the first reading of their budget's present state after
    the last reading of another (None without a reading in that state)."""
    other = (
        BudgetSnapshot.objects.filter(contract=OuterRef(OuterRef("pk")))
        .exclude(state=OuterRef(OuterRef("budget_state")))
        .order_by("-observed_at", "-id")
        .values("observed_at")[:1]
    )
    after = Coalesce(Subquery(other), Value(_NEVER, output_field=DateTimeField()))
    same = BudgetSnapshot.objects.filter(
        contract=OuterRef("pk"), state=OuterRef("budget_state"), observed_at__gte=after
    )
    return contracts.annotate(
        state_since=Subquery(same.order_by("observed_at", "id").values("observed_at")[:1])
    )


def per_day(base_at, base_consumed, last_consumed, now: datetime) -> Decimal | None:
    """Volume used a day between the two readings, counted from the window's start at the
    earliest (None: nothing used, or no readings)."""
    if base_at is None or base_consumed is None or last_consumed is None:
        return None
    used = last_consumed - base_consumed
    days = Decimal((now - max(now - WINDOW, base_at)).total_seconds()) / 86400
    if used <= 0 or days <= 0:
        return None
    return used / days


def of_history(readings: list[tuple[datetime, Decimal]], now: datetime) -> Decimal | None:
    """The pace, by the same rule, of (observed at, consumed volume) readings already in memory,
    oldest first (a chart's whole history)."""
    if not readings:
        return None
    start = now - WINDOW
    base = next((r for r in reversed(readings) if r[0] <= start), readings[0])
    return per_day(*base, readings[-1][1], now)


def pace(row, now: datetime) -> Decimal | None:
    """The pace of a contract read `with_readings`."""
    return per_day(row.base_at, row.base_consumed, row.last_consumed, now)


def days_left(row, now: datetime) -> Decimal | None:
    """How many days a contract's remaining volume lasts at its pace (None: no pace)."""
    speed = pace(row, now)
    if speed is None or row.remaining_volume is None:
        return None
    return row.remaining_volume / speed
