"""Charts drawn on the server as SVG: this module works out the shapes and the table beside each
picture; `templates/dashboard/charts/` draws them. No HTML here, and nothing the CSP forbids
(no style, no script: presentation attributes and app.css classes only)."""

import math
from collections import namedtuple
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from dashboard import words

WIDTH, HEIGHT = 460, 280  # the viewBox; CSS makes it as wide as its box, up to 36rem
FONT = 14  # px in the viewBox: 11 px on a 390 px phone, 17.5 px on a laptop
STEPS = [Decimal(m) for m in ("0.1", "0.2", "0.25", "0.5", "1", "2", "2.5")]  # times a power of 10

# Each payment model: a colour with at least 3:1 contrast on white, and a pattern, so colour is
# never the only cue. A model the vocabulary does not know gets a grey and the next pattern.
COLOURS = {"FIXED_PRICE": "#1f5fa8", "PAY_PER_HOUR": "#b4420d", "PAY_PER_LABEL": "#2d7a3a"}
PATTERNS = ["solid", "hatch", "dots"]
OTHER_COLOUR = "#5c5c5c"
MARK_NAMES = {"created": "Created", "funded": "Funded", "paid": "Paid"}

# What the templates draw, in viewBox units.
Tick = namedtuple("Tick", "at label second_line", defaults=[""])  # at: y of money, x of time
Part = namedtuple("Part", "y height fill title")  # one payment model's share of a bar
Bar = namedtuple("Bar", "kind x centre width y height title parts")  # kind: funded or paid
Shape = namedtuple("Shape", "kind x y points title")  # points: a polygon's; "" for a circle


@dataclass(frozen=True)
class Mark:
    at: datetime
    kind: str  # "created" | "funded" | "paid"
    label: str


@dataclass(frozen=True)
class Forecast:
    start: datetime
    start_used: Decimal
    end: datetime
    level: Decimal


@dataclass(frozen=True)
class Table:
    caption: str
    headers: list[str]
    rows: list[list[str]]  # the first cell of each row is its header


@dataclass(frozen=True)
class Series:
    """A payment model: its name, colour and pattern (`fill` is what a shape's fill= says)."""

    name: str
    colour: str
    pattern: str
    pattern_id: str

    @property
    def fill(self):
        return self.colour if self.pattern == "solid" else f"url(#{self.pattern_id})"


@dataclass(frozen=True)
class Chart:
    """What a template draws. `left`, `top`, `right` and `bottom` bound the plot area."""

    chart_id: str
    title: str
    desc: str
    empty: str  # the sentence shown instead of a picture with nothing in it, else ""
    table: Table
    y_ticks: tuple = ()
    x_ticks: tuple = ()
    left: float = 0
    right: float = WIDTH - 10
    top: float = 24
    bottom: float = HEIGHT - 50
    width: int = WIDTH
    height: int = HEIGHT
    font: int = FONT
    series: tuple = ()  # bars: the payment models, in legend order
    bars: tuple = ()
    funded_path: str = ""  # timeline: the funded step line's d=
    used_points: str = ""  # the used line's points=
    used_dot: tuple = ()  # (x, y) of a used line of one point: a dot, as a line of one is not seen
    forecast: tuple = ()  # (x1, y1, x2, y2) of the dashed forecast line
    shapes: tuple = ()  # marks and due dates

    @property
    def title_id(self):
        return f"{self.chart_id}-title"

    @property
    def desc_id(self):
        return f"{self.chart_id}-desc"

    @property
    def mark_kinds(self):
        """The kinds of shape drawn, for the legend."""
        return {shape.kind for shape in self.shapes}


def nice_ticks(largest: Decimal) -> list[Decimal]:
    """$0 and 2 to 4 even steps of 1, 2, 2.5 or 5 times a power of ten that reach `largest`."""
    largest = max(Decimal(largest), Decimal(1))
    power = Decimal(10) ** math.floor(math.log10(largest))  # largest < 10 times power
    step = next(power * m for m in STEPS if largest <= 4 * power * m)
    return [step * n for n in range(max(2, math.ceil(largest / step)) + 1)]


