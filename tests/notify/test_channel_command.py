"""`manage.py notify_channels`: add, list, test and remove the team's chat channels from the shell,
with the page's checks, and never a stored URL printed."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from dashboard.notify.models import URGENT_KINDS, Channel, Notice
from tests.notify.chat_receiver import Receiver

pytestmark = pytest.mark.django_db


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


@pytest.fixture(autouse=True)
def _sandbox(settings):
    settings.OT_SANDBOX, settings.DEBUG = True, False  # the local receiver is http://127.0.0.1
    settings.NOTIFY_CHAT_TIMEOUT = 0.5


def run(*args) -> str:
    out = StringIO()
    call_command("notify_channels", *args, stdout=out)
    return out.getvalue()


def test_add_takes_every_urgent_kind_by_default_and_prints_the_url_masked(receiver):
    printed = run("add", "--name", "pm-alerts", "--url", receiver.url("ok"))

    added = Channel.objects.get()
    assert (added.name, added.url, added.kinds) == ("pm-alerts", receiver.url(), list(URGENT_KINDS))
    assert printed == f"Added #pm-alerts ({added.masked_url}).\n"
    assert receiver.secret not in printed


def test_add_takes_the_kinds_it_is_given():
    run(
        "add",
        "--name",
        "ops",
        "--url",
        "https://hooks.example.com/T0/B0/x",
        "--kinds",
        "sync,budget",
    )

    assert Channel.objects.get().kinds == ["budget", "sync"]


def test_add_refuses_an_unknown_kind_by_name():
    with pytest.raises(CommandError, match="“weather” is not a kind of alert: choose from budget"):
        run("add", "--name", "ops", "--url", "https://hooks.example.com/x", "--kinds", "weather")
    assert not Channel.objects.exists()


def test_add_refuses_a_plain_http_url_with_the_pages_words():
    with pytest.raises(CommandError, match=r"--url: Only https:// URLs are accepted"):
        run("add", "--name", "ops", "--url", "http://hooks.example.com/x")
    assert not Channel.objects.exists()


def test_add_refuses_this_machine_over_http_outside_sandbox_and_debug(settings):
    settings.OT_SANDBOX = False

    with pytest.raises(CommandError, match="accepted only in sandbox mode or with DEBUG on"):
        run("add", "--name", "ops", "--url", "http://127.0.0.1:9/x")


def test_add_refuses_a_name_already_taken():
    run("add", "--name", "ops", "--url", "https://hooks.example.com/one")

    with pytest.raises(CommandError, match="--name: There is a channel called #ops already"):
        run("add", "--name", "#ops", "--url", "https://hooks.example.com/two")
    assert Channel.objects.count() == 1


def test_list_shows_each_channel_masked_with_its_kinds_and_last_delivery(receiver):
    run("add", "--name", "pm-alerts", "--url", receiver.url("ok"), "--kinds", "budget")
    run("add", "--name", "ops", "--url", receiver.url("no_service"))
    run("test", "pm-alerts")
    with pytest.raises(CommandError):
        run("test", "ops")

    printed = run("list")

    ops, pm_alerts = Channel.objects.order_by("name")
    first, second = printed.splitlines()
    assert first == (
        f"#ops  {ops.masked_url}  budget,approval,unclear,sync  last delivery failed: The webhook "
        "URL is no longer valid: create a new incoming webhook and replace it (404 no_service)."
    )
    assert second.startswith(f"#pm-alerts  {pm_alerts.masked_url}  budget  last sent ")
    assert second.endswith(" ago")
    assert receiver.secret not in printed


def test_list_says_how_to_add_when_there_is_none():
    assert "No channels yet" in run("list")


def test_test_sends_now_prints_sent_and_records_it(receiver):
    run("add", "--name", "pm-alerts", "--url", receiver.url("ok"), "--kinds", "approval")

    assert run("test", "#pm-alerts") == "Sent\n"

    assert receiver.texts() == [
        "A test from the OpenTrain dashboard: this channel will get approvals that expire within "
        "24 hours."
    ]
    notice = Notice.objects.get()
    assert (notice.kind, notice.state, notice.channel.name) == ("test", "sent", "pm-alerts")


def test_a_refused_test_fails_with_the_refusal_in_words(receiver):
    run("add", "--name", "pm-alerts", "--url", receiver.url("broken"))

    with pytest.raises(CommandError, match=r"The chat service had a problem \(500\)") as refused:
        run("test", "pm-alerts")

    assert receiver.secret not in str(refused.value)
    notice = Notice.objects.get()
    assert (notice.state, notice.attempts) == ("failed", 1)  # a test is tried once


def test_a_test_to_a_hanging_chat_service_says_it_did_not_answer(receiver):
    run("add", "--name", "pm-alerts", "--url", receiver.url("hang"))

    with pytest.raises(CommandError, match=r"did not answer within 0\.5 s"):
        run("test", "pm-alerts")


def test_test_and_remove_refuse_an_unknown_name():
    with pytest.raises(CommandError, match="There is no channel called #nope"):
        run("test", "nope")
    with pytest.raises(CommandError, match="There is no channel called #nope"):
        run("remove", "#nope")


def test_remove_removes_the_channel():
    run("add", "--name", "ops", "--url", "https://hooks.example.com/x")

    assert run("remove", "ops") == "Removed #ops.\n"
    assert not Channel.objects.exists()
