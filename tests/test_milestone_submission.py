"""Submitting the milestone form: what OpenTrain receives, every answer rendered inline with the
input kept, and one milestone per submission key."""

import re
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from dashboard import submissions
from dashboard.models import Submission
from sandbox.demo import OWNER_TOKEN
from sandbox.models import Account, Contract, Milestone, Token
from tests.milestone_helpers import (
    FIXED,
    FIXED_FORM,
    HOURLY,
    LABELS,
    LATER,
    NO_RATE,
    assert_input_kept,
    envelope,
    form_url,
    milestones,
    mock_api,
    open_form,
    posts,
    send,
    set_fault,
    submission_key,
    use_account,
)
from tests.mirror_helpers import sync_token

# --- created ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("contract_id", "typed", "sent", "amount", "volume"),
    [
        (
            FIXED,
            {"amount_usd": "1250.50", "due_date": LATER},
            {"amountUsd": 1250.5, "dueDate": LATER},
            Decimal("1250.50"),
            None,
        ),
        (HOURLY, {"volume": "2.25"}, {"volume": 2.25}, Decimal("28.13"), Decimal("2.25")),
        (LABELS, {"volume": "3"}, {"volume": 3}, Decimal("0.21"), Decimal("3")),
        (LABELS, {"volume": "5,000"}, {"volume": 5000}, Decimal("350.00"), Decimal("5000")),
    ],
)
def test_a_milestone_is_created_with_exactly_what_the_pm_typed(
    sandbox, pm, upstream_calls, contract_id, typed, sent, amount, volume
):
    key = open_form(pm, contract_id)
    upstream_calls.clear()
    typed = {"name": "Batch 9", "description": "Label the next posts", **typed}

    response = send(pm, contract_id, typed, key=key)

    assert response.status_code == 302
    assert response["Location"] == f"/submissions/{key}/"
    assert posts(upstream_calls) == [
        (
            "POST",
            f"/contracts/{contract_id}/milestones",
            {"description": "Label the next posts", "name": "Batch 9", **sent},
        )
    ]
    created = milestones(contract_id)[-1]
    assert created.description == "Label the next posts"
    assert created.name == "Batch 9"
    assert created.amount_usd == amount
    assert created.volume == volume
    assert created.status == Milestone.NOT_FUNDED


def test_only_fields_with_values_are_sent(sandbox, pm, upstream_calls):
    key = open_form(pm, FIXED)
    upstream_calls.clear()

    send(pm, FIXED, {"name": "  ", "description": "  Just this  ", "amount_usd": "5"}, key=key)

    assert posts(upstream_calls)[0][2] == {"description": "Just this", "amountUsd": 5}


def test_the_created_milestone_page_shows_number_status_amount_and_how_to_fund_it(sandbox, pm):
    response = send(pm, LABELS, {"description": "Three labels", "volume": "3"})

    html = pm.get(response["Location"]).content.decode()
    created = milestones(LABELS)[-1]
    assert f"Milestone #{created.number}" in html
    assert "Not funded</span>" in html
    assert "$0.21" in html
    assert "Not funded yet" in html
    assert (
        f'href="/contracts/{LABELS}/#milestone-{created.id}">Request funding on the contract page'
        in html
    )
    assert Submission.objects.get().state == Submission.State.CREATED


def test_with_htmx_a_created_milestone_redirects_the_browser(sandbox, pm):
    key = open_form(pm, FIXED)

    response = send(pm, FIXED, FIXED_FORM, key=key, HX_Request="true")

    assert response.status_code == 200
    assert response["HX-Redirect"] == f"/submissions/{key}/"


def test_with_htmx_an_invalid_form_comes_back_as_the_form_alone_with_status_200(sandbox, pm):
    response = send(pm, FIXED, {"description": "", "amount_usd": "5"}, HX_Request="true")

    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<form id="milestone-form"')
    assert "Describe the work to deliver." in html


# --- one milestone per key -------------------------------------------------------------------


def test_the_same_submission_key_twice_creates_one_milestone_and_shows_the_first_outcome(
    sandbox, pm, upstream_calls
):
    key = open_form(pm, FIXED)
    upstream_calls.clear()

    first = send(pm, FIXED, FIXED_FORM, key=key)
    second = send(pm, FIXED, FIXED_FORM, key=key)

    assert first.status_code == second.status_code == 302
    assert second["Location"] == first["Location"]
    assert len(posts(upstream_calls)) == 1
    assert len(milestones(FIXED)) == 2  # the seeded one and ours
    assert Submission.objects.count() == 1


def test_resending_a_failed_submission_shows_its_first_answer_without_calling_opentrain(
    sandbox, pm, upstream_calls
):
    use_account(pm, "unclaimed")
    key = str(uuid.uuid4())  # a form opened before the worker saw the account was unclaimed
    send(pm, "ctr_unclaimed_fixed_300", FIXED_FORM, key=key)
    upstream_calls.clear()

    again = send(pm, "ctr_unclaimed_fixed_300", FIXED_FORM, key=key)

    html = again.content.decode()
    assert "already sent once" in html
    assert "A human must claim this OpenTrain account first" in html
    assert posts(upstream_calls) == []
    assert_input_kept(html, FIXED_FORM)


