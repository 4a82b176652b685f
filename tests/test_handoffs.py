"""Funding, payout approval and ending a contract: confirmation, the 202 handoff, errors."""

import re

import pytest
from django.urls import reverse

from dashboard import demo_accounts
from dashboard.models import Approval
from sandbox import models as sandbox_models
from sandbox.models import Account, Contract, Milestone

REQUEST_ID = re.compile(r"Request ID for support: <code>[0-9a-f-]{36}</code>")


@pytest.fixture(autouse=True)
def _every_test_has_the_sandbox(sandbox):
    """Each test here talks to the seeded sandbox over HTTP."""


def _act_as(client, account_key):
    session = client.session
    session[demo_accounts.SANDBOX_ACCOUNT_KEY] = account_key
    session.save()


def _fund(client, milestone_id, contract_id, **kwargs):
    url = reverse("milestone_fund", args=[milestone_id])
    return client.post(url, {"contract": contract_id}, **kwargs)


def _approve(client, milestone_id, contract_id, **kwargs):
    url = reverse("milestone_approve", args=[milestone_id])
    return client.post(url, {"contract": contract_id}, **kwargs)


def _end(client, contract_id, **kwargs):
    return client.post(
        reverse("contract_end", args=[contract_id]), {"contract": contract_id}, **kwargs
    )


def _html(response):
    return response.content.decode()


# --- the confirmation step -------------------------------------------------------------------


def test_request_funding_asks_for_confirmation_first_and_says_no_money_moves(sandbox, pm):
    url = reverse("milestone_fund", args=["ms_owner_hourly_38_1"])

    response = pm.get(url + "?contract=ctr_owner_hourly_38")

    html = _html(response)
    assert response.status_code == 200
    assert "#1 First 20 hours" in html
    assert "$760.00 for 20 hours" in html
    assert "No money moves yet." in html
    assert f'<form method="post" action="{url}"' in html
    assert not sandbox_models.Approval.objects.exists()


def test_request_payout_confirmation_names_the_freelancer(sandbox, pm):
    url = reverse("milestone_approve", args=["ms_owner_hourly_1250_2"])

    html = _html(pm.get(url + "?contract=ctr_owner_hourly_1250"))

    assert "release the payout" in html
    assert "Aisha K." in html
    assert "No money moves yet." in html


def test_end_contract_confirmation_says_whether_it_ends_at_once(sandbox, pm):
    funded = _html(pm.get(reverse("contract_end", args=["ctr_owner_hourly_1250"])))
    unfunded = _html(pm.get(reverse("contract_end", args=["ctr_owner_fixed_450"])))

    assert "This contract has funded milestones" in funded
    assert "It ends at once." in unfunded


# --- the 202 handoffs ------------------------------------------------------------------------


def test_request_funding_records_an_approval_and_shows_the_handoff(sandbox, pm, editor):
    response = _fund(pm, "ms_owner_hourly_38_1", "ctr_owner_hourly_38")

    upstream = sandbox_models.Approval.objects.get()
    assert upstream.type == "milestone_fund"
    assert upstream.milestone_id == "ms_owner_hourly_38_1"
    assert upstream.status == "pending"
    assert response.status_code == 302
    assert response["Location"] == reverse("approval_detail", args=[upstream.id])
    row = Approval.objects.get()
    assert row.approval_id == upstream.id
    assert row.requested_by == editor
    assert row.contract_title == "RLHF Preference Ranking (hourly)"
    assert row.milestone_label == "#1 First 20 hours"

    html = _html(pm.get(response["Location"]))
    approval_url = f"{sandbox.url}/sandbox/approvals/{upstream.id}/"
    assert re.search(rf'<a href="{re.escape(approval_url)}" target="_blank"[^>]*btn-handoff', html)
    assert "a person signed in to OpenTrain opens the approval and confirms it" in html
    assert re.search(r'The approval expires on <time data-local datetime="[^"]+">', html)
    assert Milestone.objects.get(id="ms_owner_hourly_38_1").status == "NOT_FUNDED"


