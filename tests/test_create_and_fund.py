"""'Create and request funding': two calls from one form, each once; when the second fails the
milestone's page says so, with the reason and a button to ask again. Faults come from the
sandbox (`POST@fund:503` fails funding requests only)."""

import re
import uuid
from urllib.parse import unquote

from dashboard.models import Approval, HandoffAttempt, Submission
from sandbox.models import Approval as SandboxApproval
from tests.milestone_helpers import (
    HOURLY,
    form_url,
    milestones,
    open_form,
    posts,
    set_fault,
    use_account,
)

TYPED = {"description": "Ten more hours", "volume": "10"}


def create_and_fund(client, contract_id, key=None, **headers):
    key = key or open_form(client, contract_id)
    data = {**TYPED, "submission_key": key, "and_fund": "1"}
    return client.post(form_url(contract_id), data, headers=headers)


def test_the_form_offers_create_and_request_funding_beside_create(sandbox, pm):
    html = pm.get(form_url(HOURLY)).content.decode()

    assert "Create milestone</button>" in html
    assert '<button type="submit" class="btn" name="and_fund" value="1">' in html


def test_create_and_request_funding_lands_on_the_approval_page(sandbox, pm, upstream_calls):
    key = open_form(pm, HOURLY)
    upstream_calls.clear()

    response = create_and_fund(pm, HOURLY, key)

    approval = Approval.objects.get()
    assert response.status_code == 302
    assert response.url == f"/approvals/{approval.approval_id}/"
    created = milestones(HOURLY)[-1]
    assert created.description == "Ten more hours"
    assert approval.milestone_id == created.id and approval.type == "milestone_fund"
    assert [p.path for p in posts(upstream_calls)] == [
        f"/contracts/{HOURLY}/milestones",
        f"/milestones/{created.id}/fund",
    ]
    attempt = HandoffAttempt.objects.get()
    assert attempt.submission == Submission.objects.get(key=key)
    assert attempt.state == "requested"


def test_the_approval_page_offers_copy_link_and_an_email_with_amount_and_context(sandbox, pm):
    response = create_and_fund(pm, HOURLY)

    html = pm.get(response.url).content.decode()
    approval = Approval.objects.get()
    assert f'data-copy="{approval.approval_url}"' in html
    mailto = unquote(re.search(r'href="(mailto:[^"]+)"', html).group(1))
    number = milestones(HOURLY)[-1].number
    # 10 hours at $12.50, on which contract, and the link to confirm it.
    assert f"subject=Please confirm in OpenTrain: Fund milestone for #{number}" in mailto
    assert f"Fund milestone for #{number} Ten more hours ($125.00)" in mailto
    assert "on the contract “Medical Transcript QA (hourly)”" in mailto
    assert approval.approval_url in mailto


def test_a_double_click_creates_one_milestone_and_asks_for_funding_once(sandbox, pm):
    key = open_form(pm, HOURLY)
    before = len(milestones(HOURLY))

    first = create_and_fund(pm, HOURLY, key)
    second = create_and_fund(pm, HOURLY, key)

    assert first.url == second.url
    assert len(milestones(HOURLY)) == before + 1
    assert SandboxApproval.objects.filter(milestone=milestones(HOURLY)[-1]).count() == 1


def test_when_funding_fails_the_page_says_the_milestone_exists_and_offers_to_ask_again(sandbox, pm):
    key = open_form(pm, HOURLY)
    set_fault("POST@fund:503")

    response = create_and_fund(pm, HOURLY, key)

    assert response.status_code == 302
    assert response.url == f"/submissions/{key}/"
    page = pm.get(response.url).content.decode()
    created = milestones(HOURLY)[-1]
    assert created.description == "Ten more hours"
    assert "The milestone was created, but funding was not requested" in page
    assert f'href="/contracts/{HOURLY}/#milestone-{created.id}"' in page
    attempt = HandoffAttempt.objects.get()
    assert attempt.state == "failed" and attempt.request_id
    assert f"<code>{attempt.request_id}</code>" in page
    assert "OpenTrain is not answering properly" in page
    assert f'action="/milestones/{created.id}/fund/"' in page
    assert "Ask for funding again</button>" in page
    assert not SandboxApproval.objects.filter(milestone=created).exists()


def test_asking_again_after_a_failed_funding_request_is_recorded_as_its_retry(sandbox, pm):
    key = open_form(pm, HOURLY)
    set_fault("POST@fund:503")
    create_and_fund(pm, HOURLY, key)
    set_fault("")
    created = milestones(HOURLY)[-1]

    again = pm.post(f"/milestones/{created.id}/fund/", {"contract": HOURLY})

    approval = Approval.objects.get()
    assert again.url == f"/approvals/{approval.approval_id}/"
    failed, retry = HandoffAttempt.objects.order_by("created_at", "id")
    assert retry.retry_of == failed
    activity = pm.get("/activity/").content.decode()
    assert f'href="#handoff-{failed.pk}"' in activity
    assert f'href="#handoff-{retry.pk}"' in activity
    assert "Retry of" in activity and "Retried" in activity


def test_with_htmx_the_form_is_told_where_to_go(sandbox, pm):
    response = create_and_fund(pm, HOURLY, HX_Request="true")

    assert response.status_code == 200
    assert response["HX-Redirect"] == f"/approvals/{Approval.objects.get().approval_id}/"


def test_no_payment_method_keeps_the_milestone_and_says_how_to_add_one(sandbox, pm):
    use_account(pm, "nobilling")
    contract_id = "ctr_nobilling_hourly_1250"

    response = create_and_fund(pm, contract_id, str(uuid.uuid4()))

    page = pm.get(response.url).content.decode()
    assert "The milestone was created, but funding was not requested" in page
    assert "Add a payment method first" in page
    assert "/sandbox/billing/" in page
    assert milestones(contract_id)[-1].description == "Ten more hours"


def test_create_and_request_funding_of_a_milestone_created_minutes_ago_is_held_unfunded(
    sandbox, pm, upstream_calls
):
    create_and_fund(pm, HOURLY)
    upstream_calls.clear()

    again = create_and_fund(pm, HOURLY)

    html = again.content.decode()
    assert again.status_code == 200
    assert "You already created this milestone" in html
    assert [call for call in upstream_calls if call[0] == "POST"] == []
    assert Submission.objects.count() == 1
    assert SandboxApproval.objects.count() == 1
