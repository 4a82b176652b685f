"""The server-drawn SVG charts of issue 28: what the picture draws is what the table says, and
nothing in them needs what the CSP forbids."""

import itertools
import re
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.template.loader import render_to_string

from dashboard import charts

SVG = "{http://www.w3.org/2000/svg}"
TYPES = ["FIXED_PRICE", "PAY_PER_HOUR", "PAY_PER_LABEL"]
MONTHS = [date(2026, m, 1) for m in range(1, 13)]
JAN, FEB, MAR = MONTHS[:3]
FUNDED = {
    (JAN, "FIXED_PRICE"): Decimal("600.00"),
    (JAN, "PAY_PER_HOUR"): Decimal("400.50"),
    (FEB, "PAY_PER_LABEL"): Decimal("75.25"),
    (MAR, "FIXED_PRICE"): Decimal("1200.00"),
    (MAR, "PAY_PER_LABEL"): Decimal("0.07"),
}
PAID = {(JAN, "FIXED_PRICE"): Decimal("300.00"), (MAR, "PAY_PER_HOUR"): Decimal("812.34")}


def day(number, month=12):
    return datetime(2026, month, number, 12, tzinfo=UTC)


def bars(title="Funded and paid per month", chart_id="spend-months", funded=FUNDED, paid=PAID):
    return charts.month_bars(
        MONTHS, funded, paid, TYPES, title=title, desc="In words: more funded.", chart_id=chart_id
    )


def timeline(title="Budget over time", funded=None, used=None, forecast="default", due=()):
    return charts.budget_timeline(
        funded=[(day(1), Decimal("1000")), (day(3), Decimal("4000"))] if funded is None else funded,
        used=[(day(2), Decimal("150")), (day(6), Decimal("3200"))] if used is None else used,
        marks=[
            charts.Mark(at=day(1), kind="created", label="#1 Batch A, $1,000.00"),
            charts.Mark(at=day(3), kind="funded", label="#2 Batch B, $3,000.00"),
            charts.Mark(at=day(5), kind="paid", label="#1 Batch A, $1,000.00"),
        ],
        due=[(day(10), "#2 Batch B"), *due],
        forecast=charts.Forecast(
            start=day(6), start_used=Decimal("3200"), end=day(14), level=Decimal("4000")
        )
        if forecast == "default"
        else forecast,
        title=title,
        desc="Used $3,200.00 of $4,000.00 funded; at $150.00 a day, runs out on 14 Dec.",
        chart_id="budget-timeline",
    )


def render(chart):
    """The chart through its template, as the pages include it (bars have payment models)."""
    name = "bars" if chart.series or chart.table.headers[0] == "Month" else "timeline"
    return render_to_string(f"dashboard/charts/{name}.html", {"chart": chart})


def picture(html):
    """The chart's own <svg> (not the legend's swatches), parsed as XML."""
    return ET.fromstring(re.search(r'<svg class="chart-svg".*?</svg>', html, re.S).group(0))


def find(svg, tag, css_class=None):
    found = svg.iter(SVG + tag)
    return [e for e in found if css_class is None or css_class in e.get("class", "").split()]


def bar_groups(svg, kind):
    return find(svg, "g", f"chart-bar-{kind}")


def parts(group):
    return [r for r in group.findall(SVG + "rect") if "chart-outline" not in r.get("class", "")]


def height(group):
    return sum(float(r.get("height")) for r in parts(group))


class Tables(HTMLParser):
    """The rows of a rendered table, with each cell's tag: [("th", "Jan 2026"), ("td", ...)]."""

    def __init__(self, html):
        super().__init__()
        self.rows, self.cell, self.caption, self.in_caption = [], None, "", False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("th", "td"):
            self.cell = [tag, "", dict(attrs).get("scope")]
        self.in_caption = tag == "caption"

    def handle_endtag(self, tag):
        if tag in ("th", "td"):
            self.rows[-1].append(tuple(self.cell))
            self.cell = None
        self.in_caption = False

    def handle_data(self, data):
        if self.cell:
            self.cell[1] += data
        if self.in_caption:
            self.caption += data


def dollars(text):
    return Decimal(text.replace("$", "").replace(",", ""))


def test_each_bar_is_as_tall_as_its_amount_on_the_money_axis():
    svg = picture(render(bars()))
    funded = [sum(FUNDED.get((m, t), 0) for t in TYPES) for m in MONTHS]
    paid = [sum(PAID.get((m, t), 0) for t in TYPES) for m in MONTHS]
    heights = [height(g) for g in bar_groups(svg, "funded")] + [
        height(g) for g in bar_groups(svg, "paid")
    ]
    # The scale the money axis gives: its top tick's label over its height above $0.
    ticks = [t for t in find(svg, "text") if t.text.startswith("$")]
    zero, top = ticks[0], ticks[-1]
    scale = (float(zero.get("y")) - float(top.get("y"))) / float(dollars(top.text))
    for drawn, amount in zip(heights, funded + paid, strict=True):
        assert drawn == pytest.approx(float(amount) * scale, abs=0.05)
    # Each payment model's part is as tall as its own amount, too.
    march = bar_groups(svg, "funded")[2]
    assert [float(r.get("height")) for r in parts(march)] == pytest.approx(
        [1200 * scale, 0.07 * scale], abs=0.05
    )


