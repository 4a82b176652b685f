"""The "Needs you" home page: what needs the PM, each item once with one action, from the mirror."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from dashboard.inbox import GROUP_LIMIT, GROUPS, collect
from dashboard.mirror.attention import BADGES
from dashboard.mirror.models import Account, BudgetSnapshot, Contract
from dashboard.models import Snooze
from sandbox.models import Contract as SandboxContract
from tests.inbox_helpers import counted, inbox, item, keys, request_handoff
from tests.milestone_helpers import use_account
from tests.mirror_helpers import sync_account


@pytest.fixture(autouse=True)
def _every_test_has_the_sandbox(sandbox):
    """Each test here reads the seeded owner account, synced into the mirror."""


def _touch(contract):
    """What OpenTrain does when a contract changes: `updatedAt` moves; the worker re-reads it."""
    contract.updated_at = timezone.now()
    contract.save(update_fields=["updated_at"])
    sync_account()


def test_the_home_page_reads_the_mirror_without_calling_opentrain(pm, upstream_calls):
    inbox(pm)  # the page header's sandbox account list is now cached
    upstream_calls.clear()

    html = inbox(pm)

    assert "<h1>Needs you</h1>" in html
    assert "Synced" in html and "Sync now" in html  # the freshness line
    assert upstream_calls == []


def test_each_seeded_problem_appears_once(pm):
    html = inbox(pm)
    assert len(keys(html)) == len(set(keys(html)))
    for key in (
        "depleted:ctr_owner_label_007",
        "low:ctr_owner_hourly_1250",
        "review:ms_owner_label_007_2",
        "review:ms_owner_fixed_1250_2",
        "overdue:ms_owner_hourly_38_1",
        "no_funded:ctr_owner_fixed_450",
    ):
        item(html, key)
    assert "ctr_owner_ended" not in html


def test_a_depleted_budget_offers_the_next_batch_with_its_volume_and_cost(pm):
    depleted = item(inbox(pm), "depleted:ctr_owner_label_007")
    assert "Budget depleted" in inbox(pm)
    assert "Spanish Sentiment Labels (per label)" in depleted
    assert "next batch 5,000 labels, $350.00" in depleted.lower()
    form = "/contracts/ctr_owner_label_007/milestones/new/?volume=5000"
    assert f'href="{form}">Add next batch' in depleted


def test_the_next_batch_link_opens_the_form_filled_in_with_its_cost(pm):
    response = pm.get("/contracts/ctr_owner_label_007/milestones/new/?volume=5000")
    html = response.content.decode()
    assert 'name="volume" value="5000"' in html
    assert "Cost of this milestone: <strong>$350.00</strong>" in html


def test_the_form_ignores_a_prefilled_value_it_would_refuse(pm):
    html = pm.get("/contracts/ctr_owner_label_007/milestones/new/?volume=2.5").content.decode()
    assert 'value="2.5"' not in html


def test_work_to_review_asks_for_the_payout(pm):
    review = item(inbox(pm), "review:ms_owner_fixed_1250_2")
    assert "is marked for review" in review and "$750.00" in review
    payout = "/milestones/ms_owner_fixed_1250_2/approve/?contract=ctr_owner_fixed_1250"
    assert f'href="{payout}"' in review
    assert "Request payout approval" in review


def test_an_overdue_unfunded_milestone_asks_for_funding(pm):
    overdue = item(inbox(pm), "overdue:ms_owner_hourly_38_1")
    assert "past its due date" in overdue and "$760.00" in overdue and "due " in overdue
    assert 'href="/milestones/ms_owner_hourly_38_1/fund/?contract=ctr_owner_hourly_38"' in overdue


def test_an_active_contract_with_nothing_funded_offers_a_milestone(pm):
    empty = item(inbox(pm), "no_funded:ctr_owner_fixed_450")
    assert "nothing to work on" in empty
    assert 'href="/contracts/ctr_owner_fixed_450/milestones/new/">Add a milestone' in empty


def test_a_low_budget_forecasts_when_it_runs_out_at_last_weeks_pace(pm):
    row = Contract.objects.get(contract_id="ctr_owner_hourly_1250")  # 10 of 80 hours left
    first = row.budget_history.get()
    first.observed_at = timezone.now() - timedelta(days=10)
    first.consumed_volume = Decimal(50)
    first.save()
    BudgetSnapshot.objects.create(
        contract=row, state="LOW", consumed_volume=Decimal(70), observed_at=timezone.now()
    )
    low = item(inbox(pm), "low:ctr_owner_hourly_1250")
    # 20 hours in the last 7 days: 10 hours left run out in about 4 days.
    assert "Runs out in about 4 days at the last 7 days&#x27; pace." in low
    assert "10 hours left" in low


def test_a_low_budget_says_how_long_it_has_been_low_since_it_last_was_otherwise(pm):
    row = Contract.objects.get(contract_id="ctr_owner_hourly_1250")
    row.budget_history.all().delete()
    now = timezone.now()
    for days_ago, state in [(20, "LOW"), (9, "OK"), (5, "LOW"), (2, "LOW")]:
        BudgetSnapshot.objects.create(
            contract=row,
            state=state,
            consumed_volume=Decimal(70 - days_ago),
            observed_at=now - timedelta(days=days_ago),
        )
    low = item(inbox(pm), "low:ctr_owner_hourly_1250")
    assert re.search(r"for <time [^>]*>5 days</time>", low)


def test_a_low_budget_without_a_pace_makes_no_forecast(pm):
    low = item(inbox(pm), "low:ctr_owner_hourly_1250")
    assert "Runs out" not in low


def test_a_contract_whose_milestones_exceed_its_estimate_is_over_committed(pm):
    contract = SandboxContract.objects.get(id="ctr_owner_fixed_300")
    contract.milestones.create(number=2, name="Extra", description="More.", amount_usd=100)
    _touch(contract)
    over = item(inbox(pm), "over_committed:ctr_owner_fixed_300")
    assert "$400.00 of $300.00 ($100.00 over)" in over
    assert 'href="/contracts/ctr_owner_fixed_300/">Review the milestones' in over


def test_a_milestone_left_unfunded_for_more_than_a_day_asks_for_funding(pm):
    contract = SandboxContract.objects.get(id="ctr_owner_fixed_450")
    milestone = contract.milestones.create(
        number=1,
        name="Prompts",
        description="Prompts.",
        amount_usd=450,
        created_at=timezone.now() - timedelta(days=2, hours=1),
    )
    _touch(contract)
    html = inbox(pm)
    waiting = item(html, f"not_funded:{milestone.id}")
    assert "created but never funded" in waiting
    assert "created <time" in waiting and ">2 days</time> ago" in waiting
    assert f'href="/milestones/{milestone.id}/fund/?contract=ctr_owner_fixed_450"' in waiting
    assert "no_funded:ctr_owner_fixed_450" not in html


def test_a_milestone_created_today_is_not_yet_an_item(pm):
    contract = SandboxContract.objects.get(id="ctr_owner_fixed_450")
    milestone = contract.milestones.create(
        number=1, name="Prompts", description="Prompts.", amount_usd=450
    )
    _touch(contract)
    assert milestone.id not in inbox(pm)


def test_setup_problems_come_first_in_a_pms_words_with_the_detail_behind_a_disclosure(pm):
    use_account(pm, "readonly")
    html = inbox(pm)
    setup = html[html.index('<section class="card setup"') :]
    assert "permission to create milestones" in setup
    assert "<details><summary>Technical detail</summary>" in setup
    assert "payments:write" in setup
    assert html.index("Setup") < html.index('class="inbox-group')


def test_an_empty_inbox_says_so_and_lists_what_was_checked(pm):
    SandboxContract.objects.filter(account__key="owner").exclude(status="ended").delete()
    sync_account()
    html = inbox(pm)
    assert "Nothing needs you right now" in html
    assert "Milestones past their due date and not paid" in html
    assert "inbox-item" not in html


def test_the_navigation_counts_the_open_items(pm):
    count = counted(inbox(pm))
    html = pm.get("/contracts/").content.decode()
    badge = f'<span class="nav-count">{count}<span class="visually-hidden"> open items'
    assert f"Needs you {badge}" in html


def test_the_navigation_count_follows_a_new_approval_without_a_sync(pm):
    contract = SandboxContract.objects.get(id="ctr_owner_fixed_450")
    fresh = contract.milestones.create(
        number=99, name="Fresh batch", description="Prompts.", amount_usd=10
    )
    _touch(contract)  # not funded for a day yet: no item
    before = _nav_count(pm.get("/contracts/").content.decode())

    request_handoff(pm, "milestone_fund", fresh.id, contract.id)

    after = _nav_count(pm.get("/contracts/").content.decode())
    assert after == before + 1 == counted(inbox(pm))


def test_the_navigation_count_follows_a_snooze_and_its_waking_for_that_person_only(pm, viewer):
    other = Client()
    other.force_login(viewer)
    before = _nav_count(pm.get("/contracts/").content.decode())
    assert before == _nav_count(other.get("/contracts/").content.decode()) > 0

    pm.post("/inbox/snooze/", {"key": "no_funded:ctr_owner_fixed_450"})

    assert _nav_count(pm.get("/contracts/").content.decode()) == before - 1
    assert _nav_count(other.get("/contracts/").content.decode()) == before
    Snooze.objects.update(until=timezone.now() - timedelta(seconds=1))  # a day later
    assert _nav_count(pm.get("/contracts/").content.decode()) == before


def _nav_count(html: str) -> int:
    found = re.search(r'<span class="nav-count">(\d+)<span class="visually-hidden">', html)
    return int(found.group(1)) if found else 0


def test_a_long_group_shows_its_first_items_counts_them_all_and_lists_all_on_request(pm):
    contract = SandboxContract.objects.get(id="ctr_owner_fixed_450")
    for number in range(1, GROUP_LIMIT + 3):
        contract.milestones.create(
            number=number,
            name=f"Batch {number}",
            description="Prompts.",
            amount_usd=10,
            created_at=timezone.now() - timedelta(days=2),
        )
    _touch(contract)

    html = inbox(pm)
    shown = [key for key in keys(html) if key.startswith("not_funded:")]
    everything = keys(pm.get("/?all=not_funded").content.decode())
    listed = [key for key in everything if key.startswith("not_funded:")]

    assert len(shown) == GROUP_LIMIT
    assert len(listed) >= GROUP_LIMIT + 2 and set(shown) < set(listed)
    assert f'Created but not funded <span class="muted">({len(listed)})</span>' in html
    assert f'href="?all=not_funded#group-not_funded">Show all {len(listed)}</a>' in html
    assert f'<span class="nav-count">{counted(html)}<span class="visually-hidden">' in html


def test_items_open_and_close_as_time_passes_without_a_sync(pm):
    contract = SandboxContract.objects.get(id="ctr_owner_fixed_450")
    due_tomorrow = contract.milestones.create(
        number=1,
        name="Prompts",
        description="Prompts.",
        amount_usd=450,
        created_at=timezone.now() - timedelta(days=2),
        due_date=(timezone.now() + timedelta(days=1)).date(),
    )
    made_today = contract.milestones.create(
        number=2, name="More prompts", description="Prompts.", amount_usd=10
    )
    _touch(contract)
    account = Account.objects.get(contracts__contract_id="ctr_owner_fixed_450")

    def open_keys(days_from_now):
        found = collect(account, set(), now=timezone.now() + timedelta(days=days_from_now))
        return {item.key for kind in found.values() for item in kind.items}

    assert f"not_funded:{due_tomorrow.id}" in open_keys(0)
    assert f"not_funded:{made_today.id}" not in open_keys(0)
    assert f"overdue:{due_tomorrow.id}" not in open_keys(0)
    in_three_days = open_keys(3)
    assert f"overdue:{due_tomorrow.id}" in in_three_days
    assert f"not_funded:{due_tomorrow.id}" not in in_three_days
    assert f"not_funded:{made_today.id}" in in_three_days


def test_every_badge_on_the_contract_list_is_one_of_the_inbox_groups():
    assert set(BADGES) <= set(GROUPS)
