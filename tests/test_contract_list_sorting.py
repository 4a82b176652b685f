"""The contracts list's attention badges, "needs attention" filter, sorts and ticked contracts,
read from the mirror of the seeded sandbox."""

import re
from datetime import timedelta
from html import unescape
from urllib.parse import urlencode

import pytest
from django.core.management import call_command
from django.utils import timezone

from dashboard import filters
from dashboard.mirror import attention
from dashboard.mirror.models import Contract as MirrorContract
from sandbox.models import Contract
from tests.mirror_helpers import sync_account


@pytest.fixture(autouse=True)
def _every_test_has_the_sandbox(sandbox):
    """Each test here reads the seeded owner account, synced into the mirror."""


def listing(client, **params) -> str:
    response = client.get("/contracts/", params)
    assert response.status_code == 200
    return response.content.decode()


def rows(html: str) -> dict[str, str]:
    """Each contract row's HTML by contract ID, in the order shown."""
    found = re.findall(r'<tr data-href="/contracts/([^/"]+)/".*?</tr>', html, re.S)
    bodies = re.findall(r'<tr data-href="/contracts/[^/"]+/".*?</tr>', html, re.S)
    return dict(zip(found, bodies, strict=True))


def badges(row: str) -> list[str]:
    return re.findall(r'<span class="badge attention attention-[a-z_]+">([^<]+)</span>', row)


def shown_order(html: str) -> list[str]:
    return list(rows(html))


def _touch(contract):
    """What OpenTrain does when a contract changes: `updatedAt` moves; the worker re-reads it."""
    contract.updated_at = timezone.now()
    contract.save(update_fields=["updated_at"])
    sync_account()


def _owner():
    return Contract.objects.filter(account__key="owner")


def test_each_row_shows_why_the_contract_needs_attention(pm):
    shown = rows(listing(pm))
    assert badges(shown["ctr_owner_label_007"]) == ["Budget depleted", "Work to review"]
    assert "Budget low" in badges(shown["ctr_owner_hourly_1250"])
    assert "Work to review" in badges(shown["ctr_owner_fixed_1250"])
    # Unfunded for days, but past its due date: like the inbox, that is "overdue" only.
    assert badges(shown["ctr_owner_hourly_38"]) == ["Overdue"]
    assert badges(shown["ctr_owner_fixed_450"]) == ["Nothing funded"]
    assert badges(shown["ctr_owner_ended"]) == []


def test_the_remaining_budget_is_shown_in_dollars(pm):
    # 10 of 80 funded hours left at $12.50 an hour.
    assert "$125.00 left" in rows(listing(pm))["ctr_owner_hourly_1250"]


def test_a_milestone_left_unfunded_for_more_than_a_day_becomes_a_reason(pm):
    contract = _owner().get(id="ctr_owner_fixed_450")
    contract.milestones.create(
        number=1,
        name="Prompts",
        description="Prompts.",
        amount_usd=450,
        created_at=timezone.now() - timedelta(days=2),
    )
    _touch(contract)
    assert badges(rows(listing(pm))["ctr_owner_fixed_450"]) == ["Unfunded over a day"]


def test_a_milestone_created_today_is_not_yet_a_reason(pm):
    contract = _owner().get(id="ctr_owner_fixed_450")
    contract.milestones.create(number=1, name="Prompts", description="Prompts.", amount_usd=450)
    _touch(contract)
    assert badges(rows(listing(pm))["ctr_owner_fixed_450"]) == []


def _a_milestone_due_tomorrow():
    contract = _owner().get(id="ctr_owner_fixed_450")
    contract.milestones.create(
        number=1,
        name="Prompts",
        description="Prompts.",
        amount_usd=450,
        created_at=timezone.now() - timedelta(hours=1),
        due_date=(timezone.now() + timedelta(days=1)).date(),
    )
    _touch(contract)


def test_a_reason_that_starts_with_time_shows_once_its_moment_passes_without_a_sync(pm):
    _a_milestone_due_tomorrow()
    assert badges(rows(listing(pm))["ctr_owner_fixed_450"]) == []

    # Three days on (the list's own refresh does this with the clock): overdue, no sync between.
    mirrored = MirrorContract.objects.filter(contract_id="ctr_owner_fixed_450")
    assert attention.refresh(mirrored, now=timezone.now() + timedelta(days=3)) == 1
    assert attention.refresh(mirrored, now=timezone.now() + timedelta(days=3)) == 0

    assert badges(rows(listing(pm))["ctr_owner_fixed_450"]) == ["Overdue"]
    assert "ctr_owner_fixed_450" in rows(listing(pm, attention="1"))