def test_a_key_still_being_sent_by_another_request_is_not_sent_again(
    sandbox, pm, monkeypatch, upstream_calls
):
    monkeypatch.setattr(submissions, "WAIT_FOR_PENDING", 0.3)
    key = uuid.uuid4()
    Submission.objects.create(key=key, contract_id=FIXED, payload={"description": "x"})
    open_form(pm, FIXED)
    upstream_calls.clear()

    response = send(pm, FIXED, FIXED_FORM, key=str(key))

    assert response["Location"] == f"/submissions/{key}/"
    assert posts(upstream_calls) == []
    html = pm.get(response["Location"]).content.decode()
    assert "still waiting for OpenTrain" in html
    assert 'href="/activity/"' in html


def test_a_submission_left_sending_by_a_stopped_worker_becomes_unknown_and_is_checked_first(
    sandbox, pm, upstream_calls
):
    key = uuid.uuid4()
    stale = Submission.objects.create(
        key=key,
        contract_id=FIXED,
        payload={"description": "Lost in a restart", "name": "Second batch", "amountUsd": 40},
    )
    Submission.objects.filter(pk=stale.pk).update(created_at=timezone.now() - timedelta(minutes=10))

    html = pm.get(f"/submissions/{key}/").content.decode()

    assert "Not known yet whether the milestone was created" in html
    assert "stopped before OpenTrain answered" in html
    # Sending the same milestone again settles it (the page above only reads) and re-reads the
    # contract; not finding it there, it holds the milestone until the PM confirms another.
    form_key = open_form(pm, FIXED)
    typed = {**FIXED_FORM, "description": "Lost in a restart", "amount_usd": "40"}
    upstream_calls.clear()
    held = send(pm, FIXED, typed, key=form_key).content.decode()
    assert [c[:2] for c in upstream_calls] == [("GET", f"/contracts/{FIXED}")]
    assert "This milestone was already sent, and its outcome is not known yet" in held
    stale.refresh_from_db()
    assert stale.state == Submission.State.UNKNOWN

    upstream_calls.clear()
    send(pm, FIXED, {**typed, "repeat_of": str(key)}, key=form_key)
    assert [c[:2] for c in upstream_calls] == [
        ("POST", f"/contracts/{FIXED}/milestones"),
        ("GET", f"/contracts/{FIXED}"),  # the new milestone, read into the mirror
    ]


# --- every API answer inline -----------------------------------------------------------------