def test_request_payout_approval_records_an_approval_and_shows_the_handoff(sandbox, pm):
    response = _approve(pm, "ms_owner_hourly_1250_2", "ctr_owner_hourly_1250")

    upstream = sandbox_models.Approval.objects.get()
    assert upstream.type == "milestone_approve"
    assert upstream.milestone_id == "ms_owner_hourly_1250_2"
    html = _html(pm.get(response["Location"]))
    assert "Release payout: #2 Weeks 3-4" in html
    assert f'href="{sandbox.url}/sandbox/approvals/{upstream.id}/"' in html


def test_ending_a_contract_with_funded_milestones_needs_a_person(sandbox, pm):
    response = _end(pm, "ctr_owner_hourly_1250")

    upstream = sandbox_models.Approval.objects.get()
    assert upstream.type == "contract_end"
    assert upstream.milestone_id is None
    assert Contract.objects.get(id="ctr_owner_hourly_1250").status == "active"
    html = _html(pm.get(response["Location"]))
    assert "End contract: Medical Transcript QA (hourly)" in html
    assert f'href="{sandbox.url}/sandbox/approvals/{upstream.id}/"' in html


def test_ending_a_contract_with_nothing_funded_ends_it_at_once(sandbox, pm):
    response = _end(pm, "ctr_owner_fixed_450", follow=True)

    html = _html(response)
    assert response.redirect_chain[-1][0] == reverse(
        "contract_detail", args=["ctr_owner_fixed_450"]
    )
    assert "Contract ended." in html
    assert '<span class="badge badge-ended">Ended</span>' in html
    assert Contract.objects.get(id="ctr_owner_fixed_450").status == "ended"
    assert not sandbox_models.Approval.objects.exists()
    assert not Approval.objects.exists()


def test_asking_again_shows_the_same_approval_as_already_requested(sandbox, pm):
    first = _fund(pm, "ms_owner_hourly_38_1", "ctr_owner_hourly_38")

    again = _fund(pm, "ms_owner_hourly_38_1", "ctr_owner_hourly_38", follow=True)

    assert again.redirect_chain[-1][0] == first["Location"]
    assert "This was already requested" in _html(again)
    assert sandbox_models.Approval.objects.count() == 1
    assert Approval.objects.count() == 1


def test_a_request_re_reads_its_contract_into_the_mirror(sandbox, pm):
    Contract.objects.filter(id="ctr_owner_hourly_38").update(title="Renamed upstream")

    _fund(pm, "ms_owner_hourly_38_1", "ctr_owner_hourly_38")

    assert "Renamed upstream" in _html(pm.get(reverse("contract_list")))


# --- errors, inline on the confirmation page -------------------------------------------------


def test_an_unclaimed_account_gets_the_claim_link(sandbox, pm):
    _act_as(pm, "unclaimed")

    response = _fund(pm, "ms_unclaimed_hourly_38_1", "ctr_unclaimed_hourly_38")

    html = _html(response)
    assert response.status_code == 200
    assert "A human must claim this OpenTrain account first" in html
    claim = f"{sandbox.url}/sandbox/claim/ot_cat_sandbox_unclaimed/"
    assert f'<a href="{claim}" target="_blank"' in html
    assert REQUEST_ID.search(html)
    assert not sandbox_models.Approval.objects.exists()


def test_a_token_without_payments_write_is_explained(sandbox, pm):
    _act_as(pm, "readonly")

    html = _html(_approve(pm, "ms_readonly_hourly_1250_2", "ctr_readonly_hourly_1250"))

    assert "The dashboard&#x27;s token is not allowed to do this" in html
    assert "payments:write" in html
    assert REQUEST_ID.search(html)


def test_a_disabled_payments_feature_is_explained(sandbox, pm):
    _act_as(pm, "nofeature")

    html = _html(_end(pm, "ctr_nofeature_hourly_1250"))

    assert "Payments through the API are switched off for this account" in html
    assert "public_api_payments_write" in html
    assert REQUEST_ID.search(html)


def test_an_unknown_milestone_is_explained(sandbox, pm):
    response = _fund(pm, "ms_nope", "ctr_owner_hourly_38")

    assert response.status_code == 200
    assert "Not found on this OpenTrain account" in _html(response)
    assert REQUEST_ID.search(_html(response))


def test_funding_a_funded_milestone_is_refused(sandbox, pm):
    html = _html(_fund(pm, "ms_owner_hourly_1250_2", "ctr_owner_hourly_1250"))

    assert "This milestone cannot be funded" in html
    assert REQUEST_ID.search(html)