def _tick_label(amount: Decimal) -> str:
    """Money as everywhere in the dashboard, with its cents ("$1,500.00")."""
    return words.money(amount)


def _money_axis(largest, top, bottom):
    """The money ticks and a function from an amount to its y."""
    ticks = nice_ticks(largest)
    scale = (bottom - top) / float(ticks[-1])

    def y(amount):
        return round(bottom - float(amount) * scale, 2)

    left = 12 + 0.62 * FONT * max(len(_tick_label(t)) for t in ticks)
    return [Tick(y(t), _tick_label(t)) for t in ticks], y, left


def month_bars(months, funded, paid, payment_types, *, title, desc, chart_id) -> Chart:
    zero = Decimal(0)
    totals = {
        (m, kind): sum((values.get((m, t), zero) for t in payment_types), zero)
        for m in months
        for kind, values in (("funded", funded), ("paid", paid))
    }
    table = Table(title, ["Month", "Payment model", "Funded", "Paid"], [])
    for m in months:
        for t in payment_types:
            if funded.get((m, t)) or paid.get((m, t)):
                amounts = [words.money(v.get((m, t), zero)) for v in (funded, paid)]
                table.rows.append([_month_name(m), words.payment_model(t), *amounts])
        amounts = [words.money(totals[m, kind]) for kind in ("funded", "paid")]
        table.rows.append([_month_name(m), "All", *amounts])
    if not any(totals.values()):
        return Chart(chart_id, title, desc, "Nothing was funded or paid in these months.", table)

    series = [
        Series(
            words.payment_model(t),
            COLOURS.get(t, OTHER_COLOUR),
            PATTERNS[i % 3],
            f"{chart_id}-p{i}",
        )
        for i, t in enumerate(payment_types)
    ]
    chart = Chart(chart_id, title, desc, "", table, series=tuple(series))
    y_ticks, y, left = _money_axis(max(totals.values()), chart.top, chart.bottom)
    slot = (chart.right - left) / len(months)
    bar_width = round(min(slot * 0.38, 24), 2)
    bars, x_ticks = [], []
    for i, m in enumerate(months):
        middle = left + slot * (i + 0.5)
        x_ticks.append(
            Tick(round(middle, 2), f"{m:%b}", f"{m:%Y}" if i == 0 or m.month == 1 else "")
        )
        for kind, values, x in (
            ("funded", funded, middle - bar_width - 1),
            ("paid", paid, middle + 1),
        ):
            parts, below = [], zero
            for t, s in zip(payment_types, series, strict=True):
                amount = values.get((m, t), zero)
                if amount:
                    top = y(below + amount)
                    what = f"{s.name}, {kind} in {_month_name(m)}: {words.money(amount)}"
                    parts.append(Part(top, round(y(below) - top, 2), s.fill, what))
                below += amount
            what = f"{kind.capitalize()} in {_month_name(m)}: {words.money(below)}"
            top = y(below)
            x, centre = round(x, 2), round(x + bar_width / 2, 2)
            bars.append(Bar(kind, x, centre, bar_width, top, chart.bottom - top, what, parts))
    return replace(chart, y_ticks=y_ticks, x_ticks=x_ticks, left=round(left, 2), bars=tuple(bars))


