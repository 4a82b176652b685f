"""Where the money went and where it is going (issue 28): the account's totals in the
vocabulary's four words, its months, its burn and the budgets that run out first, and one
contract's budget over time. No HTTP here.

Everything is read from what the mirror keeps as it writes a contract (`mirror/money.py`): the
contracts' money columns, the months and the days. No view sums every milestone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, Sum
from django.utils import timezone

from dashboard import charts, words
from dashboard.mirror import pace
from dashboard.mirror.models import Contract, SpendDay, SpendMonth
from dashboard.opentrain.vocabulary import SPEND_TERMS, UNITS, milestone_cost

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
# Past this, a budget is not forecast to run out (and a date past the year 9999 cannot be).
FORECAST_DAYS = Decimal(3650)
RUNS_OUT_SHOWN = 10
# The budgets the "runs out first" table weighs: those used lately, the most used first.
RUNS_OUT_CANDIDATES = 200


@dataclass(frozen=True)
class Filters:
    """What the page and its exports are narrowed to; empty means all."""

    payment_type: str = ""
    status: str = ""
    start: date | None = None  # first month shown (its first day)
    end: date | None = None  # last month shown (its first day)

    def contracts(self, account):
        rows = Contract.objects.for_account(account)
        if self.payment_type:
            rows = rows.filter(payment_type=self.payment_type)
        if self.status:
            rows = rows.filter(status=self.status)
        return rows

    def buckets(self, model, account):
        rows = model.objects.filter(account=account)
        if self.payment_type:
            rows = rows.filter(payment_type=self.payment_type)
        if self.status:
            rows = rows.filter(contract_status=self.status)
        return rows


@dataclass
class Totals:
    committed: Decimal
    funded: Decimal
    used: Decimal
    paid: Decimal
    contracts: int
    without_rate: int  # hourly or per-label contracts with no rate: not in "used"
    without_budget: int  # contracts whose budget was never read: not in "used"
    funded_of_used: Decimal  # the funded money of the contracts counted in "used"

    @property
    def left(self) -> Decimal:
        """Funded and not used yet, over the contracts whose use is known."""
        return max(self.funded_of_used - self.used, ZERO)


TERMS = SPEND_TERMS


def totals(account, filters: Filters) -> Totals:
    """The filtered contracts' money now, in one query."""
    unknown = Q(used_usd__isnull=True)
    found = filters.contracts(account).aggregate(
        committed=Sum("committed_usd"),
        funded=Sum("funded_usd"),
        used=Sum("used_usd"),
        paid=Sum("paid_usd"),
        funded_of_used=Sum("funded_usd", filter=~unknown),
        contracts=Count("pk"),
        without_rate=Count("pk", filter=unknown & Q(rate_usd__isnull=True)),
        without_budget=Count("pk", filter=unknown & Q(rate_usd__isnull=False)),
    )
    money = {name: _cents(found[name]) for name in ("committed", "funded", "used", "paid")}
    return Totals(
        **money,
        contracts=found["contracts"],
        without_rate=found["without_rate"],
        without_budget=found["without_budget"],
        funded_of_used=_cents(found["funded_of_used"]),
    )


def month_range(filters: Filters, today: date) -> list[date]:
    """The months the chart shows: the filter's, or the last 12 to this one."""
    end = filters.end or today.replace(day=1)
    start = filters.start or _add_months(end, -11)
    if start > end:  # a "From month" after this month, with no "To month"
        start, end = end, start
    months, month = [], start
    while month <= end and len(months) < 120:
        months.append(month)
        month = _add_months(month, 1)
    return months


@dataclass
class Months:
    months: list[date]
    funded: dict[tuple[date, str], Decimal]  # (month, payment type) -> money
    paid: dict[tuple[date, str], Decimal]
    payment_types: list[str] = field(default_factory=list)

    def total(self, which: str, month: date | None = None, payment_type: str = "") -> Decimal:
        values = self.funded if which == "funded" else self.paid
        return sum(
            (
                value
                for (m, kind), value in values.items()
                if (month is None or m == month) and (not payment_type or kind == payment_type)
            ),
            ZERO,
        )


