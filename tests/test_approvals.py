"""Following an approval to its end from the mirror: confirm, decline, expiry, the approvals list,
and the live redraw when the worker applies a change."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from dashboard.models import Approval
from sandbox import models as sandbox_models
from sandbox.models import Account, Contract, Milestone
from tests.milestone_helpers import use_account
from tests.mirror_helpers import apply_approval, sync_account

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def _every_test_has_the_sandbox(sandbox):
    """Each test here talks to the seeded sandbox over HTTP."""


def _request(client, name, target_id, contract_id):
    """Ask for funding, a payout or an end; return the approval ID the dashboard stored."""
    response = client.post(reverse(name, args=[target_id]), {"contract": contract_id})
    assert response.status_code == 302, response.content.decode()
    return response["Location"].rstrip("/").rsplit("/", 1)[-1]


def _decide(client, approval_id, decision):
    """What the person does on OpenTrain's (here, the sandbox's) approval page."""
    url = reverse("sandbox:approval", args=[approval_id])
    response = client.post(url, {"decision": decision})
    assert response.status_code == 302


def _decided(client, approval_id, decision):
    """The person decides on OpenTrain, and the worker applies the approval event it sends."""
    _decide(client, approval_id, decision)
    apply_approval(approval_id)


def _redraw(client, approval_id, origin=""):
    """What an open page fetches when the mirror changed: the status block, or one row."""
    url = reverse("approval_detail", args=[approval_id]) + (f"?from={origin}" if origin else "")
    return client.get(url, **HTMX)


def test_a_pending_approval_redraws_itself_when_the_mirror_changes(sandbox, pm):
    approval_id = _request(pm, "milestone_fund", "ms_owner_hourly_38_1", "ctr_owner_hourly_38")

    response = _redraw(pm, approval_id)

    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="approval-status"')
    url = reverse("approval_detail", args=[approval_id])
    assert f'hx-get="{url}" hx-trigger="mirror-changed from:body"' in html
    assert 'hx-trigger="every 1s" hx-swap="none"' in html  # the version poller
    assert "Waiting for confirmation" in html


def test_confirmed_funding_shows_up_with_the_milestones_new_status(sandbox, pm):
    approval_id = _request(pm, "milestone_fund", "ms_owner_hourly_38_1", "ctr_owner_hourly_38")
    _decided(pm, approval_id, "confirm")

    html = _redraw(pm, approval_id).content.decode()

    milestone = Milestone.objects.get(id="ms_owner_hourly_38_1")
    assert milestone.status == "ACTIVE_FUNDED"
    assert milestone.invoice_id
    assert "Confirmed in OpenTrain" in html
    assert "The milestone is now:" in html
    assert "Active and funded" in html
    assert milestone.invoice_id in html
    assert Approval.objects.get(approval_id=approval_id).status == "confirmed"


def test_fund_confirm_then_payout_confirm_ends_paid(sandbox, pm):
    fund = _request(pm, "milestone_fund", "ms_owner_hourly_38_1", "ctr_owner_hourly_38")
    _decided(pm, fund, "confirm")

    payout = _request(pm, "milestone_approve", "ms_owner_hourly_38_1", "ctr_owner_hourly_38")
    _decided(pm, payout, "confirm")
    html = _redraw(pm, payout).content.decode()

    assert Milestone.objects.get(id="ms_owner_hourly_38_1").status == "PAID"
    assert "The payout is released to the AI trainer." in html
    assert '<span class="badge badge-paid">Paid</span>' in html
    page = pm.get(reverse("contract_detail", args=["ctr_owner_hourly_38"])).content.decode()
    assert ">Paid</span>" in page


def test_a_confirmed_contract_end_shows_the_contract_ended(sandbox, pm):
    approval_id = _request(pm, "contract_end", "ctr_owner_hourly_1250", "ctr_owner_hourly_1250")
    _decided(pm, approval_id, "confirm")

    html = _redraw(pm, approval_id).content.decode()

    assert Contract.objects.get(id="ctr_owner_hourly_1250").status == "ended"
    assert "The contract is now:" in html
    assert '<span class="badge badge-ended">Ended</span>' in html


def test_the_contract_page_shows_a_confirmation_once_the_worker_applied_it(sandbox, pm):
    approval_id = _request(pm, "milestone_fund", "ms_owner_hourly_38_1", "ctr_owner_hourly_38")
    _decided(pm, approval_id, "confirm")

    page = pm.get(reverse("contract_detail", args=["ctr_owner_hourly_38"])).content.decode()

    assert "Active and funded" in page
    assert "Request payout approval" in page
    assert "Confirmed" in page


def test_the_row_endpoint_answers_one_row_for_its_table(sandbox, pm):
    approval_id = _request(pm, "milestone_fund", "ms_owner_hourly_38_1", "ctr_owner_hourly_38")
    row = reverse("approval_row", args=[approval_id])

    in_list = pm.get(row + "?from=list", **HTMX).content.decode()
    on_contract = pm.get(row + "?from=contract", **HTMX).content.decode()

    assert in_list.lstrip().startswith(f'<tr id="approval-{approval_id}"')
    assert 'data-label="Contract"' in in_list
    assert on_contract.lstrip().startswith(f'<tr id="approval-{approval_id}"')
    assert 'data-label="Contract"' not in on_contract
    assert "Waiting for confirmation" in on_contract


def test_a_declined_approval_changes_nothing(sandbox, pm):
    approval_id = _request(pm, "milestone_fund", "ms_owner_hourly_38_1", "ctr_owner_hourly_38")
    _decided(pm, approval_id, "decline")

    html = _redraw(pm, approval_id).content.decode()

    assert "Declined in OpenTrain. Nothing changed" in html
    assert Milestone.objects.get(id="ms_owner_hourly_38_1").status == "NOT_FUNDED"
    page = pm.get(reverse("contract_detail", args=["ctr_owner_hourly_38"])).content.decode()
    assert "Not funded" in page
    assert "Request funding" in page


def test_an_approval_past_its_expiry_turns_expired(sandbox, pm):
    approval_id = _request(pm, "milestone_fund", "ms_owner_hourly_38_1", "ctr_owner_hourly_38")
    past = timezone.now() - timedelta(minutes=1)
    sandbox_models.Approval.objects.filter(id=approval_id).update(expires_at=past)
    apply_approval(approval_id)

    html = _redraw(pm, approval_id).content.decode()

    assert "Expired before anyone confirmed it" in html
    assert Approval.objects.get(approval_id=approval_id).status == "expired"
    again = _request(pm, "milestone_fund", "ms_owner_hourly_38_1", "ctr_owner_hourly_38")
    assert again != approval_id


def test_a_failed_sync_says_so_and_keeps_the_last_known_status(sandbox, pm):
    approval_id = _request(pm, "milestone_fund", "ms_owner_hourly_38_1", "ctr_owner_hourly_38")
    Account.objects.filter(key="owner").update(fault="GET:503")
    sync_account()

    response = _redraw(pm, approval_id)

    html = response.content.decode()
    assert response.status_code == 200
    assert "The last sync with OpenTrain failed" in html
    assert "Waiting for confirmation" in html
    assert Approval.objects.get(approval_id=approval_id).status == "pending"


def test_viewing_an_approval_never_asks_opentrain(sandbox, pm, upstream_calls):
    approval_id = _request(pm, "milestone_fund", "ms_owner_hourly_38_1", "ctr_owner_hourly_38")
    _decided(pm, approval_id, "decline")
    upstream_calls.clear()

    html = _redraw(pm, approval_id, origin="list").content.decode()
    pm.get(reverse("approval_detail", args=[approval_id]))

    assert "Declined" in html
    assert [c for c in upstream_calls.routes() if "/approvals/" in c[1]] == []


def test_the_approval_page_works_without_javascript(sandbox, pm):
    approval_id = _request(pm, "milestone_fund", "ms_owner_hourly_38_1", "ctr_owner_hourly_38")
    _decided(pm, approval_id, "confirm")

    response = pm.get(reverse("approval_detail", args=[approval_id]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Fund milestone: #1 First 20 hours</h1>" in html
    assert "Confirmed in OpenTrain" in html
    assert "Active and funded" in html


def test_an_approval_the_dashboard_never_asked_for_is_not_found(sandbox, pm):
    response = pm.get(reverse("approval_detail", args=["apr_unknown"]))

    assert response.status_code == 404


def test_the_approvals_list_puts_pending_first_then_newest(sandbox, pm):
    older = _request(pm, "milestone_fund", "ms_owner_hourly_38_1", "ctr_owner_hourly_38")
    payout = _request(pm, "milestone_approve", "ms_owner_hourly_1250_2", "ctr_owner_hourly_1250")
    newest = _request(pm, "milestone_fund", "ms_owner_label_035_1", "ctr_owner_label_035")
    _decided(pm, payout, "confirm")

    html = pm.get(reverse("approval_list")).content.decode()

    order = [html.index(f'id="approval-{a}"') for a in (newest, older, payout)]
    assert order == sorted(order)
    assert "Medical Transcript QA (hourly)" in html
    assert "Code Review Annotations (per label)" in html
    assert 'hx-trigger="mirror-changed from:body" hx-select="#live"' in html


def test_viewers_can_follow_approvals(sandbox, pm, viewer):
    approval_id = _request(pm, "milestone_fund", "ms_owner_hourly_38_1", "ctr_owner_hourly_38")
    pm.force_login(viewer)

    assert approval_id in pm.get(reverse("approval_list")).content.decode()
    assert pm.get(reverse("approval_detail", args=[approval_id])).status_code == 200


def test_an_approval_asked_with_another_sandbox_account_still_shows_its_latest_status(sandbox, pm):
    approval_id = _request(pm, "milestone_fund", "ms_owner_hourly_38_1", "ctr_owner_hourly_38")
    use_account(pm, "readonly")
    _decided(pm, approval_id, "confirm")  # the worker follows it with the owner's token

    html = _redraw(pm, approval_id, origin="list").content.decode()

    assert "Confirmed" in html