def test_the_list_itself_brings_a_score_up_to_date_once_its_moment_has_passed(pm):
    _a_milestone_due_tomorrow()
    assert badges(rows(listing(pm))["ctr_owner_fixed_450"]) == []

    # The mirror's moments moved back three days, as if three days had passed since the sync.
    mirrored = MirrorContract.objects.filter(contract_id="ctr_owner_fixed_450")
    mirrored.update(
        overdue_at=timezone.now() - timedelta(days=2),
        attention_next_at=timezone.now() - timedelta(days=2),
    )

    assert badges(rows(listing(pm))["ctr_owner_fixed_450"]) == ["Overdue"]
    assert mirrored.get().attention_next_at > timezone.now()


def test_a_contract_whose_milestones_exceed_its_estimate_is_over_committed(pm):
    contract = _owner().get(id="ctr_owner_fixed_300")
    contract.milestones.create(number=2, name="Extra", description="More.", amount_usd=100)
    _touch(contract)
    assert "Over-committed" in badges(rows(listing(pm))["ctr_owner_fixed_300"])


def test_the_needs_attention_filter_keeps_only_contracts_with_a_reason(pm):
    everything = rows(listing(pm))
    needing = {cid for cid, row in everything.items() if badges(row)}
    assert needing and needing != set(everything)

    html = listing(pm, attention="1")

    assert set(rows(html)) == needing
    assert 'id="id_attention" value="1" checked' in html


def test_sorting_by_title_goes_a_to_z_and_back(pm):
    titles = sorted(_owner().values_list("title", "id"))
    assert shown_order(listing(pm, sort="title")) == [cid for _, cid in titles]
    assert shown_order(listing(pm, sort="-title")) == [cid for _, cid in reversed(titles)]


def test_sorting_by_rate_puts_the_highest_first_and_contracts_without_a_rate_last(pm):
    order = shown_order(listing(pm, sort="-rate"))
    rates = dict(_owner().values_list("id", "rate_usd"))
    shown_rates = [rates[cid] for cid in order]
    assert shown_rates[-1] is None
    known = [rate for rate in shown_rates if rate is not None]
    assert known == sorted(known, reverse=True)
    assert shown_order(listing(pm, sort="rate"))[0] == min(
        (cid for cid in rates if rates[cid] is not None), key=rates.get
    )


def test_sorting_by_budget_left_puts_the_least_first(pm):
    order = shown_order(listing(pm, sort="budget"))
    left = dict(MirrorContract.objects.values_list("contract_id", "remaining_usd"))
    known = [left[cid] for cid in order if left[cid] is not None]
    assert known == sorted(known)
    assert order[0] == "ctr_owner_label_007"  # depleted: nothing left
    assert shown_order(listing(pm, sort="-budget"))[0] == max(
        (cid for cid in left if left[cid] is not None), key=left.get
    )


def test_sorting_by_last_activity_puts_the_latest_first(pm):
    _touch(_owner().get(id="ctr_owner_label_012"))
    assert shown_order(listing(pm, sort="-activity"))[0] == "ctr_owner_label_012"
    assert shown_order(listing(pm, sort="activity"))[-1] == "ctr_owner_label_012"


def test_sorting_by_attention_puts_the_most_urgent_first_and_the_calm_last(pm):
    html = listing(pm, sort="attention")
    order = shown_order(html)
    assert order[0] == "ctr_owner_label_007"  # budget depleted: the most urgent reason
    assert badges(rows(html)[order[-1]]) == []
    with_badges = [cid for cid in order if badges(rows(html)[cid])]
    assert order[: len(with_badges)] == with_badges


def test_the_default_order_is_newest_first(pm):
    created = _owner().order_by("-created_at", "id").values_list("id", flat=True)
    assert shown_order(listing(pm)) == list(created)


def test_an_unknown_sort_is_named_next_to_the_control_and_the_newest_come_first(pm):
    html = listing(pm, sort="cheapest")
    assert "“cheapest” is not a known order: showing the newest first." in unescape(html)
    assert 'name="sort" id="id_sort" aria-invalid="true"' in html
    assert shown_order(html) == shown_order(listing(pm))


