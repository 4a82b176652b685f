"""What was sent to whom: the notifications in Activity, and the contract page's last
notification."""

import re
import uuid
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from dashboard.models import Submission
from dashboard.notify.models import Channel, Notice
from tests.notify_helpers import HOURLY, LABELS, person, worker_runs

DEPLETED = "Budget depleted: Spanish Sentiment Labels (per label)"


@pytest.fixture(autouse=True)
def _every_test_has_the_sandbox(sandbox):
    """The seeded owner account is in the mirror, with a depleted budget on LABELS."""


def _text(html: str) -> str:
    """The page as a person reads it: tags gone, spaces squeezed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _notice(minutes_ago: int, **fields) -> Notice:
    at = timezone.now() - timedelta(minutes=minutes_ago)
    defaults = {"kind": Notice.Kind.URGENT, "created_at": at, "next_attempt_at": at}
    if fields.get("state") == Notice.State.SENT:
        defaults["sent_at"] = at
    return Notice.objects.create(**{**defaults, **fields})


def test_an_e_mail_the_worker_sent_appears_in_activity_with_whom_and_what(pm):
    person("ann")

    worker_runs()

    assert DEPLETED in [message.subject for message in mail.outbox]
    text = _text(pm.get("/activity/").content.decode())
    assert f"E-mail to ann@example.com: {DEPLETED}" in text
    assert "Sent by the dashboard" in text


def test_the_contract_page_shows_the_e_mail_the_worker_sent_about_it(pm):
    person("ann")
    worker_runs()

    text = _text(pm.get(f"/contracts/{LABELS}/").content.decode())

    assert re.search(
        rf"Last notification: E-mail to ann@example.com, \d+ \w+ ago — {re.escape(DEPLETED)}", text
    )


def test_a_failed_message_to_a_channel_says_why_in_activity(pm):
    ops = Channel.objects.create(name="ops", url="https://chat.example/hooks/1", kinds=["budget"])
    _notice(
        5,
        channel=ops,
        subject=DEPLETED,
        contract_id=LABELS,
        state=Notice.State.FAILED,
        error="The channel answered 500: it failed on its side.",
    )

    text = _text(pm.get("/activity/").content.decode())

    assert f"Message to #ops: {DEPLETED}" in text
    assert (
        "Delivery failed delivery failed: The channel answered 500: it failed on its side." in text
    )


def test_a_daily_digest_appears_in_activity(pm):
    ann = person("ann")
    _notice(
        5,
        kind=Notice.Kind.DIGEST,
        user=ann,
        address=ann.email,
        subject="3 items need you",
        state=Notice.State.SENT,
    )

    text = _text(pm.get("/activity/").content.decode())

    assert "Daily digest to ann@example.com: 3 items need you" in text


def test_waiting_and_cancelled_notices_are_not_activity(pm):
    ann = person("ann")
    _notice(5, user=ann, address=ann.email, subject="Still waiting")
    _notice(
        5,
        user=ann,
        address=ann.email,
        subject="Never sent",
        state=Notice.State.CANCELLED,
        error="The item was resolved before it was sent.",
    )

    html = pm.get("/activity/").content.decode()

    assert "Still waiting" not in html
    assert "Never sent" not in html
    assert "Nothing sent yet" in html


def _milestone_sent(editor, minutes_ago: int, description: str) -> None:
    submission = Submission.objects.create(
        key=uuid.uuid4(),
        user=editor,
        contract_id=LABELS,
        contract_title="Spanish Sentiment Labels (per label)",
        payment_type="PER_LABEL",
        payload={"description": description, "volume": 5},
        state=Submission.State.CREATED,
    )
    at = timezone.now() - timedelta(minutes=minutes_ago)
    Submission.objects.filter(pk=submission.pk).update(created_at=at)


def test_notices_sit_among_the_other_entries_by_time(pm, editor):
    _milestone_sent(editor, 40, "Batch forty")
    _milestone_sent(editor, 20, "Batch twenty")
    _notice(30, address="ann@example.com", subject="In between", state=Notice.State.SENT)

    html = pm.get("/activity/").content.decode()

    assert html.index("Batch twenty") < html.index("In between") < html.index("Batch forty")


def test_the_contract_page_shows_the_latest_sent_or_failed_notification(pm):
    ops = Channel.objects.create(name="ops", url="https://chat.example/hooks/1", kinds=["budget"])
    _notice(90, address="ann@example.com", subject="Older", contract_id=LABELS, state="sent")
    _notice(
        30,
        channel=ops,
        subject="Newer",
        contract_id=LABELS,
        state=Notice.State.FAILED,
        error="The channel answered 404: the webhook is gone.",
    )
    _notice(1, address="ann@example.com", subject="Still waiting", contract_id=LABELS)
    _notice(1, address="ann@example.com", subject="Elsewhere", contract_id=HOURLY, state="sent")

    text = _text(pm.get(f"/contracts/{LABELS}/").content.decode())

    assert (
        "Last notification: Message to #ops, 30 min ago "
        "(delivery failed: The channel answered 404: the webhook is gone.) — Newer"
    ) in text
    assert "Older" not in text
    assert "Still waiting" not in text
    assert "Elsewhere" not in text


def test_a_contract_without_notifications_shows_none(pm):
    assert "Last notification" not in pm.get(f"/contracts/{LABELS}/").content.decode()
