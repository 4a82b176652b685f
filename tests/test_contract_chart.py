"""The contract page's "Budget over time": funded against used, the milestones' moments, and the
forecast to the day the budget runs out, drawn on the server and said in words."""

import re
from datetime import timedelta
from decimal import Decimal
from html import unescape

from django.db.models import F
from django.utils import timezone

from dashboard import words
from dashboard.mirror.models import BudgetSnapshot, Contract
from sandbox import demo
from sandbox.usage import log_usage
from tests.mirror_helpers import sync_account

HOURLY = demo.contract_id(demo.OWNER, "hourly_15")  # $15 an hour, 10 funded, 2.5 used
FIXED = demo.contract_id(demo.OWNER, "fixed_1250")  # $500 paid, $750 funded under review


def chart(pm, contract_id) -> str:
    page = pm.get(f"/contracts/{contract_id}/").content.decode()
    found = re.search(r'<figure class="chart" id="budget-timeline">.*?</figure>', page, re.S)
    assert found, "the contract page draws no budget chart"
    return found.group(0)


def described(figure: str) -> str:
    """What a screen reader says for the picture: its title, then its description."""
    svg = re.search(r"<svg[^>]*aria-labelledby=\"([^\"]+)\"", figure)
    said = []
    for ident in svg.group(1).split():
        said.append(unescape(re.search(rf'id="{ident}">([^<]*)<', figure).group(1)))
    return " ".join(said)


def test_the_chart_says_what_is_used_of_what_is_funded(sandbox, db, pm):
    sync_account(demo.OWNER)

    assert described(chart(pm, HOURLY)) == (
        "Budget over time Used $37.50 of $150.00 funded; nothing used in the last 7 days."
    )


def test_the_chart_says_when_the_budget_runs_out_at_the_last_days_pace(sandbox, db, pm):
    sync_account(demo.OWNER)
    BudgetSnapshot.objects.update(observed_at=F("observed_at") - timedelta(days=2))

    log_usage(HOURLY, Decimal(2))  # 2 hours in 2 days: $15.00 a day, 5.5 hours left
    sync_account(demo.OWNER)

    runs_out = words.day(timezone.localtime(timezone.now() + timedelta(days=5.5)))
    figure = chart(pm, HOURLY)
    assert described(figure) == (
        f"Budget over time Used $67.50 of $150.00 funded; at $15.00 a day, runs out on {runs_out}."
    )
    assert 'class="chart-forecast"' in figure
    assert "Forecast to the day it runs out" in figure


def test_a_fixed_price_chart_marks_each_milestone_and_its_due_date(sandbox, db, pm):
    sync_account(demo.OWNER)

    figure = unescape(chart(pm, FIXED))

    assert "Used $1,250.00 of $1,250.00 funded" in described(figure)
    for mark in ("Milestone created", "Milestone funded", "Milestone paid", "Milestone due"):
        assert mark in figure
    assert "#1 Guidelines and pilot, $500.00" in figure
    assert "#2 Full dataset due" in figure


def test_the_chart_has_its_numbers_as_a_table_that_works_without_javascript(sandbox, db, pm):
    sync_account(demo.OWNER)

    figure = unescape(chart(pm, HOURLY))

    assert "<summary>Show as table</summary>" in figure
    assert "$37.50" in figure.split("<table")[1]
    assert "<script" not in figure and "style=" not in figure


def test_a_budget_used_so_slowly_it_lasts_for_decades_is_not_given_a_run_out_day(sandbox, db, pm):
    sync_account(demo.OWNER)
    BudgetSnapshot.objects.update(observed_at=F("observed_at") - timedelta(days=2))

    log_usage(HOURLY, Decimal("0.001"))  # 3.6 seconds in 2 days: 15,000 days of budget left
    sync_account(demo.OWNER)

    assert described(chart(pm, HOURLY)).endswith("a day, it lasts more than ten years.")
    assert HOURLY not in pm.get("/spend/").content.decode()


def test_a_year_of_budget_history_is_drawn_a_week_a_point_then_a_day_then_each_change(
    sandbox, db, pm
):
    sync_account(demo.OWNER)
    row = Contract.objects.get(contract_id=HOURLY)
    now = timezone.now()
    BudgetSnapshot.objects.filter(contract=row).delete()
    moments = [now - timedelta(days=d) for d in range(365, 30, -1)]
    moments += [now - timedelta(hours=h) for h in range(30 * 24, 0, -1)]
    BudgetSnapshot.objects.bulk_create(
        BudgetSnapshot(contract=row, observed_at=at, state="OK", consumed_volume=Decimal(n) / 1000)
        for n, at in enumerate(moments)
    )

    figure = chart(pm, HOURLY)

    points = re.search(r'class="chart-used" points="([^"]+)"', figure).group(1).split()
    assert 48 + 28 + 48 <= len(points) <= 48 + 31 + 55  # every hour of 2 days, 28 days, ~48 weeks
    table_rows = figure.split("<table")[1].count("<tr")
    assert table_rows < 200