def test_funding_without_a_payment_method_links_to_billing(sandbox, pm):
    _act_as(pm, "nobilling")

    html = _html(_fund(pm, "ms_nobilling_hourly_38_1", "ctr_nobilling_hourly_38"))

    assert "Add a payment method first" in html
    billing = f"{sandbox.url}/sandbox/billing/org_sbx_nobilling/"
    assert f'<a href="{billing}" target="_blank"' in html
    assert REQUEST_ID.search(html)
    assert not sandbox_models.Approval.objects.exists()


def test_a_payout_for_an_unfunded_milestone_is_refused(sandbox, pm):
    html = _html(_approve(pm, "ms_owner_hourly_38_1", "ctr_owner_hourly_38"))

    assert "Fund this milestone first" in html
    assert REQUEST_ID.search(html)


def test_ending_an_ended_contract_is_refused(sandbox, pm):
    html = _html(_end(pm, "ctr_owner_ended"))

    assert "This contract has ended" in html
    assert REQUEST_ID.search(html)


def test_a_rate_limit_is_explained_with_the_wait(sandbox, pm):
    Account.objects.filter(key="owner").update(fault="POST:429=7")

    html = _html(_fund(pm, "ms_owner_hourly_38_1", "ctr_owner_hourly_38"))

    assert "OpenTrain is rate limiting the dashboard" in html
    assert "Try again in 7 seconds." in html
    assert REQUEST_ID.search(html)


def test_an_upstream_failure_says_it_is_safe_to_ask_again(sandbox, pm):
    Account.objects.filter(key="owner").update(fault="POST:502")

    response = _fund(pm, "ms_owner_hourly_38_1", "ctr_owner_hourly_38")

    html = _html(response)
    assert response.status_code == 200
    assert "OpenTrain did not confirm the request" in html
    assert "It is safe to press the button again." in html
    assert "Try again: Request funding" in html
    assert REQUEST_ID.search(html)


def test_a_lost_answer_can_be_retried_and_gives_the_same_approval(sandbox, pm):
    Account.objects.filter(key="owner").update(fault="POST:drop")

    html = _html(_fund(pm, "ms_owner_hourly_38_1", "ctr_owner_hourly_38"))

    assert "OpenTrain did not confirm the request" in html
    assert "It is safe to press the button again." in html
    assert sandbox_models.Approval.objects.count() == 1  # it did happen upstream
    Account.objects.filter(key="owner").update(fault="")
    retry = _fund(pm, "ms_owner_hourly_38_1", "ctr_owner_hourly_38")
    upstream = sandbox_models.Approval.objects.get()
    assert retry["Location"] == reverse("approval_detail", args=[upstream.id])


def test_an_unreachable_opentrain_is_explained(sandbox, pm, settings):
    settings.OT_API_BASE_URL = "http://127.0.0.1:9/sandbox/api/public/v1"

    response = _fund(pm, "ms_owner_hourly_38_1", "ctr_owner_hourly_38")

    assert response.status_code == 200
    assert "OpenTrain is not answering properly" in _html(response)
    assert not sandbox_models.Approval.objects.exists()


# --- viewers ---------------------------------------------------------------------------------


def test_viewers_see_no_request_button(sandbox, client, viewer):
    client.force_login(viewer)

    url = reverse("milestone_fund", args=["ms_owner_hourly_38_1"])
    html = _html(client.get(url + "?contract=ctr_owner_hourly_38"))

    assert '<form method="post" action="' + url not in html
    assert "Only editors can make this request." in html


def test_a_forged_viewer_request_is_refused_before_opentrain(sandbox, client, viewer):
    client.force_login(viewer)

    responses = [
        _fund(client, "ms_owner_hourly_38_1", "ctr_owner_hourly_38"),
        _approve(client, "ms_owner_hourly_1250_2", "ctr_owner_hourly_1250"),
        _end(client, "ctr_owner_fixed_450"),
    ]

    assert [r.status_code for r in responses] == [403, 403, 403]
    assert not sandbox_models.Approval.objects.exists()
    assert Contract.objects.get(id="ctr_owner_fixed_450").status == "active"
