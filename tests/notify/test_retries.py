"""A delivery that fails is tried again after 1, 5 and 30 minutes, then shown as failed in words;
one that succeeds on a later try is sent once."""

from datetime import timedelta

import pytest
from django.utils import timezone

from dashboard.notify import send, watch
from dashboard.notify.models import Channel, Notice


@pytest.fixture(autouse=True)
def _every_test_has_the_sandbox(sandbox):
    """The seeded owner account, synced: its per-label contract's budget is depleted."""


def the_notice() -> Notice:
    return Notice.objects.get(channel__name="ops")


def test_a_failing_channel_is_tried_after_1_5_and_30_minutes_then_shown_as_failed(receiver):
    Channel.objects.create(name="ops", url=receiver.url, kinds=["budget"])
    receiver.status = 500
    start = timezone.now()
    watch.scan(start)

    tries = []
    for minutes in (0, 0.5, 1.1, 5, 6.2, 30, 36.3, 100):
        send.deliver(start + timedelta(minutes=minutes))
        notice = the_notice()
        tries.append((minutes, notice.attempts, notice.state))

    assert tries == [
        (0, 1, "pending"),
        (0.5, 1, "pending"),  # not due yet: 1 minute after the first try
        (1.1, 2, "pending"),
        (5, 2, "pending"),  # 5 minutes after the second
        (6.2, 3, "pending"),
        (30, 3, "pending"),  # 30 minutes after the third
        (36.3, 4, "failed"),
        (100, 4, "failed"),
    ]
    assert the_notice().error.startswith("The chat service had a problem (500")
    assert receiver.received == []


def test_a_channel_that_recovers_gets_the_message_once(receiver):
    Channel.objects.create(name="ops", url=receiver.url, kinds=["budget"])
    receiver.status = 500
    start = timezone.now()
    watch.scan(start)
    send.deliver(start)

    receiver.status = 200
    send.deliver(start + timedelta(minutes=2))
    send.deliver(start + timedelta(minutes=10))

    assert the_notice().state == Notice.State.SENT
    assert the_notice().error == ""
    assert len(receiver.received) == 1


def test_a_notice_another_sender_holds_is_not_sent_twice(receiver):
    Channel.objects.create(name="ops", url=receiver.url, kinds=["budget"])
    watch.scan()
    Notice.objects.update(claimed_until=timezone.now() + timedelta(minutes=1))

    send.deliver()

    assert receiver.received == []
    assert the_notice().state == Notice.State.PENDING