def months(account, filters: Filters, today: date) -> Months:
    """Funded and paid per month and payment model, from the kept months (a dozen rows each)."""
    shown = month_range(filters, today)
    rows = (
        filters.buckets(SpendMonth, account)
        .filter(month__gte=shown[0], month__lte=shown[-1])
        .values("month", "payment_type")
        .annotate(funded=Sum("funded_usd"), paid=Sum("paid_usd"))
    )
    funded, paid, kinds = {}, {}, set()
    for row in rows:
        key = (row["month"], row["payment_type"])
        funded[key], paid[key] = _cents(row["funded"]), _cents(row["paid"])
        kinds.add(row["payment_type"])
    order = [kind for kind in ("FIXED_PRICE", "PAY_PER_HOUR", "PAY_PER_LABEL") if kind in kinds]
    return Months(shown, funded, paid, order + sorted(kinds - set(order)))


@dataclass
class Burn:
    last_7_days: Decimal
    last_30_days: Decimal
    left: Decimal  # funded and not used, over the contracts whose use is known

    def weeks_left(self, days: int) -> Decimal | None:
        """The weeks `left` lasts at the last `days` days' pace; None without a pace."""
        used = self.last_7_days if days == 7 else self.last_30_days
        if used <= 0:
            return None
        return (self.left / (used / days * 7)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def burn(account, filters: Filters, today: date, left: Decimal) -> Burn:
    """What the dashboard saw used in the last 7 and 30 days (today included)."""
    days = filters.buckets(SpendDay, account).filter(day__gt=today - timedelta(days=30))
    found = days.aggregate(
        week=Sum("used_usd", filter=Q(day__gt=today - timedelta(days=7))),
        month=Sum("used_usd"),
    )
    return Burn(_cents(found["week"]), _cents(found["month"]), left)


@dataclass
class RunsOut:
    contract: Contract
    days_left: Decimal
    on: date
    per_day: Decimal  # money used a day at the last 7 days' pace


def runs_out(account, filters: Filters, now: datetime) -> list[RunsOut]:
    """The hourly and per-label budgets that run out first at their own last 7 days' pace, with
    the day; one query for the lot (its snapshots read through their index)."""
    start = now - pace.WINDOW
    weighed = (
        filters.contracts(account)
        .filter(
            status="active",
            payment_type__in=list(UNITS),
            has_budget=True,
            remaining_volume__isnull=False,
            last_activity_at__gte=start,
        )
        .order_by("-consumed_fraction", "pk")
    )
    # The candidates chosen from an index alone (mirror_contract_runs_out), and only their rows
    # read: picking them from the rows read every used budget's row (16,000 at 50,000 contracts).
    chosen = weighed.values("pk")[:RUNS_OUT_CANDIDATES]
    rows = pace.with_readings(
        Contract.objects.filter(pk__in=chosen)
        .order_by("-consumed_fraction", "pk")
        .only(*Contract.LISTED, "remaining_volume"),
        now,
    )
    found = []
    for row in rows:
        speed = pace.pace(row, now)
        if speed is None:
            continue
        days = row.remaining_volume / speed
        if days > FORECAST_DAYS:
            continue  # it does not run out in any time a PM plans for
        per_day = milestone_cost(row.rate_usd, speed) or ZERO
        # The day it runs out in TIME_ZONE, as the months and days are cut.
        on = timezone.localtime(now + timedelta(days=float(days))).date()
        found.append(RunsOut(row, days, on, per_day))
    found.sort(key=lambda item: (item.days_left, item.contract.pk))
    return found[:RUNS_OUT_SHOWN]


def _cents(value) -> Decimal:
    return ZERO if value is None else Decimal(value).quantize(CENT)


def _add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def today() -> date:
    """Today in TIME_ZONE: the months and days are cut there."""
    return timezone.localdate()


@dataclass
class Timeline:
    """One contract's budget over time: what its chart draws and says."""

    funded: list[tuple[datetime, Decimal]]
    used: list[tuple[datetime, Decimal]]
    marks: list[tuple[datetime, str, str]]  # (when, created|funded|paid, label)
    due: list[tuple[datetime, str]]
    forecast: tuple[datetime, Decimal, datetime, Decimal] | None  # from (at, used) to (day, funded)
    words: str


def timeline(row: Contract, now: datetime) -> Timeline:
    """Funded against used from the budget history (hourly, per label) or the milestones (fixed
    price), each milestone's creation, funding and payment, its due dates, and the forecast."""
    milestones = list(row.milestone_rows.all())
    marks, due = [], []
    for milestone in milestones:
        label = f"#{milestone.number} {milestone.name}".strip()
        if milestone.amount_usd is not None:
            label += f", {words.money(milestone.amount_usd)}"
        for kind, at in (
            ("created", milestone.upstream_created_at),
            ("funded", milestone.funded_at),
            ("paid", milestone.paid_at),
        ):
            if at is not None:
                marks.append((at, kind, label))
        if milestone.due_date is not None:
            due.append((milestone.due_date, f"#{milestone.number} {milestone.name} due"))
    marks.sort(key=lambda mark: mark[0])
    history = _history(row)
    funded = _steps((m.funded_at, m.amount_usd) for m in milestones)
    if row.payment_type in UNITS:
        used = [(at, milestone_cost(row.rate_usd, volume)) for at, volume in _fewer(history, now)]
        used = [] if row.rate_usd is None else used
    else:  # fixed price: up at each payment, and to today's used (what is under review)
        used = _steps((m.paid_at, m.amount_usd) for m in milestones)
        if row.used_usd is not None and (funded or used):
            used += [(now, used[-1][1] if used else ZERO), (now, _cents(row.used_usd))]
    forecast, pace_words = _forecast(row, now, used, history)
    if funded:  # the funded level held to today, or to the day the forecast runs out
        funded.append((max(now, forecast[2]) if forecast else now, funded[-1][1]))
    if row.used_usd is None:
        said = f"{words.money(row.funded_usd)} funded; what is used is not known"
    else:
        said = f"Used {words.money(row.used_usd)} of {words.money(row.funded_usd)} funded"
    return Timeline(funded, used, marks, due, forecast, f"{said}{pace_words}.")


def _fewer(points: list, now: datetime) -> list:
    """As many points as the picture can show and its table list: the last of each week before
    the last 30 days, of each day before the last 2, and every one since (a year of thinned
    history is 1,055 snapshots: its table took 20 ms to write, as long as the rest of the page)."""
    kept: dict[tuple, tuple] = {}
    zone = timezone.get_current_timezone()  # once: asking for it at each point took 4 ms a page
    for at, value in points:
        local, age = at.astimezone(zone), now - at
        if age > timedelta(days=30):
            key = ("week", *local.isocalendar()[:2])
        elif age > timedelta(days=2):
            key = ("day", local.date())
        else:
            key = ("moment", at)
        kept.pop(key, None)  # the last of its bucket, in its place in time
        kept[key] = (at, value)
    fewer = list(kept.values())
    return points[:1] + fewer if points and fewer[0] != points[0] else fewer


def _history(row: Contract) -> list[tuple[datetime, Decimal]]:
    """(observed at, consumed volume) of the budget history, oldest first; as plain pairs, since
    making a model of each of an hourly contract's 1,000 snapshots took most of the page's time
    (docs/benchmarks-spend.md). Fixed-price contracts draw theirs from the milestones."""
    if row.payment_type not in UNITS:
        return []
    known = row.budget_history.filter(consumed_volume__isnull=False)
    return list(known.order_by("observed_at", "id").values_list("observed_at", "consumed_volume"))


def _steps(moves) -> list[tuple[datetime, Decimal]]:
    """The running total of (moment, amount) pairs as a line of steps from $0.00, oldest first,
    leaving out incomplete pairs: each move holds the total before it, then rises."""
    line, total = [], ZERO
    for at, amount in sorted((at, amount) for at, amount in moves if at and amount is not None):
        line += [(at, total), (at, total + amount)]
        total += amount
    return line


def _forecast(row: Contract, now: datetime, used: list, history: list) -> tuple[tuple | None, str]:
    """The line to the day the budget runs out at the last 7 days' pace, and its words."""
    if row.payment_type not in UNITS or not used or row.remaining_volume is None:
        return None, ""
    speed = pace.of_history(history, now)
    if speed is None:
        return None, "; nothing used in the last 7 days"
    left = row.remaining_volume / speed
    per_day = milestone_cost(row.rate_usd, speed)
    if left > FORECAST_DAYS:
        return None, f"; at {words.money(per_day)} a day, it lasts more than ten years"
    end = now + timedelta(days=float(left))
    funded_level = milestone_cost(row.rate_usd, history[-1][1] + row.remaining_volume)
    line = (now, used[-1][1], end, funded_level or used[-1][1])
    return (
        line,
        f"; at {words.money(per_day)} a day, runs out on {words.day(timezone.localtime(end))}",
    )


def contract_chart(row: Contract, now: datetime) -> charts.Chart:
    """The contract page's "Budget over time" of the mirror's row of the contract."""
    drawn = timeline(row, now)
    return charts.budget_timeline(
        funded=drawn.funded,
        used=drawn.used,
        marks=[charts.Mark(at, kind, label) for at, kind, label in drawn.marks],
        due=drawn.due,
        forecast=charts.Forecast(*drawn.forecast) if drawn.forecast else None,
        title="Budget over time",
        desc=drawn.words,
        chart_id="budget-timeline",
    )