def budget_timeline(
    *, funded, used, marks=(), due=(), forecast=None, title, desc, chart_id
) -> Chart:
    rows = [(at, "Funded", words.money(v)) for at, v in funded]
    rows += [(at, "Used", words.money(v)) for at, v in used]
    rows += [(m.at, MARK_NAMES.get(m.kind, m.kind), m.label) for m in marks]
    rows += [(at, "Due", label) for at, label in due]
    if forecast:
        rows.append((forecast.end, "Runs out (forecast)", words.money(forecast.level)))
    rows.sort(key=lambda row: row[0])
    rows = [[words.when(at), *rest] for at, *rest in rows]
    table = Table(title, ["When", "What", "Amount or milestone"], rows)
    if not funded and not used:
        return Chart(chart_id, title, desc, "No budget history for this contract yet.", table)

    chart = Chart(chart_id, title, desc, "", table)
    amounts = [v for _, v in [*funded, *used]]
    amounts += [forecast.start_used, forecast.level] if forecast else []
    y_ticks, y, left = _money_axis(max(amounts), chart.top, chart.bottom)
    moments = [at for at, _ in [*funded, *used, *due]] + [m.at for m in marks]
    moments += [forecast.start, forecast.end] if forecast else []
    start, end = min(moments), max(moments)
    if end - start < timedelta(days=1):
        start, end = start - timedelta(hours=12), end + timedelta(hours=12)
    span = (end - start).total_seconds()

    def x(at):
        return round(left + (at - start).total_seconds() / span * (chart.right - left), 2)

    funded_path = ""
    for at, amount in funded:
        funded_path += f"M {x(at)} {y(amount)}" if not funded_path else f" H {x(at)} V {y(amount)}"
    if funded_path:
        funded_path += f" H {chart.right}"
    used_points = " ".join(f"{x(at)},{y(v)}" for at, v in used)
    used_dot = (x(used[0][0]), y(used[0][1])) if len(used) == 1 else ()
    line = ()
    if forecast:
        line = (x(forecast.start), y(forecast.start_used), x(forecast.end), y(forecast.level))
    shapes = [
        _shape(m.kind, x(m.at), 12, MARK_NAMES.get(m.kind, m.kind), m.label, m.at) for m in marks
    ]
    shapes += [_shape("due", x(at), chart.bottom, "Due", label, at) for at, label in due]
    return replace(
        chart,
        left=round(left, 2),
        y_ticks=y_ticks,
        x_ticks=_time_ticks(start, end, x),
        funded_path=funded_path,
        used_points=used_points,
        used_dot=used_dot,
        forecast=line,
        shapes=tuple(shapes),
    )


def _shape(kind, x, y, name, label, at):
    r = 5
    if kind == "funded":  # a diamond
        points = f"{x},{y - r} {x + r},{y} {x},{y + r} {x - r},{y}"
    elif kind == "paid":  # a square
        h = r - 1
        points = f"{x - h},{y - h} {x + h},{y - h} {x + h},{y + h} {x - h},{y + h}"
    elif kind == "due":  # a triangle pointing up at the axis
        points = f"{x},{y} {x + r},{y + 2 * r} {x - r},{y + 2 * r}"
    else:
        points = ""
    return Shape(kind, x, y, points, f"{name}: {label}, {words.when(at)}")


def _time_ticks(start, end, x):
    """At most 5 ticks on whole days, weeks or months of the account's time zone."""
    first = _local(start).replace(hour=0, minute=0, second=0, microsecond=0)
    days = (end - start).days + 1
    for step in (1, 2, 7, 14):
        if days / step <= 5:
            moments = [first + timedelta(days=step * n) for n in range(days // step + 2)]
            return [Tick(x(m), f"{m.day} {m:%b}") for m in moments if start <= m <= end]
    months = days // 28 + 1
    step = next(s for s in (1, 2, 3, 6, 12, 24, 60) if months / s <= 5)
    moments = [_add_months(first.replace(day=1), step * n) for n in range(months // step + 2)]
    shown = [m for m in moments if start <= m <= end]
    return [
        Tick(x(m), f"{m:%b}", f"{m:%Y}" if i == 0 or m.month <= step else "")
        for i, m in enumerate(shown)
    ]


def _add_months(moment, count):
    month = moment.month - 1 + count
    return moment.replace(year=moment.year + month // 12, month=month % 12 + 1)


def _local(moment):
    return timezone.localtime(moment) if timezone.is_aware(moment) else moment


def _month_name(month: date) -> str:
    return f"{month:%b %Y}"