def test_the_stacked_parts_of_a_bar_add_up_to_its_total_without_gaps():
    chart = bars()
    svg = picture(render(chart))
    for group in bar_groups(svg, "funded") + bar_groups(svg, "paid"):
        rects = parts(group)
        for below, above in itertools.pairwise(rects):
            assert float(above.get("y")) + float(above.get("height")) == pytest.approx(
                float(below.get("y")), abs=0.01
            )
        if rects:
            bottom = float(rects[0].get("y")) + float(rects[0].get("height"))
            assert bottom == pytest.approx(chart.bottom, abs=0.01)
            assert bottom - float(rects[-1].get("y")) == pytest.approx(height(group), abs=0.02)
    outline = find(bar_groups(svg, "paid")[2], "rect", "chart-outline")[0]
    assert float(outline.get("height")) == pytest.approx(height(bar_groups(svg, "paid")[2]))


def test_the_table_shows_every_amount_the_bars_show_to_the_cent():
    html = render(bars())
    table = Tables(html[html.index("<details") :])
    assert table.caption == "Funded and paid per month"
    header, *rows = table.rows
    assert [text for _, text, _ in header] == ["Month", "Payment model", "Funded", "Paid"]
    assert all(scope == "col" for _, _, scope in header)
    assert all(row[0][0] == "th" and row[0][2] == "row" for row in rows)
    shown = {(row[0][1], row[1][1]): (dollars(row[2][1]), dollars(row[3][1])) for row in rows}
    names = {"FIXED_PRICE": "Fixed price", "PAY_PER_HOUR": "Hourly", "PAY_PER_LABEL": "Per label"}
    for month, kind in FUNDED.keys() | PAID.keys():
        expected = (FUNDED.get((month, kind), Decimal(0)), PAID.get((month, kind), Decimal(0)))
        assert shown[f"{month:%b %Y}", names[kind]] == expected
    assert shown["Mar 2026", "All"] == (Decimal("1200.07"), Decimal("812.34"))
    assert shown["Dec 2026", "All"] == (Decimal(0), Decimal(0))
    assert "$0.07" in html and "$400.50" in html


def test_the_timeline_table_lists_what_the_picture_marks():
    html = render(timeline())
    rows = [[text for _, text, _ in row] for row in Tables(html[html.index("<details") :]).rows]
    assert ["1 Dec 2026, 12:00 UTC", "Funded", "$1,000.00"] in rows
    assert ["6 Dec 2026, 12:00 UTC", "Used", "$3,200.00"] in rows
    assert ["5 Dec 2026, 12:00 UTC", "Paid", "#1 Batch A, $1,000.00"] in rows
    assert ["10 Dec 2026, 12:00 UTC", "Due", "#2 Batch B"] in rows
    assert rows[-1] == ["14 Dec 2026, 12:00 UTC", "Runs out (forecast)", "$4,000.00"]


@pytest.mark.parametrize("make", [bars, timeline], ids=["bars", "timeline"])
def test_a_screen_reader_reads_the_title_and_the_words_of_each_chart(make):
    svg = picture(render(make()))
    assert svg.get("role") == "img"
    title_id, desc_id = svg.get("aria-labelledby").split()
    assert svg.find(SVG + "title").get("id") == title_id == f"{make().chart_id}-title"
    assert svg.find(SVG + "desc").get("id") == desc_id == f"{make().chart_id}-desc"
    assert svg.find(SVG + "desc").text == make().desc
    assert svg.get("viewBox").startswith("0 0 ")
    assert "chart-svg" in svg.get("class") and svg.get("width") is None


@pytest.mark.parametrize("make", [bars, timeline], ids=["bars", "timeline"])
def test_no_chart_has_a_style_a_script_or_an_event_handler(make):
    html = render(make())
    assert "<style" not in html and "<script" not in html
    assert not re.search(r"\sstyle=", html)
    assert not re.search(r"\son[a-z]+=", html)


def test_two_charts_on_one_page_never_share_an_id_and_each_pattern_is_its_own():
    html = render(bars(chart_id="spend-months")) + render(bars(chart_id="spend-models"))
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert len(ids) == len(set(ids))
    referenced = set(re.findall(r'fill="url\(#([^)]+)\)"', html))
    assert referenced and referenced <= set(ids)
    mine = [p.get("id") for p in find(picture(render(bars(chart_id="a"))), "pattern")]
    assert len(mine) == 2 and all(i.startswith("a-") for i in mine)


