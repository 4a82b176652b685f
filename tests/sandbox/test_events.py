"""What each change writes to the feed: payments pending, approvals resolved, contracts ended;
and GET /payments/pending, fed by the approvals still waiting on a human."""

from datetime import timedelta

import pytest
from django.utils import timezone

from sandbox.models import Account, Approval, Token

from .conftest import assert_envelope, ctr, feed, ms

pytestmark = pytest.mark.django_db(transaction=True)

FUND = f"/milestones/{ms('hourly_38', 1)}/fund"


def _events(live_api):
    return [(e["type"], e["data"]) for e in feed(live_api)["events"]]


def _decide(signed_in, approval_id, decision):
    signed_in.post(f"/sandbox/approvals/{approval_id}/", {"decision": decision})


def test_a_funding_request_is_a_pending_payment_until_a_human_confirms_it(live_api, signed_in):
    approval = live_api("POST", FUND).json()["approval"]
    [payment] = live_api("GET", "/payments/pending").json()["payments"]
    assert payment["id"].startswith("inv_")
    assert {k: v for k, v in payment.items() if k not in ("id", "createdAt")} == {
        "status": "PENDING_FUNDING",
        "invoiceKind": "FUNDING",
        "viewerRole": "EMPLOYER",
        "amountUsd": 760,
        "invoiceNumber": "SBX-" + payment["id"].removeprefix("inv_")[:8].upper(),
        "job": {"id": "job_owner_hourly_38", "title": "RLHF Preference Ranking (hourly)"},
        "milestone": {"id": ms("hourly_38", 1), "name": "First 20 hours"},
    }

    _decide(signed_in, approval["id"], "confirm")

    assert live_api("GET", "/payments/pending").json() == {"payments": []}
    assert _events(live_api) == [
        (
            "payment.pending",
            {
                "invoiceId": payment["id"],
                "milestoneId": ms("hourly_38", 1),
                "contractId": ctr("hourly_38"),
            },
        ),
        (
            "milestone.status_changed",
            {
                "milestoneId": ms("hourly_38", 1),
                "contractId": ctr("hourly_38"),
                "status": "ACTIVE_FUNDED",
            },
        ),
        ("approval.confirmed", {"approvalId": approval["id"], "status": "confirmed"}),
    ]
    result = live_api("GET", f"/approvals/{approval['id']}").json()["approval"]["result"]
    assert result["invoiceId"] == payment["id"]


def test_asking_again_for_the_same_funding_adds_no_event(live_api):
    live_api("POST", FUND)
    live_api("POST", FUND)
    assert [kind for kind, _ in _events(live_api)] == ["payment.pending"]


def test_a_payout_request_waits_on_the_funding_invoice_and_pays_on_confirmation(
    live_api, signed_in
):
    approval = live_api("POST", f"/milestones/{ms('fixed_300', 1)}/approve").json()["approval"]
    [payment] = live_api("GET", "/payments/pending").json()["payments"]
    assert (payment["id"], payment["status"]) == ("inv_owner_fixed_300_1", "PENDING_PAYOUT")

    _decide(signed_in, approval["id"], "confirm")

    assert (
        "milestone.status_changed",
        {
            "milestoneId": ms("fixed_300", 1),
            "contractId": ctr("fixed_300"),
            "status": "PAID",
        },
    ) in _events(live_api)


def test_a_declined_approval_fires_approval_confirmed_with_its_status(live_api, signed_in):
    approval = live_api("POST", FUND).json()["approval"]
    _decide(signed_in, approval["id"], "decline")
    assert _events(live_api)[-1] == (
        "approval.confirmed",
        {"approvalId": approval["id"], "status": "declined"},
    )
    assert live_api("GET", "/payments/pending").json() == {"payments": []}


def test_an_expired_approval_fires_approval_confirmed_when_it_is_read(live_api):
    approval = live_api("POST", FUND).json()["approval"]
    Approval.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert live_api("GET", "/payments/pending").json() == {"payments": []}

    live_api("GET", f"/approvals/{approval['id']}")

    assert _events(live_api)[-1] == (
        "approval.confirmed",
        {"approvalId": approval["id"], "status": "expired"},
    )


def test_ending_a_contract_with_nothing_funded_emits_contract_ended(live_api):
    live_api("POST", f"/contracts/{ctr('fixed_450')}/end")
    [event] = feed(live_api)["events"]
    assert event["type"] == "contract.ended"
    assert event["resourceId"] == ctr("fixed_450")
    assert event["data"]["status"] == "ended"
    assert event["data"]["endDate"].endswith("Z")


def test_a_confirmed_contract_end_emits_contract_ended(live_api, signed_in):
    approval = live_api("POST", f"/contracts/{ctr('fixed_300')}/end").json()["approval"]
    _decide(signed_in, approval["id"], "confirm")
    assert [kind for kind, _ in _events(live_api)] == ["contract.ended", "approval.confirmed"]


def test_pending_payments_need_payments_read(live_api):
    token = Token.objects.create(
        account=Account.objects.get(key="owner"),
        public_id="jobsonly",
        value="ot_pat_jobsonly_x",
        scopes=["jobs:read"],
    )
    response = live_api("GET", "/payments/pending", token=token.value)
    assert_envelope(response, 403, "FORBIDDEN", requiredScopes=["payments:read"])
