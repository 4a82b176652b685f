"""The human pages standing in for the OpenTrain app: claim, approval, billing."""

from datetime import timedelta

import pytest
from django.utils import timezone

from sandbox.demo import NOBILLING_TOKEN, UNCLAIMED_TOKEN
from sandbox.models import Account, Approval, Contract, Milestone

from .conftest import assert_envelope, ctr, ms

pytestmark = pytest.mark.django_db

CLAIM_URL = "/sandbox/claim/ot_cat_sandbox_unclaimed/"


def _request(api, path, token=None):
    response = api("POST", path, **({"token": token} if token else {}))
    assert response.status_code == 202, response.content
    return response.json()["approval"]


def _decide(signed_in, approval, decision):
    return signed_in.post(
        f"/sandbox/approvals/{approval['id']}/", {"decision": decision}, follow=True
    )


def test_the_pages_need_a_signed_in_person(client, seeded):
    response = client.get(CLAIM_URL)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_claim_page_names_the_account(signed_in):
    response = signed_in.get(CLAIM_URL)
    assert response.status_code == 200
    assert "Agent workspace (unclaimed)" in response.text
    assert "Claim this account" in response.text


def test_claiming_unlocks_milestone_writes(signed_in, api):
    path = f"/contracts/{ctr('fixed_300', 'unclaimed')}/milestones"
    body = {"description": "After the claim", "amountUsd": 50}
    assert api("POST", path, token=UNCLAIMED_TOKEN, body=body).status_code == 403

    response = signed_in.post(CLAIM_URL, follow=True)

    assert "Account claimed. You can close this tab and go back to the dashboard." in (
        response.text
    )
    assert Account.objects.get(key="unclaimed").claimed is True
    assert api("POST", path, token=UNCLAIMED_TOKEN, body=body).status_code == 201


def test_an_unknown_claim_token_is_not_found(signed_in):
    assert signed_in.get("/sandbox/claim/ot_cat_nope/").status_code == 404


def test_the_approval_page_says_what_is_asked(signed_in, api):
    approval = _request(api, f"/milestones/{ms('hourly_38', 1)}/fund")
    response = signed_in.get(f"/sandbox/approvals/{approval['id']}/")
    assert response.status_code == 200
    for text in ("Fund a milestone", "RLHF Preference Ranking (hourly)", "First 20 hours"):
        assert text in response.text
    assert "$760.00" in response.text
    assert "pending" in response.text
    assert 'value="confirm"' in response.text
    assert 'value="decline"' in response.text


def test_confirming_a_funding_request_funds_the_milestone(signed_in, api):
    approval = _request(api, f"/milestones/{ms('hourly_38', 1)}/fund")
    response = _decide(signed_in, approval, "confirm")
    assert "Confirmed." in response.text
    milestone = Milestone.objects.get(id=ms("hourly_38", 1))
    assert milestone.status == "ACTIVE_FUNDED"
    assert milestone.invoice_id.startswith("inv_")
    read = api("GET", f"/approvals/{approval['id']}").json()["approval"]
    assert read["status"] == "confirmed"
    assert read["resolvedAt"] is not None
    assert read["result"]["invoiceId"] == milestone.invoice_id
    assert read["result"]["paymentIntentId"].startswith("pi_")


def test_confirming_a_release_pays_the_milestone(signed_in, api):
    approval = _request(api, f"/milestones/{ms('fixed_300', 1)}/approve")
    _decide(signed_in, approval, "confirm")
    assert Milestone.objects.get(id=ms("fixed_300", 1)).status == "PAID"
    result = api("GET", f"/approvals/{approval['id']}").json()["approval"]["result"]
    assert result["invoiceId"] == "inv_owner_fixed_300_1"
    assert result["payoutTransactionId"].startswith("po_")


def test_confirming_a_contract_end_ends_the_contract(signed_in, api):
    approval = _request(api, f"/contracts/{ctr('fixed_300')}/end")
    _decide(signed_in, approval, "confirm")
    contract = Contract.objects.get(id=ctr("fixed_300"))
    assert contract.status == "ended"
    assert contract.end_date is not None
    result = api("GET", f"/approvals/{approval['id']}").json()["approval"]["result"]
    assert result == {"contractEnded": True}


def test_declining_changes_nothing_but_the_approval(signed_in, api):
    approval = _request(api, f"/milestones/{ms('hourly_38', 1)}/fund")
    response = _decide(signed_in, approval, "decline")
    assert "Declined. Nothing was changed." in response.text
    assert Milestone.objects.get(id=ms("hourly_38", 1)).status == "NOT_FUNDED"
    read = api("GET", f"/approvals/{approval['id']}").json()["approval"]
    assert read["status"] == "declined"
    assert read["result"] is None
    assert read["resolvedAt"] is not None


def test_an_expired_approval_cannot_be_confirmed(signed_in, api):
    approval = _request(api, f"/milestones/{ms('hourly_38', 1)}/fund")
    Approval.objects.filter(id=approval["id"]).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    response = _decide(signed_in, approval, "confirm")
    assert "has expired" in response.text
    assert Milestone.objects.get(id=ms("hourly_38", 1)).status == "NOT_FUNDED"
    assert Approval.objects.get(id=approval["id"]).status == "expired"


def test_a_resolved_approval_cannot_be_decided_again(signed_in, api):
    approval = _request(api, f"/milestones/{ms('hourly_38', 1)}/fund")
    _decide(signed_in, approval, "decline")
    response = _decide(signed_in, approval, "confirm")
    assert "already declined" in response.text
    assert Milestone.objects.get(id=ms("hourly_38", 1)).status == "NOT_FUNDED"


def test_after_a_confirmed_funding_a_new_request_is_not_fundable(signed_in, api):
    approval = _request(api, f"/milestones/{ms('hourly_38', 1)}/fund")
    _decide(signed_in, approval, "confirm")
    response = api("POST", f"/milestones/{ms('hourly_38', 1)}/fund")
    assert_envelope(response, 409, "CONFLICT", reason="milestone_not_fundable")


def test_adding_a_card_on_the_billing_page_allows_funding(signed_in, api):
    path = f"/milestones/{ms('hourly_38', 1, 'nobilling')}/fund"
    billing_url = api("POST", path, token=NOBILLING_TOKEN).json()["details"]["billingUrl"]
    page = signed_in.get(billing_url)
    assert "Add a test card" in page.text

    signed_in.post(billing_url)

    assert api("POST", path, token=NOBILLING_TOKEN).status_code == 202