def test_a_field_error_from_opentrain_stands_next_to_that_field(sandbox, pm, monkeypatch):
    key = open_form(pm, FIXED)
    mock_api(
        lambda request: envelope(
            400, "BAD_REQUEST", "dueDate must not be in the past.", {"field": "dueDate"}
        ),
    )
    typed = {**FIXED_FORM, "due_date": LATER}

    response = send(pm, FIXED, typed, key=key)

    html = response.content.decode()
    assert response.status_code == 200
    due = re.search(r'<input type="date"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in due
    assert 'aria-describedby="id_due_date_helptext id_due_date_error"' in due
    assert "dueDate must not be in the past." in html
    assert "See the message next to “Due date” below." in html
    assert "req-mock-123" in html
    assert_input_kept(html, typed)
    assert submission_key(html) != key
    assert "Submit again</button>" in html


def test_a_bad_request_without_a_field_is_shown_at_the_top(sandbox, pm, monkeypatch):
    key = open_form(pm, FIXED)
    mock_api(lambda request: envelope(400, "BAD_REQUEST", "Request body must be JSON."))

    html = send(pm, FIXED, FIXED_FORM, key=key).content.decode()

    assert "OpenTrain did not accept the request" in html
    assert "Request body must be JSON." in html
    assert 'aria-invalid="true"' not in html


def test_a_revoked_token_says_which_setting_an_admin_must_change(sandbox, pm):
    key = open_form(pm, FIXED)
    Token.objects.filter(value=OWNER_TOKEN).update(revoked=True)

    response = send(pm, FIXED, FIXED_FORM, key=key)

    html = response.content.decode()
    assert "The dashboard&#x27;s OpenTrain token does not work" in html
    assert "OT_API_TOKEN" in html
    assert "Request ID for support" in html
    assert_input_kept(html, FIXED_FORM)
    assert Submission.objects.get().error_status == 401


def test_an_invalid_configured_token_is_explained_before_the_form(sandbox, pm, settings):
    settings.OT_API_TOKEN = "ot_pat_not_a_real_token"
    settings.OT_SANDBOX = False
    sync_token(settings.OT_API_TOKEN)  # the worker finds out first

    html = pm.get(form_url(FIXED)).content.decode()

    assert "token does not work" in html
    assert "OT_API_TOKEN" in html


def test_an_unclaimed_account_gets_the_claim_link_and_a_submit_again_button(sandbox, pm):
    use_account(pm, "unclaimed")

    response = send(pm, "ctr_unclaimed_fixed_300", FIXED_FORM, key=str(uuid.uuid4()))

    html = response.content.decode()
    claim_url = f"{sandbox.url}/sandbox/claim/ot_cat_sandbox_unclaimed/"
    assert response.status_code == 200
    assert "A human must claim this OpenTrain account first" in html
    assert f'<a href="{claim_url}" target="_blank" rel="noopener noreferrer"' in html
    assert "Submit again</button>" in html
    assert_input_kept(html, FIXED_FORM)
    assert Submission.objects.get().error_details["claimUrl"] == claim_url


def test_the_claim_handoff_end_to_end(sandbox, pm):
    use_account(pm, "unclaimed")
    contract_id = "ctr_unclaimed_fixed_300"
    refused = send(pm, contract_id, FIXED_FORM, key=str(uuid.uuid4())).content.decode()
    claim_url = re.search(r'<a href="([^"]+)" target="_blank"', refused).group(1)

    claimed = pm.post(claim_url.removeprefix(sandbox.url))
    again = send(pm, contract_id, FIXED_FORM, key=submission_key(refused))

    assert claimed.status_code == 302
    assert Account.objects.get(key="unclaimed").claimed
    assert again.status_code == 302
    assert [m.description for m in milestones(contract_id)][-1] == FIXED_FORM["description"]
    states = list(Submission.objects.order_by("created_at").values_list("state", flat=True))
    assert states == [Submission.State.FAILED, Submission.State.CREATED]


@pytest.mark.parametrize(
    "claim_url", ["https://evil.example/claim", "javascript:alert(1)", "http://app.opentrain.ai/c"]
)
def test_a_claim_url_that_is_not_an_opentrain_https_link_is_shown_as_text(
    sandbox, pm, monkeypatch, claim_url
):
    key = open_form(pm, FIXED)
    mock_api(
        lambda request: envelope(
            403,
            "FORBIDDEN",
            "A human must claim this agent account.",
            {"reason": "account_claim_required", "claimUrl": claim_url},
        ),
    )

    html = send(pm, FIXED, FIXED_FORM, key=key).content.decode()

    assert "A human must claim this OpenTrain account first" in html
    assert f'href="{claim_url}' not in html
    assert f"<code>{claim_url}</code>" in html


@pytest.mark.parametrize(
    ("account", "contract_id", "words"),
    [
        ("readonly", "ctr_readonly_fixed_300", ["not allowed to do this", "payments:write"]),
        ("nofeature", "ctr_nofeature_fixed_300", ["switched off", "public_api_payments_write"]),
    ],
)
def test_a_missing_scope_or_feature_says_which_and_who_can_fix_it(
    sandbox, pm, account, contract_id, words
):
    use_account(pm, account)

    # A form opened before the worker saw the problem: OpenTrain's answer still says it.
    html = send(pm, contract_id, FIXED_FORM, key=str(uuid.uuid4())).content.decode()

    form = html[html.index('id="milestone-form"') :]
    for word in words:
        assert word in form
    assert "Request ID for support" in form
    assert_input_kept(html, FIXED_FORM)


def test_a_contract_gone_from_the_account_is_not_found(sandbox, pm):
    key = open_form(pm, FIXED)
    Contract.objects.filter(pk=FIXED).update(account=Account.objects.get(key="nobilling"))

    html = send(pm, FIXED, FIXED_FORM, key=key).content.decode()

    assert "Not found on this OpenTrain account" in html
    assert_input_kept(html, FIXED_FORM)


def test_a_contract_that_ended_meanwhile_says_so(sandbox, pm):
    key = open_form(pm, FIXED)
    Contract.objects.filter(pk=FIXED).update(status=Contract.ENDED)

    html = send(pm, FIXED, FIXED_FORM, key=key).content.decode()

    assert "This contract has ended" in html
    assert_input_kept(html, FIXED_FORM)
    assert len(milestones(FIXED)) == 1


def test_a_contract_without_a_rate_says_what_to_do(sandbox, pm):
    typed = {"description": "Ten checks", "volume": "10"}
    html = send(pm, NO_RATE, typed, key=str(uuid.uuid4())).content.decode()

    assert "This contract has no rate" in html
    assert "Set the rate on the contract" in html
    assert "Nothing was sent" in html
    assert_input_kept(html, {"description": "Ten checks", "volume": "10"})


def test_rate_limiting_says_when_to_try_again(sandbox, pm):
    key = open_form(pm, FIXED)
    set_fault("POST:429=7")

    html = send(pm, FIXED, FIXED_FORM, key=key).content.decode()

    assert "OpenTrain is rate limiting the dashboard" in html
    assert "Try again in 7 seconds." in html
    assert_input_kept(html, FIXED_FORM)
