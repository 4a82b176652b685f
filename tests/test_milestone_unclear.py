"""Submitting the milestone form when OpenTrain's answer is unclear or OpenTrain is down: the
outcome is reconciled on the contract, never duplicated, and nothing typed is lost."""

import time

import httpx
import pytest
from django.contrib.auth.models import User

from dashboard.mirror.models import Contract as MirroredContract
from dashboard.models import Submission
from tests.milestone_helpers import (
    FIXED,
    FIXED_FORM,
    assert_input_kept,
    milestones,
    mock_api,
    open_form,
    send,
    set_fault,
    submission_key,
)

# --- unclear outcomes ------------------------------------------------------------------------


@pytest.mark.parametrize("fault", ["POST:500", "POST:503", "POST:html"])
def test_a_server_error_on_the_write_is_an_unknown_outcome_after_checking_the_contract(
    sandbox, pm, fault
):
    key = open_form(pm, FIXED)
    set_fault(fault)

    response = send(pm, FIXED, FIXED_FORM, key=key)

    html = response.content.decode()
    assert response.status_code == 200
    assert "The outcome is unknown" in html
    assert "shows no new milestone matching this one" in html
    assert "Submitting again is safe" in html
    assert_input_kept(html, FIXED_FORM)
    assert submission_key(html) != key
    assert Submission.objects.get().state == Submission.State.UNKNOWN
    assert len(milestones(FIXED)) == 1


def test_submitting_again_after_an_unknown_outcome_creates_the_milestone_once(sandbox, pm):
    key = open_form(pm, FIXED)
    set_fault("POST:500")
    html = send(pm, FIXED, FIXED_FORM, key=key).content.decode()
    set_fault("")

    again = send(pm, FIXED, FIXED_FORM, key=submission_key(html))

    assert again.status_code == 302
    assert len(milestones(FIXED)) == 2


@pytest.mark.parametrize("fault", ["POST:drop", "POST:notjson", "POST:truncated"])
def test_a_lost_answer_after_the_milestone_was_made_counts_as_created_without_a_duplicate(
    sandbox, pm, fault
):
    key = open_form(pm, FIXED)
    set_fault(fault)

    response = send(pm, FIXED, FIXED_FORM, key=key)

    assert response.status_code == 302
    assert len(milestones(FIXED)) == 2
    submission = Submission.objects.get()
    assert submission.state == Submission.State.CREATED
    assert submission.milestone_id == milestones(FIXED)[-1].id
    html = pm.get(response["Location"]).content.decode()
    assert "found it on the contract afterwards" in html


def test_a_timeout_after_sending_never_leads_to_a_duplicate(sandbox, pm, settings):
    key = open_form(pm, FIXED)
    settings.OT_API_TIMEOUT = 0.5
    set_fault("POST:hang=2")

    first = send(pm, FIXED, FIXED_FORM, key=key).content.decode()

    assert "The outcome is unknown" in first
    assert Submission.objects.get().state == Submission.State.UNKNOWN
    # OpenTrain finishes the write after the dashboard stopped waiting.
    deadline = time.monotonic() + 10
    while len(milestones(FIXED)) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    set_fault("")

    again = send(pm, FIXED, FIXED_FORM, key=submission_key(first))

    assert again.status_code == 302
    assert again["Location"] == f"/submissions/{key}/"
    assert len(milestones(FIXED)) == 2
    assert Submission.objects.get(key=key).state == Submission.State.CREATED


def test_a_milestone_another_submission_created_is_not_taken_for_this_one(sandbox, pm):
    send(pm, FIXED, FIXED_FORM)
    key = open_form(pm, FIXED)
    set_fault("POST:500")

    send(pm, FIXED, FIXED_FORM, key=key)

    assert Submission.objects.get(key=key).state == Submission.State.UNKNOWN
    assert len(milestones(FIXED)) == 2


def test_the_submission_records_who_sent_what_and_when(sandbox, pm):
    key = open_form(pm, FIXED)

    send(pm, FIXED, FIXED_FORM, key=key)

    submission = Submission.objects.get(key=key)
    assert submission.user == User.objects.get(username="editor")
    assert submission.contract_title == "Spanish Sentiment Labeling Contract"
    assert submission.payload == {
        "description": "Label the next 5,000 posts",
        "name": "Second batch",
        "amountUsd": 300,
    }
    assert submission.milestone["amountUsd"] == "300"
    assert submission.completed_at >= submission.created_at


# --- OpenTrain down while the PM typed -------------------------------------------------------


def test_when_opentrain_fails_entirely_the_form_comes_back_with_everything_typed(sandbox, pm):
    key = open_form(pm, FIXED)
    set_fault("500")

    response = send(pm, FIXED, FIXED_FORM, key=key)

    html = response.content.decode()
    assert response.status_code == 200
    assert "The outcome is unknown" in html
    assert "could not re-read the contract" in html
    assert_input_kept(html, FIXED_FORM)
    assert len(milestones(FIXED)) == 1


def test_a_submit_for_a_contract_gone_from_the_mirror_keeps_the_description(sandbox, pm):
    key = open_form(pm, FIXED)
    MirroredContract.objects.filter(contract_id=FIXED).delete()  # a sync found it gone

    response = send(pm, FIXED, FIXED_FORM, key=key, HX_Request="true")

    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<form id="milestone-form"')
    assert "Not found on this OpenTrain account" in html
    assert "not in the dashboard's copy of the account" in html
    assert "Label the next 5,000 posts</textarea>" in html
    assert Submission.objects.count() == 0


def test_a_refused_connection_says_nothing_was_sent(sandbox, pm, monkeypatch):
    key = open_form(pm, FIXED)

    def refuse(request):
        raise httpx.ConnectError("Connection refused")

    mock_api(refuse)

    html = send(pm, FIXED, FIXED_FORM, key=key).content.decode()

    assert "OpenTrain could not be reached." in html
    assert "Nothing was changed" in html
    assert Submission.objects.get().state == Submission.State.FAILED
