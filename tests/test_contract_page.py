"""The contract page: header, budget, milestone timeline, stored approvals, upstream failures."""

import re

import pytest
from django.urls import reverse

from dashboard.models import Approval
from sandbox.models import Account, Milestone
from tests.mirror_helpers import refresh_contract, sync_account


@pytest.fixture(autouse=True)
def _every_test_has_the_sandbox(sandbox):
    """Each test here talks to the seeded sandbox over HTTP."""


def _page(client, contract_id):
    response = client.get(reverse("contract_detail", args=[contract_id]))
    return response, response.content.decode()


def _milestone(html, milestone_id):
    """The HTML of one milestone in the timeline."""
    match = re.search(rf'<li id="milestone-{milestone_id}".*?</li>', html, re.S)
    assert match, f"milestone {milestone_id} is not on the page"
    return match.group(0)


def test_it_shows_the_contract_header(sandbox, pm):
    response, html = _page(pm, "ctr_owner_hourly_1250")

    assert response.status_code == 200
    assert "<h1>Medical Transcript QA (hourly)</h1>" in html
    assert 'href="https://app.opentrain.ai/profile/aisha-k"' in html
    assert "Aisha K." in html
    assert "Kenya" in html
    assert "Hourly" in html
    assert "$12.50 / hour" in html
    assert '<span class="badge badge-active">Active</span>' in html
    assert "7 Jun 2026" in html
    assert "$1,500.00" in html
    assert "120 hours" in html


def test_it_shows_the_budget_with_a_low_state_and_a_progress_bar(sandbox, pm):
    _, html = _page(pm, "ctr_owner_hourly_1250")

    assert "$1,000.00 · 80 hours" in html
    assert "<dt>Used</dt><dd>70 hours</dd>" in html
    assert "<dt>Remaining</dt><dd>10 hours</dd>" in html
    assert '<span class="badge badge-low">LOW</span>' in html
    assert re.search(r'<progress [^>]*max="1" value="0\.875"', html)
    assert "Weeks 3-4 · $500.00 · Active and funded" in html
    assert '<time data-local datetime="2026-06-10T09:30:00+00:00">' in html


def test_it_shows_a_depleted_per_label_budget_in_labels(sandbox, pm):
    _, html = _page(pm, "ctr_owner_label_007")

    assert '<span class="badge badge-depleted">DEPLETED</span>' in html
    assert "<dt>Used</dt><dd>10,000 labels</dd>" in html
    assert "<dt>Remaining</dt><dd>0 labels</dd>" in html


def test_it_shows_each_milestone_with_its_status_in_words(sandbox, pm):
    _, html = _page(pm, "ctr_owner_hourly_1250")

    paid = _milestone(html, "ms_owner_hourly_1250_1")
    assert "#1" in paid and "Weeks 1-2" in paid
    assert "Weeks 1-2: deliver per the guidelines in the job post." in paid
    assert "$500.00" in paid and "40 hours" in paid and "1 Jun 2026" in paid
    assert ">Paid</span>" in paid
    funded = _milestone(html, "ms_owner_hourly_1250_2")
    assert ">Active and funded</span>" in funded
    assert "29 Jun 2026" in funded


def test_it_shows_not_funded_in_words(sandbox, pm):
    _, html = _page(pm, "ctr_owner_hourly_38")

    assert ">Not funded</span>" in _milestone(html, "ms_owner_hourly_38_1")


def test_it_badges_pending_approval_and_needs_review(sandbox, pm):
    _, html = _page(pm, "ctr_owner_fixed_1250")

    full = _milestone(html, "ms_owner_fixed_1250_2")
    assert "Pending approval" in full
    assert "Needs review" in full
    assert "Pending approval" not in _milestone(html, "ms_owner_fixed_1250_1")


def test_it_shows_an_unknown_milestone_status_as_it_came(sandbox, pm):
    Milestone.objects.filter(id="ms_owner_hourly_38_1").update(status="ON_HOLD_REVIEW")
    refresh_contract("ctr_owner_hourly_38")

    _, html = _page(pm, "ctr_owner_hourly_38")

    assert ">ON_HOLD_REVIEW</span>" in _milestone(html, "ms_owner_hourly_38_1")