def test_the_filters_show_what_was_chosen_and_only_that(pm):
    page = listing(pm, status="active", payment_type="PAY_PER_LABEL", sort="-rate")
    html = re.search(r'<form method="get"[^>]*class="filters".*?</form>', page, re.S).group(0)
    assert re.findall(r'<option value="([^"]*)" selected>', html) == [
        "active",
        "PAY_PER_LABEL",
        "-rate",
    ]
    assert '<option value="all">All</option>' in html
    assert html.count('<option value="') == len(filters.STATUS_CHOICES) + len(
        filters.MODEL_CHOICES
    ) + len(filters.SORTS)


def test_the_sorted_column_says_so_and_its_header_reverses_it_keeping_the_filters(pm):
    html = listing(pm, status="active", sort="title")
    header = re.search(r'<th scope="col" aria-sort="ascending" class="sortable">.*?</th>', html)
    assert header and ">Contract" in header.group(0)
    reverse = f'href="?{urlencode({"status": "active", "sort": "-title"})}"'
    assert reverse in unescape(header.group(0))
    assert html.count("aria-sort=") == 1
    rate = f'href="?{urlencode({"status": "active", "sort": "-rate"})}"'
    assert rate in unescape(html)


def test_the_pager_keeps_the_sort(pm, monkeypatch):
    monkeypatch.setattr(filters, "PAGE_SIZE", 4)
    html = listing(pm, sort="title", attention="1")
    assert 'href="?sort=title&amp;attention=1&amp;page=2"' in html


def test_past_the_count_cap_the_list_says_more_than_and_pages_on(pm, monkeypatch):
    monkeypatch.setattr(filters, "COUNT_CAP", 5)
    monkeypatch.setattr(filters, "PAGE_SIZE", 4)
    total = _owner().count()  # 11: more than 5
    first = listing(pm)
    assert "More than 5 contracts, page 1" in first
    assert 'href="?page=2"' in first
    assert "<span>Page 1</span>" in first  # no last page claimed
    last = listing(pm, page=3)
    assert len(rows(last)) == total - 8
    assert "Next page" not in last
    assert "Previous page" in last
    assert "<span>Page 3</span>" in last


def test_a_page_number_past_any_list_shows_the_last_page_counted_or_not(pm, monkeypatch):
    total = _owner().count()
    last = listing(pm, page=10**20)
    assert f"{total} contracts" in last
    assert len(rows(last)) == total
    monkeypatch.setattr(filters, "COUNT_CAP", 5)
    monkeypatch.setattr(filters, "PAGE_SIZE", 4)
    beyond = listing(pm, page=10**20)
    assert "More than 5 contracts, page 2" in beyond
    assert len(rows(beyond)) == 4


def test_editors_tick_active_contracts_for_milestones_together(pm):
    html = listing(pm)
    form = re.search(r'<form method="get" action="([^"]+)" id="pick".*?</form>', html, re.S)
    assert form.group(1) == "/milestones/batch/new/"
    boxes = re.findall(
        r'<input type="checkbox" name="contract" value="([^"]+)" id="[^"]+" aria-label="([^"]+)">',
        form.group(0),
    )
    active = dict(_owner().filter(status="active").values_list("id", "title"))
    assert dict(boxes) == {cid: f"Select {title}" for cid, title in active.items()}
    assert "Add milestones</button>" in form.group(0)


def test_viewers_get_no_checkboxes_and_no_batch_button(client, viewer):
    client.force_login(viewer)
    html = listing(client)
    assert 'name="contract"' not in html
    assert "Add milestones" not in html
    assert "data-new=" not in html


def test_contracts_mirrored_before_the_list_columns_get_them_from_their_stored_answer(pm):
    written_by_the_sync = rows(listing(pm))
    call_command("migrate", "mirror", "0001", verbosity=0)  # the mirror as it was
    call_command("migrate", "mirror", verbosity=0)  # the columns, filled from `data`
    # Going back to mirror 0001 also took out what depends on the mirror (the notifications'
    # tables): every app goes forward again, as the other tests need their tables.
    call_command("migrate", verbosity=0)

    shown = rows(listing(pm))
    assert shown == written_by_the_sync
    assert badges(shown["ctr_owner_label_007"]) == ["Budget depleted", "Work to review"]
    assert "$125.00 left" in shown["ctr_owner_hourly_1250"]
