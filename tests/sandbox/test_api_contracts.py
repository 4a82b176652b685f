import pytest

from sandbox.demo import OWNER_TOKEN, UNCLAIMED_TOKEN
from sandbox.models import Milestone

from .conftest import assert_envelope, ctr, ms

pytestmark = pytest.mark.django_db


def _by_id(contracts):
    return {c["id"]: c for c in contracts}


def test_the_list_is_newest_first(api):
    contracts = api("GET", "/contracts").json()["contracts"]
    created = [c["createdAt"] for c in contracts]
    assert len(contracts) == 11
    assert created == sorted(created, reverse=True)


def test_a_list_entry_has_the_documented_shape(api):
    contract = _by_id(api("GET", "/contracts").json()["contracts"])[ctr("fixed_300")]
    assert contract == {
        "id": ctr("fixed_300"),
        "status": "active",
        "title": "Spanish Sentiment Labeling Contract",
        "jobId": "job_owner_fixed_300",
        "proposalId": "prop_owner_fixed_300",
        "paymentType": "FIXED_PRICE",
        "rateUsd": 300,
        "estimatedTotalUsd": 300,
        "estimatedVolume": None,
        "hasActiveMilestone": True,
        "startDate": "2026-06-12T09:30:00.000Z",
        "endDate": None,
        "createdAt": "2026-06-12T09:30:00.000Z",
        "updatedAt": "2026-06-12T10:30:00.000Z",
        "freelancer": {
            "userId": "usr_fl_maria-g",
            "displayName": "Maria G.",
            "country": "Spain",
            "profilePath": "/profile/maria-g",
        },
        "milestones": [
            {
                "id": ms("fixed_300", 1),
                "name": "First labeling batch",
                "description": "First labeling batch: deliver per the guidelines in the job post.",
                "status": "ACTIVE_FUNDED",
                "amountUsd": 300,
                "volume": None,
                "milestoneNumber": 1,
                "dueDate": "2026-07-01T00:00:00.000Z",
                "pendingApproval": False,
                "needsReview": False,
                "invoiceId": "inv_owner_fixed_300_1",
                "createdAt": "2026-06-12T10:30:00.000Z",
            }
        ],
    }


def test_sub_dollar_rates_are_json_numbers(api):
    response = api("GET", f"/contracts/{ctr('label_007')}")
    assert b'"rateUsd": 0.07' in response.content
    assert response.json()["contract"]["rateUsd"] == 0.07


def test_cancelled_and_refunded_milestones_are_hidden(api):
    contracts = _by_id(api("GET", "/contracts").json()["contracts"])
    statuses = [m["status"] for m in contracts[ctr("label_007")]["milestones"]]
    assert statuses == ["PAID", "ACTIVE_FUNDED"]
    assert [m["status"] for m in contracts[ctr("hourly_15")]["milestones"]] == ["ACTIVE_FUNDED"]


def test_the_list_filters_by_status(api):
    ended = api("GET", "/contracts?status=ended").json()["contracts"]
    active = api("GET", "/contracts?status=active").json()["contracts"]
    assert [c["id"] for c in ended] == [ctr("ended")]
    assert len(active) == 10
    assert all(c["status"] == "active" for c in active)


def test_an_unknown_status_is_a_bad_request(api):
    assert_envelope(api("GET", "/contracts?status=open"), 400, "BAD_REQUEST", field="status")


def test_the_list_filters_by_job(api):
    contracts = api("GET", "/contracts?jobId=job_owner_hourly_38").json()["contracts"]
    assert [c["id"] for c in contracts] == [ctr("hourly_38")]


def test_another_accounts_job_is_forbidden(api):
    assert_envelope(api("GET", "/contracts?jobId=job_unclaimed_hourly_38"), 403, "FORBIDDEN")


def test_an_unknown_job_is_not_found(api):
    assert_envelope(api("GET", "/contracts?jobId=job_nope"), 404, "NOT_FOUND")


def test_each_account_sees_only_its_own_contracts(api):
    ids = [c["id"] for c in api("GET", "/contracts", token=UNCLAIMED_TOKEN).json()["contracts"]]
    assert ids
    assert all(i.startswith("ctr_unclaimed_") for i in ids)


def test_the_detail_adds_the_conversation_and_budget(api):
    contract = api("GET", f"/contracts/{ctr('fixed_300')}").json()["contract"]
    assert contract["jobDmConversationId"] == "conv_owner_fixed_300"
    assert contract["budget"] == {
        "contractId": ctr("fixed_300"),
        "paymentType": "FIXED_PRICE",
        "state": "OK",
        "fundedVolume": 0,
        "fundedAmountUsd": 300,
        "consumed": {"seconds": 0, "hours": 0, "labels": 0, "tasks": 0},
        "consumedVolume": 0,
        "remainingVolume": 0,
        "consumedFraction": 0,
        "activeMilestone": {
            "id": ms("fixed_300", 1),
            "name": "First labeling batch",
            "amountUsd": 300,
            "volume": None,
            "status": "ACTIVE_FUNDED",
        },
        "lastUsageAt": None,
    }


def test_an_hourly_budget_at_87_percent_is_low(api):
    budget = api("GET", f"/contracts/{ctr('hourly_1250')}").json()["contract"]["budget"]
    assert budget["state"] == "LOW"
    assert budget["fundedVolume"] == 80
    assert budget["fundedAmountUsd"] == 1000
    assert budget["consumed"]["hours"] == 70
    assert budget["consumedVolume"] == 70
    assert budget["remainingVolume"] == 10
    assert budget["consumedFraction"] == 0.875


def test_a_per_label_budget_fully_used_is_depleted(api):
    budget = api("GET", f"/contracts/{ctr('label_007')}").json()["contract"]["budget"]
    assert budget["state"] == "DEPLETED"
    assert budget["fundedVolume"] == 10000
    assert budget["remainingVolume"] == 0
    assert budget["consumedFraction"] == 1


def test_a_budget_with_nothing_funded_is_ok(api):
    budget = api("GET", f"/contracts/{ctr('hourly_38')}").json()["contract"]["budget"]
    assert budget["state"] == "OK"
    assert budget["consumedFraction"] == 0
    assert budget["activeMilestone"] is None


def test_pending_approval_and_needs_review_are_shown(api):
    milestones = api("GET", f"/contracts/{ctr('fixed_1250')}").json()["contract"]["milestones"]
    assert milestones[1]["pendingApproval"] is True
    assert milestones[1]["needsReview"] is True


def test_another_accounts_contract_is_not_found(api):
    response = api("GET", f"/contracts/{ctr('fixed_300', 'unclaimed')}", token=OWNER_TOKEN)
    assert_envelope(response, 404, "NOT_FOUND")


def test_a_missing_contract_is_not_found(api):
    assert_envelope(api("GET", "/contracts/ctr_nope"), 404, "NOT_FOUND")


def test_the_seed_has_every_milestone_status(seeded):
    statuses = set(Milestone.objects.values_list("status", flat=True))
    assert statuses == {"NOT_FUNDED", "ACTIVE_FUNDED", "PAID", "CANCELLED", "REFUNDED"}
