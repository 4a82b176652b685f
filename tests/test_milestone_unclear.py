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


NOT_KNOWN = "Not known yet whether the milestone was created"


@pytest.mark.parametrize("fault", ["POST:500", "POST:503", "POST:html"])
def test_a_server_error_on_the_write_is_not_known_yet_and_never_called_safe_to_repeat(
    sandbox, pm, fault
):
    key = open_form(pm, FIXED)
    set_fault(fault)

    response = send(pm, FIXED, FIXED_FORM, key=key)

    html = response.content.decode()
    assert response.status_code == 200
    assert NOT_KNOWN in html
    assert "does not show it yet" in html
    assert "watches this contract&#x27;s milestones and OpenTrain&#x27;s updates feed" in html
    assert "safe" not in html.lower().split("<footer")[0]
    assert "most likely not created" not in html
    assert_input_kept(html, FIXED_FORM)
    assert submission_key(html) != key
    assert Submission.objects.get().state == Submission.State.UNKNOWN
    assert len(milestones(FIXED)) == 1


def test_the_same_milestone_sent_again_while_the_first_is_unclear_is_held_until_confirmed(
    sandbox, pm
):
    set_fault("POST:500")
    first = send(pm, FIXED, FIXED_FORM).content.decode()
    set_fault("")

    again = send(pm, FIXED, FIXED_FORM, key=submission_key(first))

    html = again.content.decode()
    assert again.status_code == 200
    assert "This milestone was already sent, and its outcome is not known yet" in html
    assert "You sent “Second batch” for $300.00" in html
    assert "Nothing was sent this time" in html
    assert_input_kept(html, FIXED_FORM)
    assert len(milestones(FIXED)) == 1
    assert Submission.objects.count() == 1


def test_confirming_another_after_a_hold_creates_exactly_one_more(sandbox, pm):
    set_fault("POST:500")
    first = send(pm, FIXED, FIXED_FORM).content.decode()
    set_fault("")
    held = send(pm, FIXED, FIXED_FORM, key=submission_key(first)).content.decode()
    earlier = Submission.objects.get()

    confirmed = send(
        pm, FIXED, {**FIXED_FORM, "repeat_of": str(earlier.key)}, key=submission_key(held)
    )
    resent = send(
        pm, FIXED, {**FIXED_FORM, "repeat_of": str(earlier.key)}, key=submission_key(held)
    )

    assert confirmed.status_code == 302
    assert resent["Location"] == confirmed["Location"]
    assert len(milestones(FIXED)) == 2


def test_the_same_milestone_created_minutes_ago_is_shown_before_another_is_sent(sandbox, pm):
    created = send(pm, FIXED, FIXED_FORM)
    assert created.status_code == 302

    again = send(pm, FIXED, FIXED_FORM)

    html = again.content.decode()
    assert again.status_code == 200
    assert "You already created this milestone" in html
    assert "You created “Second batch” for $300.00" in html
    assert f'href="{created["Location"]}"' in html
    assert len(milestones(FIXED)) == 2


def test_a_different_milestone_on_the_same_contract_is_sent_at_once(sandbox, pm):
    send(pm, FIXED, FIXED_FORM)

    other = send(pm, FIXED, {**FIXED_FORM, "name": "Third batch"})

    assert other.status_code == 302
    assert len(milestones(FIXED)) == 3


def test_the_submit_button_after_a_hold_asks_for_the_tick_again_when_it_is_missing(sandbox, pm):
    send(pm, FIXED, FIXED_FORM)
    held = send(pm, FIXED, FIXED_FORM).content.decode()

    still_held = send(pm, FIXED, FIXED_FORM, key=submission_key(held))

    assert "You already created this milestone" in still_held.content.decode()
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

    assert NOT_KNOWN in first
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
    first = Submission.objects.get()
    key = open_form(pm, FIXED)
    set_fault("POST:500")

    send(pm, FIXED, {**FIXED_FORM, "repeat_of": str(first.key)}, key=key)

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
    assert NOT_KNOWN in html
    assert "could not read the contract again" in html
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
