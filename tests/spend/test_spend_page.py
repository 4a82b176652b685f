"""The spend page: its totals, months and payment models equal to the sandbox's own milestones and
budgets for every demo account, to the cent; its burn, what runs out first, and its filters."""

import html
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from dashboard import words
from dashboard.mirror.models import BudgetSnapshot
from dashboard.opentrain.vocabulary import PAYMENT_TYPES, SPEND_TERMS
from sandbox import demo
from sandbox.usage import log_usage
from tests.milestone_helpers import use_account
from tests.mirror_helpers import sync_account
from tests.spend import (
    ZERO,
    amount,
    first_month,
    month_query,
    sandbox_sums,
    shown_months,
    shown_total,
)
from tests.sync.test_updates_feed import api, confirm_upstream

LABELS = demo.contract_id(demo.OWNER, "label_012")
HOURLY = demo.contract_id(demo.OWNER, "hourly_1250")  # $12.50 an hour, 70 of 80 hours used


def spend_page(client, **query) -> str:
    response = client.get("/spend/", query)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("key", list(demo.ACCOUNTS))
def test_the_totals_equal_the_sandbox_s_milestones_and_budgets_for_each_demo_account(
    sandbox, pm, key
):
    use_account(pm, key)
    expected = sandbox_sums(key)

    page = spend_page(pm)

    for name in ("committed", "funded", "used", "paid"):
        assert shown_total(page, name) == expected[name], name
    assert expected["funded"] > ZERO


@pytest.mark.parametrize("key", list(demo.ACCOUNTS))
def test_each_payment_model_s_totals_equal_the_sandbox_s_for_each_demo_account(sandbox, pm, key):
    use_account(pm, key)

    for payment_type in PAYMENT_TYPES:
        expected = sandbox_sums(key, payment_type=payment_type)
        page = spend_page(pm, payment_type=payment_type)
        for name in ("committed", "funded", "used", "paid"):
            assert shown_total(page, name) == expected[name], (payment_type, name)


@pytest.mark.parametrize("key", list(demo.ACCOUNTS))
def test_each_month_and_payment_model_equals_the_sandbox_s_milestones_for_each_demo_account(
    sandbox, pm, key
):
    use_account(pm, key)
    expected = sandbox_sums(key)

    months = shown_months(spend_page(pm, **month_query(first_month(key))))

    by_model = {k: v for k, v in months.items() if k[1] != "All"}
    assert by_model == expected["months"]
    for (month, model), (funded, paid) in months.items():
        if model == "All":
            parts = [v for (m, _), v in by_model.items() if m == month]
            assert funded == sum((f for f, _ in parts), ZERO)
            assert paid == sum((p for _, p in parts), ZERO)
    all_funded = sum((f for (_, m), (f, _) in months.items() if m == "All"), ZERO)
    assert all_funded == expected["funded"]


def test_a_milestone_funded_through_the_sandbox_shows_in_this_month_s_funded_after_the_next_sync(
    sandbox, pm, editor
):
    this_month = timezone.localdate().replace(day=1)
    before = shown_months(spend_page(pm)).get((this_month, "PAY_PER_LABEL"), (ZERO, ZERO))
    body = {"description": "More", "volume": 100}
    created = api(sandbox, "POST", f"/contracts/{LABELS}/milestones", body)
    milestone = created.json()["milestone"]
    approval = api(sandbox, "POST", f"/milestones/{milestone['id']}/fund").json()["approval"]

    confirm_upstream(approval["id"], editor)
    sync_account(demo.OWNER, full=False)

    after = shown_months(spend_page(pm))[this_month, "PAY_PER_LABEL"]
    assert after[0] == before[0] + Decimal(str(milestone["amountUsd"]))
    assert after[1] == before[1]


def test_a_contract_without_a_rate_is_counted_apart_in_words(sandbox, pm):
    page = spend_page(pm)

    assert "1 contract without a rate is not in 'used'." in page
    labels_only = spend_page(pm, payment_type="PAY_PER_LABEL")
    assert "1 contract without a rate is not in" in labels_only
    fixed_only = spend_page(pm, payment_type="FIXED_PRICE")
    assert "without a rate" not in fixed_only


def test_each_word_says_what_it_means_on_hover_and_in_the_help(sandbox, pm):
    page = html.unescape(spend_page(pm))

    assert "What these mean" in page
    for name, meaning in SPEND_TERMS.items():
        assert f'title="{meaning}">{name.capitalize()}</dt>' in page
        assert f"<dd>{meaning}</dd>" in page


def test_the_chart_says_in_words_what_was_funded_and_paid_and_how_months_are_cut(sandbox, pm):
    page = html.unescape(spend_page(pm, **month_query(first_month(demo.OWNER))))

    expected = sandbox_sums(demo.OWNER)
    assert "<desc" in page
    assert f"${expected['funded']:,.2f} funded and ${expected['paid']:,.2f} paid; most in" in page
    assert f"Months are cut in {settings.TIME_ZONE} time." in page
    assert "counted in the month its milestone was created" in page
    assert "Show as table" in page