def test_each_payment_model_has_a_colour_of_3_to_1_contrast_and_a_pattern_of_its_own():
    def luminance(colour):
        rgb = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    chart = bars()
    for series in chart.series:
        assert 1.05 / (luminance(series.colour) + 0.05) >= 3
    assert len({s.pattern for s in chart.series}) == len({s.colour for s in chart.series}) == 3
    legend = render(chart).split('<ul class="chart-legend">')[1]
    for name in ("Fixed price", "Hourly", "Per label", "funded", "paid"):
        assert name in legend


@pytest.mark.parametrize(
    "chart, words",
    [
        (bars(funded={}, paid={}), "Nothing was funded or paid"),
        (timeline(funded=[], used=[], forecast=None), "No budget history"),
    ],
    ids=["bars", "timeline"],
)
def test_an_empty_chart_says_so_instead_of_drawing_an_empty_picture(chart, words):
    html = render(chart)
    assert "<svg" not in html and words in html


def test_the_forecast_line_ends_on_the_run_out_day_at_the_funded_level():
    run_out = day(14)
    svg = picture(render(timeline(due=[(run_out, "#3 Batch C")])))
    line = find(svg, "line", "chart-forecast")[0]
    run_out_triangle = next(
        p
        for p in find(svg, "polygon", "chart-mark-due")
        if "#3 Batch C" in p.find(SVG + "title").text
    )
    apex_x = float(run_out_triangle.get("points").split()[0].split(",")[0])
    assert float(line.get("x2")) == pytest.approx(apex_x)
    funded_top = float(find(svg, "path", "chart-funded")[0].get("d").split()[-3])
    assert float(line.get("y2")) == pytest.approx(funded_top)
    assert line.get("stroke-dasharray")


def test_the_timeline_draws_funded_as_steps_and_each_mark_as_its_own_named_shape():
    svg = picture(render(timeline()))
    path = find(svg, "path", "chart-funded")[0].get("d")
    assert re.fullmatch(r"M [\d.]+ [\d.]+( H [\d.]+ V [\d.]+)* H [\d.]+", path)
    assert len(find(svg, "polyline", "chart-used")[0].get("points").split()) == 2
    created = find(svg, "circle", "chart-mark-created")
    funded = find(svg, "polygon", "chart-mark-funded")
    paid = find(svg, "polygon", "chart-mark-paid")
    assert len(created) == len(funded) == len(paid) == 1
    assert len(funded[0].get("points").split()) == 4 and len(paid[0].get("points").split()) == 4
    assert funded[0].get("points") != paid[0].get("points")
    assert paid[0].find(SVG + "title").text == "Paid: #1 Batch A, $1,000.00, 5 Dec 2026, 12:00 UTC"
    due = find(svg, "polygon", "chart-mark-due")[0]
    assert due.find(SVG + "title").text.startswith("Due: #2 Batch B")


@pytest.mark.parametrize("make", [bars, timeline], ids=["bars", "timeline"])
def test_the_money_axis_has_three_to_five_round_ticks_from_zero_written_with_cents(make):
    labels = [t.text for t in find(picture(render(make())), "text") if t.text.startswith("$")]
    assert 3 <= len(labels) <= 5 and labels[0] == "$0.00"
    assert all(re.fullmatch(r"\$[\d,]+\.00", label) for label in labels)


def test_a_timeline_takes_tuples_and_needs_no_marks_due_dates_or_forecast():
    chart = charts.budget_timeline(
        funded=((day(1), Decimal("500")),),
        used=(),
        title="Budget over time",
        desc="Nothing used yet.",
        chart_id="budget",
    )
    svg = picture(render(chart))
    assert find(svg, "path", "chart-funded") and not find(svg, "line", "chart-forecast")
    assert find(svg, "polyline", "chart-used") == []


def test_nice_ticks_step_evenly_past_the_largest_amount():
    assert charts.nice_ticks(Decimal("4000")) == [0, 1000, 2000, 3000, 4000]
    assert charts.nice_ticks(Decimal("4001")) == [0, 2000, 4000, 6000]
    assert charts.nice_ticks(Decimal("1200.07")) == [0, 500, 1000, 1500]
    assert charts.nice_ticks(Decimal("0.07")) == [
        0,
        Decimal("0.25"),
        Decimal("0.5"),
        Decimal("0.75"),
        1,
    ]


def test_a_title_with_a_less_than_and_an_ampersand_is_escaped():
    title = "Funded < paid & <b>bold</b>"
    for chart in (bars(title=title), timeline(title=title)):
        html = render(chart)
        assert "<b>" not in html
        assert "Funded &lt; paid &amp; &lt;b&gt;bold&lt;/b&gt;" in html
        assert picture(html).find(SVG + "title").text == title


def test_a_used_line_of_one_reading_is_drawn_as_a_dot_where_it_was_read():
    svg = picture(render(timeline(used=[(day(6), Decimal("3200"))], forecast=None)))

    dot = find(svg, "circle", "chart-used-dot")
    assert len(dot) == 1 and dot[0].find(SVG + "title").text == "Used"
    assert find(svg, "polyline", "chart-used")[0].get("points").count(",") == 1
