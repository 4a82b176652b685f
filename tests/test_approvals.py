"""Following an approval to its end: polling, confirm, decline, expiry, and the approvals list."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from dashboard.models import Approval
from sandbox import models as sandbox_models
from sandbox.models import Account, Contract, Milestone

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


def _poll(client, approval_id, origin=""):
    url = reverse("approval_detail", args=[approval_id]) + (f"?from={origin}" if origin else "")
    return client.get(url, **HTMX)


def test_a_pending_approval_polls_itself(sandbox, pm):
    approval_id = _request(pm, "milestone_fund", "ms_owner_hourly_38_1", "ctr_owner_hourly_38")

    response = _poll(pm, approval_id)

    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="approval-status"')
    url = reverse("approval_detail", args=[approval_id])
    assert f'hx-get="{url}" hx-trigger="every 3s"' in html
    assert "Waiting for confirmation" in html


def test_confirmed_funding_shows_up_with_the_milestones_new_status(sandbox, pm):
    approval_id = _request(pm, "milestone_fund", "ms_owner_hourly_38_1", "ctr_owner_hourly_38")
    _decide(pm, approval_id, "confirm")

    html = _poll(pm, approval_id).content.decode()

    milestone = Milestone.objects.get(id="ms_owner_hourly_38_1")
    assert milestone.status == "ACTIVE_FUNDED"
    assert milestone.invoice_id
    assert "Confirmed in OpenTrain" in html
    assert "The milestone is now:" in html
    assert "Active and funded" in html
    assert milestone.invoice_id in html
    assert "hx-trigger" not in html
    assert Approval.objects.get(approval_id=approval_id).status == "confirmed"


def test_fund_confirm_then_payout_confirm_ends_paid(sandbox, pm):
    fund = _request(pm, "milestone_fund", "ms_owner_hourly_38_1", "ctr_owner_hourly_38")
    _decide(pm, fund, "confirm")
    _poll(pm, fund)

    payout = _request(pm, "milestone_approve", "ms_owner_hourly_38_1", "ctr_owner_hourly_38")
    _decide(pm, payout, "confirm")
    html = _poll(pm, payout).content.decode()

    assert Milestone.objects.get(id="ms_owner_hourly_38_1").status == "PAID"
    assert "The payout is released to the AI trainer." in html
    assert '<span class="badge badge-paid">Paid</span>' in html
    page = pm.get(reverse("contract_detail", args=["ctr_owner_hourly_38"])).content.decode()
    assert ">Paid</span>" in page


def test_a_confirmed_contract_end_shows_the_contract_ended(sandbox, pm):
    approval_id = _request(pm, "contract_end", "ctr_owner_hourly_1250", "ctr_owner_hourly_1250")
    _decide(pm, approval_id, "confirm")

    html = _poll(pm, approval_id).content.decode()

    assert Contract.objects.get(id="ctr_owner_hourly_1250").status == "ended"
    assert "The contract is now:" in html
    assert '<span class="badge badge-ended">Ended</span>' in html


def test_the_contract_page_row_reloads_the_page_when_it_turns_final(sandbox, pm):
    approval_id = _request(pm, "milestone_fund", "ms_owner_hourly_38_1", "ctr_owner_hourly_38")
    pending = _poll(pm, approval_id, origin="contract")
    _decide(pm, approval_id, "confirm")

    final = _poll(pm, approval_id, origin="contract")

    assert pending.content.decode().lstrip().startswith(f'<tr id="approval-{approval_id}"')
    assert "HX-Refresh" not in pending
    assert final["HX-Refresh"] == "true"
    assert "Confirmed" in final.content.decode()
    assert "hx-trigger" not in final.content.decode()
    page = pm.get(reverse("contract_detail", args=["ctr_owner_hourly_38"])).content.decode()
    assert "Active and funded" in page
    assert "Request payout approval" in page


def test_the_row_endpoint_answers_one_row_for_the_table_that_polls_it(sandbox, pm):
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
    _decide(pm, approval_id, "decline")

    html = _poll(pm, approval_id).content.decode()

    assert "Declined in OpenTrain. Nothing changed" in html
    assert "hx-trigger" not in html
    assert Milestone.objects.get(id="ms_owner_hourly_38_1").status == "NOT_FUNDED"
    page = pm.get(reverse("contract_detail", args=["ctr_owner_hourly_38"])).content.decode()
    assert "Not funded" in page
    assert "Request funding" in page


def test_an_approval_past_its_expiry_turns_expired(sandbox, pm):
    approval_id = _request(pm, "milestone_fund", "ms_owner_hourly_38_1", "ctr_owner_hourly_38")
    past = timezone.now() - timedelta(minutes=1)
    sandbox_models.Approval.objects.filter(id=approval_id).update(expires_at=past)

    html = _poll(pm, approval_id).content.decode()

    assert "Expired before anyone confirmed it" in html
    assert "hx-trigger" not in html
    assert Approval.objects.get(approval_id=approval_id).status == "expired"
    again = _request(pm, "milestone_fund", "ms_owner_hourly_38_1", "ctr_owner_hourly_38")
    assert again != approval_id


def test_a_failed_poll_says_so_and_keeps_polling(sandbox, pm):
    approval_id = _request(pm, "milestone_fund", "ms_owner_hourly_38_1", "ctr_owner_hourly_38")
    Account.objects.filter(key="owner").update(fault="GET:503")

    response = _poll(pm, approval_id)

    html = response.content.decode()
    assert response.status_code == 200
    assert "Could not check OpenTrain just now" in html
    assert 'hx-trigger="every 3s"' in html
    assert Approval.objects.get(approval_id=approval_id).status == "pending"


def test_a_final_approval_is_not_asked_for_again(sandbox, pm):
    approval_id = _request(pm, "milestone_fund", "ms_owner_hourly_38_1", "ctr_owner_hourly_38")
    _decide(pm, approval_id, "decline")
    _poll(pm, approval_id)
    Account.objects.filter(key="owner").update(fault="GET:503")

    html = _poll(pm, approval_id, origin="list").content.decode()

    assert "Declined" in html
    assert "Could not check OpenTrain" not in html


def test_the_approval_page_works_without_javascript(sandbox, pm):
    approval_id = _request(pm, "milestone_fund", "ms_owner_hourly_38_1", "ctr_owner_hourly_38")
    _decide(pm, approval_id, "confirm")

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
    _decide(pm, payout, "confirm")
    _poll(pm, payout)

    html = pm.get(reverse("approval_list")).content.decode()

    order = [html.index(f'id="approval-{a}"') for a in (newest, older, payout)]
    assert order == sorted(order)
    assert "Medical Transcript QA (hourly)" in html
    assert "Code Review Annotations (per label)" in html
    assert f'hx-get="{reverse("approval_detail", args=[older])}?from=list"' in html
    assert f'hx-get="{reverse("approval_detail", args=[payout])}' not in html


def test_viewers_can_follow_approvals(sandbox, pm, viewer):
    approval_id = _request(pm, "milestone_fund", "ms_owner_hourly_38_1", "ctr_owner_hourly_38")
    pm.force_login(viewer)

    assert approval_id in pm.get(reverse("approval_list")).content.decode()
    assert pm.get(reverse("approval_detail", args=[approval_id])).status_code == 200


def test_an_approval_asked_with_another_sandbox_account_is_not_polled_until_switching_back(
    sandbox, pm, upstream_calls
):
    approval_id = _request(pm, "milestone_fund", "ms_owner_hourly_38_1", "ctr_owner_hourly_38")
    pm.post(reverse("switch_sandbox_account"), {"account": "readonly"})
    upstream_calls.clear()

    html = _poll(pm, approval_id, origin="list").content.decode()

    assert "Asked with another OpenTrain token" in html
    assert "hx-trigger" not in html
    assert ("GET", f"/approvals/{approval_id}") not in upstream_calls.routes()
    pm.post(reverse("switch_sandbox_account"), {"account": "owner"})
    html = _poll(pm, approval_id, origin="list").content.decode()
    assert 'hx-trigger="every 3s"' in html
    assert ("GET", f"/approvals/{approval_id}") in upstream_calls.routes()