def test_filters_narrow_the_numbers_and_stay_in_the_url_and_the_export_links(sandbox, pm):
    everything = sandbox_sums(demo.OWNER)
    ended = sandbox_sums(demo.OWNER, status="ended")

    page = spend_page(
        pm, status="ended", payment_type="FIXED_PRICE", start="2026-01", end="2026-12"
    )

    assert shown_total(spend_page(pm, status="ended"), "committed") == ended["committed"]
    assert ended["committed"] < everything["committed"]
    assert '<option value="ended" selected>' in page
    assert '<option value="FIXED_PRICE" selected>' in page
    assert 'value="2026-01"' in page and 'value="2026-12"' in page
    assert "/exports/spend.csv?status=ended&amp;payment_type=FIXED_PRICE" in page
    assert 'Filters<span id="filter-count"> (4)' in page


def test_a_bad_month_shows_an_error_next_to_its_field_and_keeps_what_was_typed(sandbox, pm):
    page = spend_page(pm, start="June 2026", end="2026-13")

    # As text, so the browser does not empty a month field it cannot read.
    assert 'type="text" name="start" id="id_start" value="June 2026"' in page
    assert 'type="text" name="end" id="id_end" value="2026-13"' in page
    assert '<details class="filters-panel" open>' in page
    assert 'id="id_start_error">Write a month as year and month, like 2026-06.' in page
    assert 'id="id_end_error">Write a month as year and month, like 2026-06.' in page
    assert 'aria-describedby="id_start_error"' in page
    # The rest of the page still shows, with the last 12 months.
    assert shown_total(page, "funded") == sandbox_sums(demo.OWNER)["funded"]


def test_a_to_month_before_the_from_month_is_refused_next_to_it_and_kept(sandbox, pm):
    page = spend_page(pm, start="2026-10", end="2026-03")

    assert 'id="id_end_error">The last month cannot come before the first (2026-10).' in page
    assert 'name="start" id="id_start" value="2026-10"' in page
    assert 'name="end" id="id_end" value="2026-03"' in page


def test_a_month_far_outside_any_account_s_life_is_refused_in_words(sandbox, pm):
    page = spend_page(pm, end="0001-01")

    assert 'value="0001-01"' in page
    assert "Choose a month between 2000 and 2100." in page


def test_an_unknown_payment_model_is_said_and_any_is_shown(sandbox, pm):
    page = spend_page(pm, payment_type="BARTER")

    assert "“BARTER” is not a known payment model: showing any." in html.unescape(page)
    assert shown_total(page, "committed") == sandbox_sums(demo.OWNER)["committed"]


def test_with_htmx_only_the_results_come_back(sandbox, pm):
    response = pm.get("/spend/", {"status": "active"}, headers={"HX-Request": "true"})

    page = response.content.decode()
    assert page.lstrip().startswith('<section id="results"')
    assert "<form" in page  # the freshness line's "Sync now" only
    assert 'id="id_status"' not in page
    assert "HX-Request" in response["Vary"]


def test_the_burn_and_the_budgets_that_run_out_first_come_from_the_usage_seen(sandbox, pm):
    title = _recent_usage(HOURLY, Decimal(4))

    page = html.unescape(spend_page(pm))

    assert 'id="burn-7">$50.00<' in page  # 4 hours at $12.50
    assert 'id="burn-30">$50.00<' in page
    assert "weeks left at the last 7 days' pace." in page
    assert f'href="/contracts/{HOURLY}/">{title}</a>' in page
    # 6 funded hours left at (a hair under) 2 hours a day: 3 days, about $25.00 a day.
    assert '<td data-label="Days left">3 days</td>' in page
    runs_out_on = words.day(timezone.localtime() + timedelta(days=3))
    assert f">{runs_out_on}</time>" in page
    per_day = amount(re.search(r'<td data-label="Used a day">([^<]*)</td>', page).group(1))
    assert Decimal("24.90") <= per_day <= Decimal("25.00")
    assert f'href="/contracts/{HOURLY}/milestones/new/">Add the next milestone' in page
    assert "No budget is running out at its current pace." not in page


def test_a_viewer_sees_the_budgets_that_run_out_first_without_a_write_button(sandbox, viewer):
    _recent_usage(HOURLY, Decimal(4))
    client = Client()
    client.force_login(viewer)

    page = spend_page(client)

    assert f'href="/contracts/{HOURLY}/"' in page
    assert "Add the next milestone" not in page
    assert "/milestones/new/" not in page


def test_without_recent_usage_no_budget_is_said_to_run_out(sandbox, pm):
    page = html.unescape(spend_page(pm))

    assert "No budget is running out at its current pace." in page
    assert "Nothing was used in the last 7 days, so there is no pace to reckon from." in page
    assert 'id="burn-7">$0.00<' in page


def test_an_account_never_synced_gets_the_not_synced_line_and_no_numbers(sandbox, pm):
    session = pm.session
    session["sandbox_account"] = demo.READONLY
    session.save()

    page = spend_page(pm)

    assert "Not synced yet" in page
    assert 'id="total-committed"' not in page


def _recent_usage(contract_id: str, volume: Decimal) -> str:
    """Hours or labels used two days after the last sync: a pace the next sync can see."""
    BudgetSnapshot.objects.update(observed_at=timezone.now() - timedelta(days=2))
    log_usage(contract_id, volume)
    sync_account(demo.OWNER)
    from sandbox.models import Contract as Upstream

    return Upstream.objects.get(id=contract_id).title
