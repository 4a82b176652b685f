"""Money at write time (issue 28): each contract's totals in the vocabulary's four words, when its
milestones' money moved, and the account's months and days that the spend page sums.

`store` calls this as it writes a contract, so no page ever sums every milestone. The API sends
no moment for a funding or a payment: a milestone's `funded_at` and `paid_at` are when a sync
first saw it so, or, for money that moved before the dashboard first read the contract, the
milestone's creation (the spend page says so).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal

from django.db.models import F, Q
from django.utils import timezone

from dashboard import opentrain
from dashboard.mirror.models import Milestone, SpendDay, SpendMonth
from dashboard.opentrain.vocabulary import (
    CANCELLED_STATUSES,
    FUNDED_STATUSES,
    PAID,
    UNITS,
    is_used_fixed_price,
    milestone_cost,
)

ZERO = Decimal("0.00")


def columns(contract: opentrain.Contract) -> dict:
    """The contract's committed, funded, used and paid money, from its own answer."""
    committed = funded = paid = fixed_used = ZERO
    for milestone in contract.milestones:
        if milestone.status in CANCELLED_STATUSES or milestone.amount_usd is None:
            continue
        amount = milestone.amount_usd
        committed += amount
        if milestone.status in FUNDED_STATUSES:
            funded += amount
        if milestone.status == PAID:
            paid += amount
        if is_used_fixed_price(
            milestone.status, milestone.needs_review, milestone.pending_approval
        ):
            fixed_used += amount
    if contract.payment_type == "FIXED_PRICE":
        used = fixed_used
    elif contract.payment_type in UNITS and contract.budget is not None:
        used = milestone_cost(contract.rate_usd, contract.budget.consumed_volume)
    else:
        used = None  # no budget read, or a payment model the dashboard does not know
    return {"committed_usd": committed, "funded_usd": funded, "used_usd": used, "paid_usd": paid}


def moments(status: str, before: tuple | None, first_seen: datetime) -> dict:
    """A milestone's `funded_at` and `paid_at`: kept from `before` (the stored pair) once known."""
    funded_at, paid_at = before or (None, None)
    return {
        "funded_at": (funded_at or first_seen) if status in FUNDED_STATUSES else None,
        "paid_at": (paid_at or first_seen) if status == PAID else None,
    }


def month_of(moment: datetime) -> date:
    """The first day of the month `moment` falls in, in TIME_ZONE."""
    return timezone.localtime(moment).date().replace(day=1)


class Ledger:
    """What one write changes in the account's months (funded, paid) and days (used)."""

    def __init__(self, account_pk: int):
        self.account_pk = account_pk
        self.months: dict[tuple, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
        self.days: dict[tuple, Decimal] = defaultdict(lambda: ZERO)

    def milestone(self, sign: int, kind: tuple[str, str], amount, funded_at, paid_at) -> None:
        """Count (sign 1) or take back (sign -1) one milestone's money; `kind` is its contract's
        payment model and status."""
        if amount is None:
            return
        if funded_at is not None:
            self.months[month_of(funded_at), *kind][0] += sign * amount
        if paid_at is not None:
            self.months[month_of(paid_at), *kind][1] += sign * amount

    def used(self, kind: tuple[str, str], before, after, now: datetime) -> None:
        """A contract's used money moved from `before` to `after` (both known) today."""
        if before is not None and after is not None and before != after:
            self.days[timezone.localtime(now).date(), *kind] += after - before

    def apply(self) -> None:
        for (month, payment_type, status), (funded, paid) in self.months.items():
            if funded or paid:
                row, _ = SpendMonth.objects.get_or_create(
                    account_id=self.account_pk,
                    month=month,
                    payment_type=payment_type,
                    contract_status=status,
                )
                SpendMonth.objects.filter(pk=row.pk).update(
                    funded_usd=F("funded_usd") + funded, paid_usd=F("paid_usd") + paid
                )
        for (day, payment_type, status), used in self.days.items():
            if used:
                row, _ = SpendDay.objects.get_or_create(
                    account_id=self.account_pk,
                    day=day,
                    payment_type=payment_type,
                    contract_status=status,
                )
                SpendDay.objects.filter(pk=row.pk).update(used_usd=F("used_usd") + used)


def forget(account_pk: int, contracts) -> None:
    """Take the money of these contracts (a queryset about to be deleted) out of the months."""
    ledger = Ledger(account_pk)
    moved = Milestone.objects.filter(contract__in=contracts).filter(
        Q(funded_at__isnull=False) | Q(paid_at__isnull=False)
    )
    for payment_type, status, amount, funded_at, paid_at in moved.values_list(
        "contract__payment_type", "contract__status", "amount_usd", "funded_at", "paid_at"
    ):
        ledger.milestone(-1, (payment_type, status), amount, funded_at, paid_at)
    ledger.apply()
