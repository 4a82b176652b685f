"""The activity page and a submission's page: the dashboard's own record, no OpenTrain calls."""

import csv
import io
import uuid
from datetime import timedelta

from django.utils import timezone

from dashboard.models import HandoffAttempt, Submission
from tests.milestone_helpers import (
    FIXED,
    HOURLY,
    LABELS,
    form_url,
    milestones,
    open_form,
    send,
    set_fault,
    use_account,
)


def record(editor, n, **fields):
    defaults = {
        "key": uuid.uuid4(),
        "user": editor,
        "contract_id": FIXED,
        "contract_title": "Spanish Sentiment Labeling Contract",
        "payment_type": "FIXED_PRICE",
        "payload": {"description": f"Batch {n}", "amountUsd": 100 + n},
        "state": Submission.State.CREATED,
    }
    submission = Submission.objects.create(**{**defaults, **fields})
    Submission.objects.filter(pk=submission.pk).update(
        created_at=timezone.now() - timedelta(minutes=100 - n)
    )
    return submission


def test_activity_lists_who_sent_what_to_which_contract_and_the_outcome(sandbox, pm, editor):
    use_account(pm, "unclaimed")
    pm.post(
        form_url("ctr_unclaimed_label_007"),
        {
            "description": "Three labels",
            "volume": "3",
            # A form opened before the worker saw the account was unclaimed.
            "submission_key": uuid.uuid4(),
        },
    )
    use_account(pm, "owner")
    pm.post(
        form_url(LABELS),
        {"description": "Five labels", "volume": "5", "submission_key": open_form(pm, LABELS)},
    )

    html = pm.get("/activity/").content.decode()

    failed = Submission.objects.get(state=Submission.State.FAILED)
    assert html.index("Five labels") < html.index("Three labels")  # newest first
    assert "editor" in html
    assert f'href="/contracts/{LABELS}/">Spanish Sentiment Labels (per label)</a>' in html
    assert "Created</span>" in html
    assert "Not created</span>" in html
    assert "A human must claim this OpenTrain account first" in html
    assert "(403 account_claim_required)" in html
    assert f"<code>{failed.request_id}</code>" in html
    assert f'href="/submissions/{failed.key}/"' in html


def test_activity_never_calls_opentrain(sandbox, pm, editor, upstream_calls):
    record(editor, 1)
    pm.get("/activity/")  # the page header's sandbox account list is now cached
    upstream_calls.clear()

    response = pm.get("/activity/")

    assert response.status_code == 200
    assert "Batch 1" in response.content.decode()
    assert upstream_calls == []


def test_activity_shows_fifty_submissions_a_page(sandbox, pm, editor):
    for n in range(55):
        record(editor, n)

    first = pm.get("/activity/").content.decode()
    second = pm.get("/activity/?page=2").content.decode()

    assert first.count('<tr id="submission-') == 50
    assert "Batch 54" in first and "Batch 5</dd>" in first and "Batch 4</dd>" not in first
    assert "Page 1 of 2" in first
    assert "Batch 4</dd>" in second


def test_an_empty_activity_page_says_so(sandbox, pm):
    assert "Nothing sent yet" in pm.get("/activity/").content.decode()


def test_a_failed_submission_shows_its_outcome_and_a_way_back_to_the_form(sandbox, pm, editor):
    submission = record(
        editor,
        1,
        state=Submission.State.FAILED,
        error_status=409,
        error_code="CONFLICT",
        error_reason="contract_ended",
        error_message="This contract has ended.",
        error_details={"reason": "contract_ended"},
        request_id="req-42",
    )

    html = pm.get(f"/submissions/{submission.key}/").content.decode()

    assert "Milestone not created" in html
    assert "This contract has ended" in html
    assert "req-42" in html
    assert f'href="{form_url(FIXED)}">Back to the form' in html


def test_an_unknown_outcome_says_so_plainly(sandbox, pm, editor):
    submission = record(
        editor,
        1,
        state=Submission.State.UNKNOWN,
        error_code="TIMEOUT",
        error_message="OpenTrain did not answer in time.",
        error_details={"recheck": "no_match"},
    )

    html = pm.get(f"/submissions/{submission.key}/").content.decode()

    assert "Not known yet whether the milestone was created" in html
    assert "does not show it yet" in html
    assert "Back to the form" in html


def test_an_unknown_submission_page_is_not_found(sandbox, pm):
    assert pm.get(f"/submissions/{uuid.uuid4()}/").status_code == 404


