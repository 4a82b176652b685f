"""Never a 500: IDs from the API and from query strings are untrusted text, and so is `next`."""

import httpx
import pytest
from django.urls import reverse

from dashboard.models import Approval as DashboardApproval
from dashboard.opentrain import transport
from sandbox.models import Contract, Milestone
from tests.mirror_helpers import refresh_contract, sync_account

SLASHED_CONTRACT = "ctr_with/slash"


def _html(response):
    return response.content.decode()


def _give_the_owner_a_contract_with_a_slash_in_its_id():
    template = Contract.objects.get(id="ctr_owner_hourly_38")
    template.pk = SLASHED_CONTRACT
    template.title = "Contract with a slashed ID"
    template.save(force_insert=True)


@pytest.mark.parametrize("name", ["milestone_fund", "milestone_approve"])
def test_a_slash_in_the_contract_query_of_a_handoff_page_is_not_a_server_error(sandbox, pm, name):
    url = reverse(name, args=["ms_owner_hourly_38_1"])

    page = pm.get(url, {"contract": "a/b"})
    posted = pm.post(url, {"contract": "a/b"})

    assert page.status_code == 200
    assert posted.status_code < 500
    assert "Request" in _html(page)


def test_a_contract_whose_id_has_a_slash_is_listed_without_a_link(sandbox, pm):
    _give_the_owner_a_contract_with_a_slash_in_its_id()
    sync_account()  # the worker's reconciliation brings it in

    response = pm.get("/contracts/")

    html = _html(response)
    assert response.status_code == 200
    assert "Contract with a slashed ID" in html
    assert "cannot be opened from the dashboard" in html
    assert "Spanish Sentiment Labeling Contract" in html


def test_a_milestone_whose_id_has_a_slash_leaves_out_its_buttons_on_the_contract_page(sandbox, pm):
    Milestone.objects.filter(id="ms_owner_hourly_38_1").update(id="ms_with/slash")
    refresh_contract("ctr_owner_hourly_38")

    response = pm.get("/contracts/ctr_owner_hourly_38/")

    assert response.status_code == 200
    assert "cannot be opened from the dashboard" in _html(response)


@pytest.mark.parametrize("target", ["contract_detail", "logout", "activity", "//evil.example/"])
def test_the_account_switch_goes_back_only_to_a_local_path(sandbox, pm, target):
    response = pm.post(reverse("switch_sandbox_account"), {"account": "owner", "next": target})

    assert response.status_code == 302
    assert response["Location"] == "/contracts/"


def test_the_account_switch_goes_back_to_the_page_it_came_from(sandbox, pm):
    response = pm.post(
        reverse("switch_sandbox_account"), {"account": "owner", "next": "/approvals/?x=1"}
    )

    assert response["Location"] == "/approvals/?x=1"


def test_an_approval_whose_id_has_a_slash_is_listed_without_a_link(sandbox, pm):
    DashboardApproval.objects.create(
        approval_id="apr_with/slash",
        type="milestone_fund",
        status="pending",
        contract_id="ctr_owner_hourly_38",
        milestone_id="ms_owner_hourly_38_1",
    )

    listed = pm.get("/approvals/")
    contract_page = pm.get("/contracts/ctr_owner_hourly_38/")

    assert listed.status_code == 200
    assert "cannot be opened from the dashboard" in _html(listed)
    assert contract_page.status_code == 200


def test_a_handoff_answered_with_a_slashed_approval_id_leads_to_the_approvals_list(pm, db):
    def opentrain(request):
        if request.method == "GET":
            return httpx.Response(404, json={"error": "Not found.", "code": "NOT_FOUND"})
        approval = {
            "id": "apr_with/slash",
            "type": "milestone_fund",
            "status": "pending",
            "contractId": "ctr_a",
            "milestoneId": "ms_a",
        }
        return httpx.Response(202, json={"approval": approval})

    transport.use_client(httpx.Client(transport=httpx.MockTransport(opentrain)))
    response = pm.post(reverse("milestone_fund", args=["ms_a"]), {"contract": "ctr_a"})

    assert response.status_code == 302
    assert response["Location"] == "/approvals/"
