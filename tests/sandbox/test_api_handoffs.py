"""Fund, approve, end, and reading approvals: the 202 handoffs a human confirms."""

from datetime import timedelta

import pytest
from django.utils import timezone

from sandbox.demo import NOBILLING_TOKEN, OWNER_TOKEN, UNCLAIMED_TOKEN
from sandbox.models import Approval, Contract, Milestone

from .conftest import assert_envelope, ctr, ms

pytestmark = pytest.mark.django_db

FUND_MESSAGE = (
    "Funding request recorded. A signed-in human must confirm this approval in the OpenTrain "
    "app before any money moves."
)


def test_funding_records_a_pending_approval(api):
    response = api("POST", f"/milestones/{ms('hourly_38', 1)}/fund")
    assert response.status_code == 202
    body = response.json()
    assert body["message"] == FUND_MESSAGE
    approval = body["approval"]
    assert approval["id"].startswith("apr_")
    assert approval["type"] == "milestone_fund"
    assert approval["status"] == "pending"
    assert approval["contractId"] == ctr("hourly_38")
    assert approval["milestoneId"] == ms("hourly_38", 1)
    assert approval["jobId"] == "job_owner_hourly_38"
    assert approval["proposalId"] is None
    assert approval["approvalUrl"] == f"http://testserver/sandbox/approvals/{approval['id']}/"
    assert approval["resolvedAt"] is None
    assert approval["result"] is None
    assert approval["expiresAt"] > approval["createdAt"]
    # No money moved.
    assert Milestone.objects.get(id=ms("hourly_38", 1)).status == "NOT_FUNDED"


def test_funding_again_returns_the_same_pending_approval(api):
    first = api("POST", f"/milestones/{ms('hourly_38', 1)}/fund").json()["approval"]
    second = api("POST", f"/milestones/{ms('hourly_38', 1)}/fund")
    assert second.status_code == 202
    assert second.json()["approval"]["id"] == first["id"]
    assert Approval.objects.count() == 1


def test_funding_after_the_pending_approval_expired_starts_a_new_one(api):
    first = api("POST", f"/milestones/{ms('hourly_38', 1)}/fund").json()["approval"]
    Approval.objects.filter(id=first["id"]).update(expires_at=timezone.now())
    second = api("POST", f"/milestones/{ms('hourly_38', 1)}/fund").json()["approval"]
    assert second["id"] != first["id"]
    assert Approval.objects.get(id=first["id"]).status == "expired"


@pytest.mark.parametrize("slug", ["fixed_300", "hourly_1250"])
def test_a_funded_or_paid_milestone_is_not_fundable(api, slug):
    number = 1
    response = api("POST", f"/milestones/{ms(slug, number)}/fund")
    assert_envelope(response, 409, "CONFLICT", reason="milestone_not_fundable")


def test_a_milestone_on_an_ended_contract_cannot_be_funded(api):
    Milestone.objects.filter(id=ms("ended", 1)).update(status="NOT_FUNDED")
    response = api("POST", f"/milestones/{ms('ended', 1)}/fund")
    assert_envelope(response, 409, "CONFLICT", reason="contract_ended")


def test_funding_without_a_payment_method_points_to_billing(api):
    response = api(
        "POST", f"/milestones/{ms('hourly_38', 1, 'nobilling')}/fund", token=NOBILLING_TOKEN
    )
    assert_envelope(
        response,
        409,
        "CONFLICT",
        reason="payment_method_required",
        billingUrl="http://testserver/sandbox/billing/org_sbx_nobilling/",
    )


def test_another_accounts_milestone_is_not_found(api):
    response = api("POST", f"/milestones/{ms('hourly_38', 1, 'nobilling')}/fund", token=OWNER_TOKEN)
    assert_envelope(response, 404, "NOT_FOUND")


def test_approving_a_funded_milestone_records_a_pending_approval(api):
    response = api("POST", f"/milestones/{ms('fixed_300', 1)}/approve")
    assert response.status_code == 202
    body = response.json()
    assert body["approval"]["type"] == "milestone_approve"
    assert body["message"].startswith("Release request recorded.")
    again = api("POST", f"/milestones/{ms('fixed_300', 1)}/approve").json()
    assert again["approval"]["id"] == body["approval"]["id"]


def test_an_unfunded_milestone_cannot_be_approved(api):
    response = api("POST", f"/milestones/{ms('hourly_38', 1)}/approve")
    assert_envelope(response, 409, "CONFLICT", reason="milestone_not_funded")


def test_ending_a_contract_with_nothing_funded_ends_it_now(api):
    response = api("POST", f"/contracts/{ctr('hourly_38')}/end")
    assert response.status_code == 200
    assert response.json() == {"ok": True, "contractId": ctr("hourly_38"), "status": "ended"}
    contract = Contract.objects.get(id=ctr("hourly_38"))
    assert contract.status == "ended"
    assert contract.end_date is not None


def test_ending_a_contract_with_funded_milestones_needs_a_human(api):
    response = api("POST", f"/contracts/{ctr('fixed_300')}/end")
    assert response.status_code == 202
    body = response.json()
    assert body["approval"]["type"] == "contract_end"
    assert body["approval"]["milestoneId"] is None
    assert "signed-in human must confirm ending it" in body["message"]
    again = api("POST", f"/contracts/{ctr('fixed_300')}/end").json()
    assert again["approval"]["id"] == body["approval"]["id"]
    assert Contract.objects.get(id=ctr("fixed_300")).status == "active"


def test_an_ended_contract_cannot_be_ended_again(api):
    response = api("POST", f"/contracts/{ctr('ended')}/end")
    assert_envelope(response, 409, "CONFLICT", reason="contract_ended")


def test_an_approval_can_be_read_back(api):
    created = api("POST", f"/milestones/{ms('hourly_38', 1)}/fund").json()["approval"]
    response = api("GET", f"/approvals/{created['id']}")
    assert response.status_code == 200
    assert response.json()["approval"] == created


def test_a_pending_approval_read_after_expiry_is_expired(api):
    created = api("POST", f"/milestones/{ms('hourly_38', 1)}/fund").json()["approval"]
    Approval.objects.filter(id=created["id"]).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    assert api("GET", f"/approvals/{created['id']}").json()["approval"]["status"] == "expired"
    assert Approval.objects.get(id=created["id"]).status == "expired"


def test_another_accounts_approval_is_not_found(api):
    created = api("POST", f"/milestones/{ms('hourly_38', 1)}/fund").json()["approval"]
    response = api("GET", f"/approvals/{created['id']}", token=UNCLAIMED_TOKEN)
    assert_envelope(response, 404, "NOT_FOUND", resource="approvals", approvalId=created["id"])