def test_reading_pages_show_a_submission_left_sending_as_unknown_without_writing(
    sandbox, pm, editor
):
    stale = record(editor, 1, state=Submission.State.PENDING)

    activity = pm.get("/activity/").content.decode()
    detail = pm.get(f"/submissions/{stale.key}/").content.decode()

    assert "Not known yet" in activity
    assert "Not known yet whether the milestone was created" in activity
    assert "Not known yet whether the milestone was created" in detail
    assert "stopped before OpenTrain answered" in detail
    stale.refresh_from_db()
    assert stale.state == Submission.State.PENDING


# --- every action, retries, links, export ------------------------------------------------------

NOT_FUNDED = "ms_owner_hourly_38_1"
HOURLY_38 = "ctr_owner_hourly_38"
FUNDED = "ms_owner_fixed_300_1"
NOTHING_FUNDED = "ctr_owner_label_norate"


def test_activity_records_funding_payout_and_end_requests_linked_to_their_contract(sandbox, pm):
    pm.post(f"/milestones/{NOT_FUNDED}/fund/", {"contract": HOURLY_38})
    pm.post(f"/milestones/{FUNDED}/approve/", {"contract": FIXED})
    pm.post(f"/contracts/{NOTHING_FUNDED}/end/", {"contract": NOTHING_FUNDED})

    html = pm.get("/activity/").content.decode()

    for action in ("Request funding", "Request payout approval", "End contract"):
        assert f'<span class="activity-action">{action}</span>' in html
    assert f'href="/contracts/{HOURLY_38}/#milestone-{NOT_FUNDED}"' in html
    assert f'href="/contracts/{FIXED}/#milestone-{FUNDED}"' in html
    assert f'href="/contracts/{NOTHING_FUNDED}/">' in html
    assert html.count("Approval requested</span>") == 2
    assert "Done</span>" in html  # the end: nothing was funded, so it ended at once


def test_a_created_milestone_links_to_itself_on_its_contract(sandbox, pm):
    send(pm, HOURLY, {"description": "Two hours", "volume": "2"})

    html = pm.get("/activity/").content.decode()

    created = milestones(HOURLY)[-1]
    assert f'href="/contracts/{HOURLY}/#milestone-{created.id}">milestone #{created.number}' in html


def test_a_retry_links_to_the_failed_attempt_and_back(sandbox, pm):
    typed = {"description": "Two hours", "volume": "2"}
    set_fault("POST:500,times=1")
    send(pm, HOURLY, typed)
    unclear = Submission.objects.get()
    # "Submit again": a new key, the same milestone, confirmed after the hold.
    send(pm, HOURLY, {**typed, "repeat_of": str(unclear.key)})

    failed, retry = Submission.objects.order_by("created_at", "id")
    html = pm.get("/activity/").content.decode()

    assert failed.state in (Submission.State.FAILED, Submission.State.UNKNOWN)
    assert retry.state == Submission.State.CREATED and retry.retry_of == failed
    assert f'Retry of <a href="/submissions/{failed.key}/">' in html
    assert f'Retried <a href="/submissions/{retry.key}/">' in html


def test_a_failed_funding_request_and_its_retry_link_both_ways(sandbox, pm):
    set_fault("POST@fund:503")
    pm.post(f"/milestones/{NOT_FUNDED}/fund/", {"contract": HOURLY_38})
    set_fault("")
    pm.post(f"/milestones/{NOT_FUNDED}/fund/", {"contract": HOURLY_38})

    failed, retry = HandoffAttempt.objects.order_by("created_at", "id")
    html = pm.get("/activity/").content.decode()

    assert retry.retry_of == failed
    assert f'<tr id="handoff-{failed.pk}">' in html
    assert f'Retry of <a href="#handoff-{failed.pk}">' in html
    assert f'Retried <a href="#handoff-{retry.pk}">' in html
    assert "Not requested</span>" in html
    assert f"<code>{failed.request_id}</code>" in html


def test_the_page_links_to_the_csv_export_which_has_every_action_and_its_retries(sandbox, pm):
    set_fault("POST@fund:503")
    pm.post(f"/milestones/{NOT_FUNDED}/fund/", {"contract": HOURLY_38})
    set_fault("")
    pm.post(f"/milestones/{NOT_FUNDED}/fund/", {"contract": HOURLY_38})
    send(pm, HOURLY, {"description": "Two hours", "volume": "2"})

    assert 'href="/exports/activity.csv" download' in pm.get("/activity/").content.decode()
    response = pm.get("/exports/activity.csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))

    assert [r["action"] for r in rows] == ["create_milestone", "fund", "fund"]  # newest first
    failed, retry = HandoffAttempt.objects.order_by("created_at", "id")
    assert rows[1]["retry_of"] == f"handoff-{failed.pk}"
    assert rows[1]["approval_id"] == retry.approval_id
    assert rows[2]["state"] == "failed" and rows[2]["request_id"] == failed.request_id
    assert rows[0]["contract_id"] == HOURLY and rows[0]["volume"] == "2"