def test_it_links_to_the_milestone_form_on_an_active_contract(sandbox, pm):
    _, html = _page(pm, "ctr_owner_hourly_38")

    assert f'href="{reverse("milestone_create", args=["ctr_owner_hourly_38"])}"' in html


def test_it_offers_no_new_milestone_or_end_on_an_ended_contract(sandbox, pm):
    _, html = _page(pm, "ctr_owner_ended")

    assert ">Ended</span>" in html
    assert reverse("milestone_create", args=["ctr_owner_ended"]) not in html
    assert "End contract" not in html
    assert "Request payout approval" not in html


def test_it_offers_the_action_that_fits_each_milestone(sandbox, pm):
    _, html = _page(pm, "ctr_owner_hourly_1250")

    assert "Request payout approval" in _milestone(html, "ms_owner_hourly_1250_2")
    assert "Request" not in _milestone(html, "ms_owner_hourly_1250_1")
    assert f'href="{reverse("contract_end", args=["ctr_owner_hourly_1250"])}"' in html
    _, html = _page(pm, "ctr_owner_hourly_38")
    funding = reverse("milestone_fund", args=["ms_owner_hourly_38_1"])
    assert f'href="{funding}?contract=ctr_owner_hourly_38"' in html


def test_viewers_see_the_contract_but_no_action_buttons(sandbox, client, viewer):
    client.force_login(viewer)

    response, html = _page(client, "ctr_owner_hourly_1250")

    assert response.status_code == 200
    assert "Medical Transcript QA (hourly)" in html
    assert "Request payout approval" not in html
    assert "End contract" not in html
    assert reverse("milestone_create", args=["ctr_owner_hourly_1250"]) not in html


def test_it_shows_a_missing_contract_in_words(sandbox, pm):
    response, html = _page(pm, "ctr_does_not_exist")

    assert response.status_code == 404
    assert "Not found on this OpenTrain account" in html
    assert 'class="site-header"' in html  # the dashboard's page, not a bare error


def test_an_upstream_failure_during_the_sync_is_shown_in_words_over_the_last_good_copy(sandbox, pm):
    Account.objects.filter(key="owner").update(fault="GET:503")
    sync_account()

    response, html = _page(pm, "ctr_owner_hourly_1250")

    assert response.status_code == 200
    assert "<h1>Medical Transcript QA (hourly)</h1>" in html
    assert "The last sync with OpenTrain failed" in html
    assert "OpenTrain is not answering properly" in html
    assert re.search(r"Request ID for support: <code>[0-9a-f-]{36}</code>", html)


def test_a_timeout_during_the_sync_is_shown_in_words(sandbox, pm, settings):
    settings.OT_API_TIMEOUT = 0.3
    Account.objects.filter(key="owner").update(fault="GET:hang=1")
    sync_account()

    response, html = _page(pm, "ctr_owner_hourly_1250")

    assert response.status_code == 200
    assert "OpenTrain did not answer in time." in html


def test_it_lists_the_approvals_requested_for_this_contract(sandbox, pm):
    pm.post(
        reverse("milestone_fund", args=["ms_owner_hourly_38_1"]),
        {"contract": "ctr_owner_hourly_38"},
    )
    row = Approval.objects.get()

    _, html = _page(pm, "ctr_owner_hourly_38")

    assert f'id="approval-{row.approval_id}"' in html
    assert "Waiting for confirmation" in html
    milestone = _milestone(html, "ms_owner_hourly_38_1")
    assert "Fund milestone requested: waiting for confirmation" in milestone
    assert "Request funding" not in milestone


def test_it_does_not_list_other_contracts_approvals(sandbox, pm):
    pm.post(
        reverse("milestone_fund", args=["ms_owner_hourly_38_1"]),
        {"contract": "ctr_owner_hourly_38"},
    )

    _, html = _page(pm, "ctr_owner_hourly_1250")

    assert "approval-apr_" not in html
    assert "None yet." in html
