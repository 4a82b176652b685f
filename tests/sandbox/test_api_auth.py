from datetime import timedelta

import pytest
from django.utils import timezone

from sandbox.demo import NOFEATURE_TOKEN, OWNER_TOKEN, READONLY_TOKEN, UNCLAIMED_TOKEN
from sandbox.models import Account, Token

from .conftest import assert_envelope, ctr, ms

pytestmark = pytest.mark.django_db


def test_a_request_without_a_token_is_unauthorized(api):
    assert_envelope(api("GET", "/contracts", token=None), 401, "UNAUTHORIZED")


def test_an_unknown_token_is_unauthorized(api):
    assert_envelope(api("GET", "/contracts", token="ot_pat_nope_nope"), 401, "UNAUTHORIZED")


def test_a_revoked_token_is_unauthorized(api):
    Token.objects.filter(value=OWNER_TOKEN).update(revoked=True)
    assert_envelope(api("GET", "/auth/me"), 401, "UNAUTHORIZED")


def test_an_expired_token_is_unauthorized(api):
    Token.objects.filter(value=OWNER_TOKEN).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert_envelope(api("GET", "/auth/me"), 401, "UNAUTHORIZED")


def test_a_non_bearer_authorization_header_is_unauthorized(api):
    response = api("GET", "/auth/me", token=None, headers={"Authorization": f"Basic {OWNER_TOKEN}"})
    assert_envelope(response, 401, "UNAUTHORIZED")


def test_every_error_gets_a_fresh_request_id(api):
    first = api("GET", "/auth/me", token=None).json()["requestId"]
    second = api("GET", "/auth/me", token=None).json()["requestId"]
    assert first != second


def test_auth_me_describes_the_actor_token_and_account(api):
    body = api("GET", "/auth/me").json()
    assert body["actor"] == {
        "userId": "usr_sbx_owner",
        "email": "mira.chen@northwind.example",
        "firstName": "Mira",
        "lastName": "Chen",
        "fullName": "Mira Chen",
        "userType": "EMPLOYER",
    }
    assert body["token"]["id"] == "sbxowner"
    assert "payments:write" in body["token"]["scopes"]
    assert body["token"]["ownerOrganizationId"] is None
    assert body["account"] == {
        "kind": "employer_organization",
        "organizationId": "org_sbx_owner",
        "ownerUserId": "usr_sbx_owner",
        "memberRole": "OWNER",
    }


def test_capabilities_report_payments_write_from_the_flag(api):
    assert api("GET", "/job-drafts/capabilities").json()["capabilities"]["paymentsWrite"] is True
    body = api("GET", "/job-drafts/capabilities", token=NOFEATURE_TOKEN).json()
    assert body["capabilities"]["paymentsWrite"] is False
    assert body["featureKey"] == "public_api_job_drafting"
    assert body["enabled"] is True


def test_capabilities_are_forbidden_when_job_drafting_is_off(api):
    Account.objects.filter(key="owner").update(job_drafting_enabled=False)
    assert_envelope(
        api("GET", "/job-drafts/capabilities"),
        403,
        "FORBIDDEN",
        featureKey="public_api_job_drafting",
        mode="OFF",
    )


def test_reading_contracts_needs_payments_read(api):
    Token.objects.filter(value=OWNER_TOKEN).update(scopes=["jobs:read"])
    assert_envelope(api("GET", "/contracts"), 403, "FORBIDDEN", requiredScopes=["payments:read"])


def test_payments_write_covers_payments_read(api):
    Token.objects.filter(value=OWNER_TOKEN).update(scopes=["payments:write"])
    assert api("GET", "/contracts").status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", f"/contracts/{ctr('fixed_300', 'readonly')}/milestones", {"description": "x"}),
        ("POST", f"/milestones/{ms('hourly_38', 1, 'readonly')}/fund", None),
        ("POST", f"/milestones/{ms('fixed_300', 1, 'readonly')}/approve", None),
        ("POST", f"/contracts/{ctr('fixed_300', 'readonly')}/end", None),
    ],
)
def test_money_writes_need_payments_write(api, method, path, body):
    response = api(method, path, token=READONLY_TOKEN, body=body)
    assert_envelope(response, 403, "FORBIDDEN", requiredScopes=["payments:write"])


def test_money_writes_are_forbidden_when_the_feature_is_off(api):
    response = api(
        "POST",
        f"/contracts/{ctr('fixed_300', 'nofeature')}/milestones",
        token=NOFEATURE_TOKEN,
        body={"description": "x", "amountUsd": 10},
    )
    assert_envelope(response, 403, "FORBIDDEN", featureKey="public_api_payments_write", mode="OFF")


@pytest.mark.parametrize(
    ("path", "action"),
    [
        (f"/contracts/{ctr('hourly_1250', 'unclaimed')}/milestones", "create milestones"),
        (f"/milestones/{ms('hourly_38', 1, 'unclaimed')}/fund", "fund milestones"),
        (f"/milestones/{ms('fixed_300', 1, 'unclaimed')}/approve", "approve milestones"),
        (f"/contracts/{ctr('fixed_300', 'unclaimed')}/end", "end contracts"),
    ],
)
def test_an_unclaimed_account_must_be_claimed_first(api, path, action):
    response = api("POST", path, token=UNCLAIMED_TOKEN, body={"description": "x", "volume": 1})
    assert_envelope(
        response,
        403,
        "FORBIDDEN",
        reason="account_claim_required",
        action=action,
        claimUrl="http://testserver/sandbox/claim/ot_cat_sandbox_unclaimed/",
    )


def test_an_unclaimed_account_can_still_read(api):
    assert api("GET", "/contracts", token=UNCLAIMED_TOKEN).status_code == 200


def test_the_scope_check_comes_before_the_missing_contract(api):
    response = api("POST", "/contracts/ctr_nope/milestones", token=READONLY_TOKEN, body={})
    assert_envelope(response, 403, "FORBIDDEN")


def test_a_wrong_method_answers_405_with_the_envelope(api):
    response = api("DELETE", "/contracts")
    assert_envelope(response, 405, "BAD_REQUEST", allowedMethods=["GET"])
    assert response["Allow"] == "GET"


def test_an_unknown_api_path_answers_the_404_envelope(api):
    assert_envelope(api("GET", "/nothing/here"), 404, "NOT_FOUND")


def test_sandbox_accounts_lists_the_demo_accounts_without_a_token(api):
    response = api("GET", "/_sandbox/accounts", token=None)
    accounts = response.json()["accounts"]
    assert [a["key"] for a in accounts] == [
        "owner",
        "unclaimed",
        "readonly",
        "nofeature",
        "nobilling",
    ]
    assert accounts[0] == {
        "key": "owner",
        "label": "Northwind Labs (claimed)",
        "description": accounts[0]["description"],
        "token": OWNER_TOKEN,
    }
