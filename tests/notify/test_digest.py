"""The daily digest: once a day at each person's hour in their time zone, one per account with open
items, none when nothing needs them, none while paused or turned off."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail

from dashboard.inbox import collect, setup_items
from dashboard.mirror.models import Account
from dashboard.models import Snooze
from dashboard.notify import send, watch
from dashboard.notify.models import Notice, Preference
from tests.notify_helpers import person

# 23:05 UTC on 7 December is 08:05 on 8 December in Tokyo.
TOKYO_MORNING = datetime(2026, 12, 7, 23, 5, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _every_test_has_the_sandbox(sandbox):
    """The seeded owner account, synced: a dozen items need the PM."""


def digests_for(user) -> list:
    return list(
        Notice.objects.filter(user=user, kind=Notice.Kind.DIGEST).values_list(
            "digest_day", flat=True
        )
    )


def in_tokyo(username: str, **choices):
    user = person(username)
    Preference.objects.create(
        user=user, time_zone="Asia/Tokyo", digest_hour=8, urgent_kinds=[], **choices
    )
    return user


def test_the_digest_comes_at_the_persons_hour_in_their_time_zone_once_a_day():
    ann = in_tokyo("ann")

    watch.scan(TOKYO_MORNING - timedelta(minutes=30))  # 07:35 in Tokyo
    assert digests_for(ann) == []

    watch.scan(TOKYO_MORNING)
    watch.scan(TOKYO_MORNING + timedelta(hours=3))
    assert [str(day) for day in digests_for(ann)] == ["2026-12-08"]

    watch.scan(TOKYO_MORNING + timedelta(days=1))
    assert sorted(str(day) for day in digests_for(ann)) == ["2026-12-08", "2026-12-09"]


def test_a_person_without_choices_gets_it_at_eight_in_the_dashboards_time_zone(settings):
    settings.TIME_ZONE = "UTC"
    ann = person("ann")

    watch.scan(datetime(2026, 12, 7, 7, 59, tzinfo=UTC))
    assert digests_for(ann) == []
    watch.scan(datetime(2026, 12, 7, 8, 0, tzinfo=UTC))
    assert [str(day) for day in digests_for(ann)] == ["2026-12-07"]


def test_the_digest_is_sent_as_an_email_to_the_person():
    in_tokyo("ann")

    watch.scan(TOKYO_MORNING)
    send.deliver(TOKYO_MORNING)

    digests = [m for m in mail.outbox if "need you" in m.subject]
    assert [m.to for m in digests] == [["ann@example.com"]]


def test_no_open_items_means_no_digest():
    ann = in_tokyo("ann")
    account = Account.objects.get()
    everything = collect(account, set(), limit=None)
    keys = [item.key for found in everything.values() for item in found.items]
    keys += [item.key for item in setup_items(account)]
    for key in keys:
        Snooze.for_a_day(ann, key)

    watch.scan(TOKYO_MORNING)

    assert digests_for(ann) == []
    assert str(Preference.objects.get(user=ann).digest_day) == "2026-12-08"  # and not again today


def test_no_digest_while_paused_or_turned_off():
    ben = in_tokyo("ben", paused_until=TOKYO_MORNING + timedelta(days=3))
    cat = in_tokyo("cat", digest=False)

    watch.scan(TOKYO_MORNING)

    assert digests_for(ben) == []
    assert digests_for(cat) == []


def test_a_person_without_an_address_gets_no_digest():
    nobody = person("nobody", email="")

    watch.scan(TOKYO_MORNING + timedelta(hours=12))

    assert digests_for(nobody) == []
