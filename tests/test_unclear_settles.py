"""A milestone OpenTrain created after the dashboard stopped waiting: the sync settles the
unclear submission by itself, and one never created is called so a day later, by the next full
reconciliation. Nothing here asks the PM to act."""

import time
from datetime import timedelta

from django.db import OperationalError
from django.utils import timezone

from dashboard.mirror import tasks
from dashboard.models import Submission
from tests.milestone_helpers import FIXED, FIXED_FORM, milestones, send, set_fault
from tests.mirror_helpers import sync_account

NOT_KNOWN = "Not known yet whether the milestone was created"


def send_late(pm, settings):
    """The milestone POST times out on our side and OpenTrain creates it a moment later."""
    settings.OT_API_TIMEOUT = 0.5
    set_fault("POST:late=2")
    html = send(pm, FIXED, FIXED_FORM).content.decode()
    set_fault("")
    deadline = time.monotonic() + 10
    while not landed() and time.monotonic() < deadline:
        time.sleep(0.1)
    return html


def landed() -> bool:
    """Whether the sandbox holds the late milestone yet (its table is locked while it writes)."""
    try:
        return len(milestones(FIXED)) >= 2
    except OperationalError:
        return False


def test_a_late_write_is_not_known_yet_when_the_form_comes_back(sandbox, pm, settings):
    html = send_late(pm, settings)

    assert NOT_KNOWN in html
    assert Submission.objects.get().state == Submission.State.UNKNOWN


def test_the_updates_feed_settles_a_late_write_as_created_with_its_milestone(sandbox, pm, settings):
    send_late(pm, settings)

    sync_account(full=False)

    submission = Submission.objects.get()
    assert submission.state == Submission.State.CREATED
    assert submission.milestone_id == milestones(FIXED)[-1].id
    assert len(milestones(FIXED)) == 2


def test_activity_and_the_submission_page_show_the_settled_write_as_created(sandbox, pm, settings):
    send_late(pm, settings)
    sync_account(full=False)
    submission = Submission.objects.get()

    activity = pm.get("/activity/").content.decode()
    page = pm.get(f"/submissions/{submission.key}/").content.decode()

    assert "Not known yet" not in activity
    assert "Milestone created" in page
    assert "found it on the contract afterwards" in page


def test_after_a_late_write_settles_the_same_milestone_is_shown_before_another(
    sandbox, pm, settings
):
    send_late(pm, settings)
    sync_account(full=False)

    again = send(pm, FIXED, FIXED_FORM).content.decode()

    assert "You already created this milestone" in again
    assert len(milestones(FIXED)) == 2


def test_an_unclear_write_the_contract_never_shows_stays_not_known(sandbox, pm):
    set_fault("POST:500")
    send(pm, FIXED, FIXED_FORM)
    set_fault("")

    sync_account(full=True)

    assert Submission.objects.get().state == Submission.State.UNKNOWN


def unclear_for_a_day(pm) -> Submission:
    set_fault("POST:500")
    send(pm, FIXED, FIXED_FORM)
    set_fault("")
    submission = Submission.objects.get()
    Submission.objects.filter(pk=submission.pk).update(
        created_at=timezone.now() - timedelta(hours=25)
    )
    return submission


def test_a_write_unclear_for_a_day_is_in_needs_you_with_a_link_to_compare(sandbox, pm):
    submission = unclear_for_a_day(pm)

    inbox = pm.get("/").content.decode()
    page = pm.get(f"/submissions/{submission.key}/").content.decode()

    assert "outcome is still not known" in inbox
    assert "Whether milestone “Second batch” was created is still not known" in inbox
    assert f'href="/submissions/{submission.key}/"' in inbox
    assert "The contract's milestones now" in page
    assert "<td>1</td>" in page  # the contract's one milestone, to compare


def test_the_next_full_reconciliation_a_day_later_calls_it_not_created(sandbox, pm):
    submission = unclear_for_a_day(pm)

    sync_account(full=True)

    submission.refresh_from_db()
    assert submission.state == Submission.State.FAILED
    page = pm.get(f"/submissions/{submission.key}/").content.decode()
    assert "Milestone not created" in page
    assert "it was not created" in page
    assert "outcome is still not known" not in pm.get("/").content.decode()


def test_a_sync_that_follows_only_the_feed_does_not_call_it_not_created(sandbox, pm):
    submission = unclear_for_a_day(pm)

    sync_account(full=False)

    submission.refresh_from_db()
    assert submission.state == Submission.State.UNKNOWN


def test_the_form_that_came_back_unclear_follows_the_attempt_until_it_settles(
    sandbox, pm, settings
):
    html = send_late(pm, settings)
    submission = Submission.objects.get()
    line = f'hx-get="/submissions/{submission.key}/?part=state"'
    assert line in html

    before = pm.get(f"/submissions/{submission.key}/?part=state").content.decode()
    sync_account(full=False)
    after = pm.get(f"/submissions/{submission.key}/?part=state").content.decode()

    assert "The dashboard is watching the contract" in before
    assert "Update: OpenTrain did create this milestone" in after
    assert "hx-get" not in after  # settled: it stops asking


def test_activity_is_a_live_region_that_redraws_when_the_mirror_changes(sandbox, pm):
    html = pm.get("/activity/").content.decode()

    assert 'id="activity" hx-get="/activity/" hx-trigger="mirror-changed from:body"' in html
    assert 'hx-get="/sync/version/?v=' in html


def test_the_worker_reads_the_feed_every_few_seconds_while_a_write_is_not_known(
    sandbox, pm, settings
):
    settings.OT_SYNC_POLL_SECONDS = 30
    assert tasks.poll_seconds() == 30

    set_fault("POST:500")
    send(pm, FIXED, FIXED_FORM)
    set_fault("")

    assert tasks.poll_seconds() == tasks.UNCLEAR_POLL_SECONDS
    sync_account(full=False)  # the feed shows nothing of it: it stays not known
    assert tasks.poll_seconds() == tasks.UNCLEAR_POLL_SECONDS
