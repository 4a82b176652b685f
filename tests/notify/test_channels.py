"""Team channels: the message a chat service receives, its refusals in words, the worker's retries,
and /settings/channels/ (add, test, remove; editors only; URLs masked, never logged).

The chat service is a real HTTP server on a free port (tests/notify/chat_receiver.py)."""

import logging
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from dashboard.mirror.models import Account
from dashboard.notify import chat, send
from dashboard.notify.models import RETRY_AFTER, URGENT_KINDS, Alert, Channel, Notice
from tests.notify.chat_receiver import Receiver, nothing_listening

pytestmark = pytest.mark.django_db

LIST = "/settings/channels/"


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = "https://dash.example.com"
    settings.NOTIFY_CHAT_TIMEOUT = 0.5  # the hanging receiver is given up on quickly
    settings.OT_SANDBOX = True
    settings.DEBUG = False
    # A token of its own: the banner does not look for the sandbox's demo accounts (no live server).
    settings.OT_API_TOKEN = "a-token-for-these-tests"


def channel(url: str, name: str = "pm-alerts", kinds=None) -> Channel:
    return Channel.objects.create(name=name, url=url, kinds=kinds or list(URGENT_KINDS))


def depleted_alert() -> Alert:
    account = Account.objects.create(fingerprint="f" * 64, label="Owner")
    return Alert.objects.create(
        account=account,
        key="depleted:C-1",
        kind="budget",
        subject="Budget depleted: Spanish Sentiment Labels",
        summary="Every funded unit is used: the AI trainer stops until you fund more.",
        contract_id="C-1",
        contract_title="Spanish Sentiment Labels",
        action_label="Add next batch",
        action_path="/contracts/C-1/milestones/new/",
    )


def urgent_notice(to: Channel) -> Notice:
    alert = depleted_alert()
    return Notice.objects.create(
        kind=Notice.Kind.URGENT, alert=alert, channel=to, subject=alert.subject
    )


def refusal(url: str) -> chat.Refused:
    to = channel(url)
    with pytest.raises(chat.Refused) as refused:
        chat.send(to, chat.payload(urgent_notice(to)))
    return refused.value


# --- The message ---------------------------------------------------------------------------------


def test_an_urgent_message_has_a_complete_text_and_a_button_to_the_action(receiver):
    to = channel(receiver.url("ok"))
    notice = urgent_notice(to)

    assert send.deliver() == {"sent": 1, "failed": 0, "cancelled": 0}

    [body] = receiver.received
    link = "https://dash.example.com/contracts/C-1/milestones/new/"
    assert body["text"] == (
        "Budget depleted: Spanish Sentiment Labels — Every funded unit is used: the AI trainer "
        f"stops until you fund more. <{link}|Add next batch>"
    )
    [section] = body["blocks"]
    assert section["type"] == "section"
    assert section["text"]["text"].startswith("*Budget depleted: Spanish Sentiment Labels*\n")
    assert "Every funded unit is used" in section["text"]["text"]
    assert section["accessory"]["type"] == "button"
    assert section["accessory"]["text"]["text"] == "Add next batch"
    assert section["accessory"]["url"] == link
    notice.refresh_from_db()
    assert (notice.state, notice.attempts, notice.error) == ("sent", 0, "")
    assert notice.sent_at is not None


def test_a_title_with_angle_brackets_stays_text_in_the_chat(receiver):
    to = channel(receiver.url("ok"))
    notice = urgent_notice(to)
    Alert.objects.filter(pk=notice.alert_id).update(subject="Budget depleted: <Q&A> labels")

    send.deliver()

    [body] = receiver.received
    assert body["text"].startswith("Budget depleted: &lt;Q&amp;A&gt; labels — ")


def test_a_test_message_says_which_alerts_the_channel_will_get(receiver):
    to = channel(receiver.url("ok"), kinds=["budget", "sync"])
    Notice.objects.create(kind=Notice.Kind.TEST, channel=to, subject="Test")

    send.deliver()

    [body] = receiver.received
    assert body["text"] == (
        "A test from the OpenTrain dashboard: this channel will get budgets that ran out or will "
        "within a day and a sync with OpenTrain that keeps failing."
    )
    assert body["blocks"][0]["text"]["text"] == body["text"]


# --- Refusals in words ---------------------------------------------------------------------------


def test_a_400_says_the_channel_refused_the_message_with_slacks_reason(receiver):
    refused = refusal(receiver.url("invalid_payload"))
    assert refused.words.startswith("The channel refused the message (400 invalid_payload)")
    assert refused.final


def test_a_404_says_the_webhook_url_is_no_longer_valid_for_good(receiver):
    refused = refusal(receiver.url("no_service"))
    assert refused.words.startswith(
        "The webhook URL is no longer valid: create a new incoming webhook and replace it"
    )
    assert "(404 no_service)" in refused.words
    assert refused.final


def test_a_429_says_the_chat_service_asks_to_slow_down_and_is_tried_again(receiver):
    refused = refusal(receiver.url("slow_down"))
    assert refused.words.startswith("The chat service asks to slow down (429")
    assert not refused.final


def test_a_500_says_the_chat_service_had_a_problem_without_repeating_its_page(receiver):
    refused = refusal(receiver.url("broken"))
    assert refused.words.startswith("The chat service had a problem (500)")
    assert "html" not in refused.words
    assert not refused.final


def test_a_hang_says_the_chat_service_did_not_answer_in_time(receiver):
    refused = refusal(receiver.url("hang"))
    assert refused.words == "The chat service did not answer within 0.5 s."
    assert not refused.final


def test_a_refused_connection_says_the_chat_service_could_not_be_reached(db):
    refused = refusal(nothing_listening())
    assert refused.words.startswith("The chat service could not be reached")
    assert not refused.final


def test_a_connection_cut_without_an_answer_says_it_could_not_be_reached(receiver):
    refused = refusal(receiver.url("reset"))
    assert refused.words.startswith("The chat service could not be reached")
    assert not refused.final


def test_no_refusal_repeats_the_url(receiver):
    for answer in ("invalid_payload", "no_service", "slow_down", "broken", "hang", "reset"):
        Channel.objects.all().delete()
        Account.objects.all().delete()
        assert receiver.secret not in refusal(receiver.url(answer)).words


# --- The worker's retries ------------------------------------------------------------------------


def test_a_failing_chat_service_is_tried_again_after_1_5_and_30_minutes_then_shown_failed(
    receiver, client, editor
):
    notice = urgent_notice(channel(receiver.url("broken")))
    due = timezone.now()

    for attempt, wait in enumerate(RETRY_AFTER, start=1):
        before = timezone.now()
        assert send.deliver(due)["failed"] == 1
        after = timezone.now()
        notice.refresh_from_db()
        assert (notice.state, notice.attempts) == ("pending", attempt)
        assert before + wait <= notice.next_attempt_at <= after + wait
        assert notice.error.startswith("The chat service had a problem (500)")
        # Not tried again before its time.
        assert send.deliver(notice.next_attempt_at - timedelta(seconds=1))["failed"] == 0
        due = notice.next_attempt_at

    assert send.deliver(due)["failed"] == 1
    notice.refresh_from_db()
    assert (notice.state, notice.attempts) == ("failed", 4)
    assert len(receiver.received) == 4

    client.force_login(editor)
    page = client.get(LIST).content.decode()
    assert "Last delivery failed: The chat service had a problem (500)" in page


def test_a_webhook_that_is_gone_fails_at_once_and_is_not_tried_again(receiver):
    notice = urgent_notice(channel(receiver.url("no_service")))

    send.deliver()
    send.deliver(timezone.now() + timedelta(hours=1))

    notice.refresh_from_db()
    assert (notice.state, notice.attempts) == ("failed", 1)
    assert notice.error.startswith("The webhook URL is no longer valid")
    assert len(receiver.received) == 1


def test_a_429_waits_a_minute_like_any_other_retry_and_the_page_says_so(receiver, client, editor):
    notice = urgent_notice(channel(receiver.url("slow_down")))

    before = timezone.now()
    send.deliver()

    notice.refresh_from_db()
    assert (notice.state, notice.attempts) == ("pending", 1)
    assert notice.next_attempt_at >= before + RETRY_AFTER[0]
    assert notice.error.startswith("The chat service asks to slow down")
    client.force_login(editor)
    page = client.get(LIST).content.decode()
    assert (
        "Not delivered yet: The chat service asks to slow down (429 rate_limited). Tried again in"
        in page
    )


def test_the_url_is_in_no_log_line_and_on_no_page(receiver, caplog, client, editor):
    caplog.set_level(logging.DEBUG, logger="dashboard")
    for answer in ("ok", "invalid_payload", "no_service", "slow_down", "broken", "hang", "reset"):
        Notice.objects.create(
            kind=Notice.Kind.TEST,
            channel=channel(receiver.url(answer), name=answer),
            subject="Test",
        )
    urgent_notice(Channel.objects.get(name="ok"))
    client.force_login(editor)

    assert send.deliver() == {"sent": 2, "failed": 6, "cancelled": 0}
    page = client.get(LIST).content.decode()

    assert caplog.records, "the deliveries were logged"
    for record in caplog.records:
        assert receiver.secret not in record.getMessage()
        assert receiver.secret not in repr(vars(record))
    assert receiver.secret not in page
    for shown in Channel.objects.all():
        assert shown.masked_url in page


def test_the_http_librarys_own_request_lines_stay_below_the_projects_log_levels():
    # httpx logs each request's URL at INFO; the project's levels never let those lines out.
    assert not logging.getLogger("httpx").isEnabledFor(logging.INFO)
    assert not logging.getLogger("httpcore").isEnabledFor(logging.INFO)


# --- The page ------------------------------------------------------------------------------------


def test_an_editor_adds_a_channel_and_sees_it_with_its_url_masked(pm, receiver):
    response = pm.post(
        LIST, {"name": "#pm-alerts", "url": receiver.url("ok"), "kinds": ["budget", "approval"]}
    )

    added = Channel.objects.get()
    assert response.status_code == 302
    assert (added.name, added.kinds) == ("pm-alerts", ["budget", "approval"])
    page = pm.get(LIST).content.decode()
    assert "#pm-alerts was added" in page
    assert "#pm-alerts" in page
    assert added.masked_url in page
    assert receiver.secret not in page
    assert "Budgets that ran out or will within a day and approvals that expire" in page
    assert "Nothing sent yet" in page


def test_a_new_channel_gets_every_urgent_kind_unless_told_otherwise(pm):
    page = pm.get(LIST).content.decode()
    for kind in URGENT_KINDS:
        assert f'value="{kind}"' in page
    assert page.count("checked") == len(URGENT_KINDS)


def test_a_channel_without_a_name_is_refused_next_to_the_field_and_the_url_is_kept(pm):
    typed = "https://hooks.slack.com/services/T0/B0/abcd1234"
    response = pm.post(LIST, {"name": "  ", "url": typed, "kinds": ["budget"]})

    assert response.status_code == 200
    page = response.content.decode()
    name_field = page[page.index('id="id_name"') : page.index('id="id_url"')]
    assert "Give the channel a name" in name_field
    assert f'value="{typed}"' in page  # only in the form of the person who typed it
    assert Channel.objects.count() == 0


def test_an_http_url_is_refused_next_to_the_field_and_the_name_is_kept(pm):
    response = pm.post(
        LIST, {"name": "pm-alerts", "url": "http://hooks.example.com/x", "kinds": ["budget"]}
    )

    page = response.content.decode()
    url_field = page[page.index('id="id_url"') : page.index("<fieldset")]
    assert "Only https:// URLs are accepted" in url_field
    assert 'value="pm-alerts"' in page
    assert 'value="budget"' in page and page.count("checked") == 1
    assert Channel.objects.count() == 0


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("hooks.slack.com/services/T0/B0/x", "starting with https://"),
        ("ftp://hooks.example.com/x", "starting with https://"),
        ("https://me:pw@hooks.example.com/x", "Leave the user name and password out"),
        ("https://hooks example.com/x", "not a web address"),
        ("https://hooks.example.com/" + "x" * 500, "over 500 characters"),
        ("http://localhost.example.com/x", "Only https:// URLs are accepted"),
    ],
)
def test_urls_that_are_not_webhooks_are_refused_in_words(pm, url, words):
    response = pm.post(LIST, {"name": "pm-alerts", "url": url, "kinds": ["budget"]})

    assert words in " ".join(response.context["form"].errors["url"])
    assert words in response.content.decode()
    assert Channel.objects.count() == 0


@pytest.mark.parametrize("url", ["http://127.0.0.1:9999/hooks/x", "http://localhost:9999/x"])
def test_this_machine_over_http_is_accepted_in_sandbox_mode(pm, settings, url):
    settings.OT_SANDBOX, settings.DEBUG = True, False

    pm.post(LIST, {"name": "local", "url": url, "kinds": ["budget"]})

    assert Channel.objects.get().url == url


def test_this_machine_over_http_is_accepted_with_debug_on(pm, settings):
    settings.OT_SANDBOX, settings.DEBUG = False, True

    pm.post(LIST, {"name": "local", "url": "http://127.0.0.1:9999/x", "kinds": ["budget"]})

    assert Channel.objects.count() == 1


def test_this_machine_over_http_is_refused_in_production(pm, settings):
    settings.OT_SANDBOX, settings.DEBUG = False, False

    response = pm.post(
        LIST, {"name": "local", "url": "http://127.0.0.1:9999/x", "kinds": ["budget"]}
    )

    assert "accepted only in sandbox mode or with DEBUG on" in response.content.decode()
    assert Channel.objects.count() == 0


def test_a_second_channel_of_the_same_name_is_refused(pm):
    channel("https://hooks.example.com/services/one", name="pm-alerts")

    response = pm.post(
        LIST, {"name": "PM-Alerts", "url": "https://hooks.example.com/two", "kinds": ["budget"]}
    )

    assert "There is a channel called #PM-Alerts already" in response.content.decode()
    assert Channel.objects.count() == 1


def test_a_channel_needs_at_least_one_kind(pm):
    response = pm.post(LIST, {"name": "quiet", "url": "https://hooks.example.com/x"})

    assert "Choose at least one kind of alert" in response.content.decode()
    assert Channel.objects.count() == 0


def test_send_a_test_queues_the_worker_and_sends_nothing_from_the_request(
    pm, receiver, django_capture_on_commit_callbacks
):
    to = channel(receiver.url("ok"))

    with django_capture_on_commit_callbacks(execute=True):
        response = pm.post(reverse("channel_test", args=[to.pk]))

    test = Notice.objects.get(kind=Notice.Kind.TEST)
    assert response.status_code == 302
    assert response["Location"] == f"{LIST}?test={test.pk}#channel-{to.pk}"
    assert (test.channel, test.state) == (to, "pending")
    assert receiver.received == []
    assert DBTaskResult.objects.filter(status="READY", task_path__endswith="notify").exists()


def test_the_tests_outcome_polls_while_waiting_then_says_sent(pm, receiver):
    to = channel(receiver.url("ok"))
    pm.post(reverse("channel_test", args=[to.pk]))
    test = Notice.objects.get(kind=Notice.Kind.TEST)
    partial = f"{LIST}?test={test.pk}"

    waiting = pm.get(partial, headers={"HX-Request": "true"}).content.decode()
    assert "Test waiting" in waiting
    assert 'hx-trigger="every 1s"' in waiting
    assert "<html" not in waiting

    send.deliver()  # the worker's turn

    done = pm.get(partial, headers={"HX-Request": "true"}).content.decode()
    assert "Sent" in done
    assert "hx-trigger" not in done
    assert len(receiver.received) == 1
    page = pm.get(partial).content.decode()  # without JavaScript: the page, reloaded
    assert "The test reached #pm-alerts" in page
    assert "Last sent" in page


def test_a_refused_test_shows_the_refusal_in_words_and_is_tried_once(pm, receiver):
    to = channel(receiver.url("slow_down"))
    pm.post(reverse("channel_test", args=[to.pk]))
    test = Notice.objects.get(kind=Notice.Kind.TEST)

    send.deliver()
    send.deliver(timezone.now() + timedelta(hours=1))

    done = pm.get(f"{LIST}?test={test.pk}", headers={"HX-Request": "true"}).content.decode()
    assert "Not delivered" in done
    assert "The chat service asks to slow down (429" in done
    assert "hx-trigger" not in done
    assert len(receiver.received) == 1
    page = pm.get(LIST).content.decode()
    assert "Last delivery failed: The chat service asks to slow down" in page


def test_a_test_the_worker_never_picks_up_says_the_worker_may_not_be_running(pm):
    to = channel("https://hooks.example.com/services/T0/B0/abcd")
    an_hour_ago = timezone.now() - timedelta(hours=1)
    test = Notice.objects.create(
        kind=Notice.Kind.TEST, channel=to, subject="Test", created_at=an_hour_ago
    )

    waiting = pm.get(f"{LIST}?test={test.pk}", headers={"HX-Request": "true"}).content.decode()

    assert "Still not sent after 1 h: the dashboard's worker may not be running" in waiting
    assert 'hx-trigger="every 1s"' in waiting


def test_the_test_of_a_removed_channel_stops_polling(pm):
    to = channel("https://hooks.example.com/services/T0/B0/abcd")
    pm.post(reverse("channel_test", args=[to.pk]))
    test = Notice.objects.get(kind=Notice.Kind.TEST)
    pm.post(reverse("channel_remove", args=[to.pk]))

    gone = pm.get(f"{LIST}?test={test.pk}", headers={"HX-Request": "true"}).content.decode()

    assert (
        gone.strip()
        == '<span class="test-outcome">This test is gone: its channel was removed.</span>'
    )


def test_an_editor_removes_a_channel(pm):
    to = channel("https://hooks.example.com/services/T0/B0/abcd")

    response = pm.post(reverse("channel_remove", args=[to.pk]), follow=True)

    assert not Channel.objects.exists()
    assert "#pm-alerts was removed" in response.content.decode()


def test_a_viewer_sees_the_channels_but_no_form(client, viewer):
    channel("https://hooks.example.com/services/T0/B0/abcd")
    client.force_login(viewer)

    page = client.get(LIST).content.decode()

    assert "#pm-alerts" in page
    assert "https://hooks.example.com/…abcd" in page
    assert "Only editors can add, test or remove channels" in page
    assert '<form method="post" action="/settings/channels/"' not in page
    assert "Send a test" not in page
    assert "Remove" not in page


def test_a_viewer_cannot_add_test_or_remove(client, viewer):
    to = channel("https://hooks.example.com/services/T0/B0/abcd")
    client.force_login(viewer)

    added = client.post(
        LIST, {"name": "x", "url": "https://hooks.example.com/x", "kinds": ["sync"]}
    )
    tested = client.post(reverse("channel_test", args=[to.pk]))
    removed = client.post(reverse("channel_remove", args=[to.pk]))

    assert (added.status_code, tested.status_code, removed.status_code) == (403, 403, 403)
    assert list(Channel.objects.values_list("name", flat=True)) == ["pm-alerts"]
    assert not Notice.objects.exists()


def test_the_page_needs_a_sign_in(client):
    response = client.get(LIST)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_sandbox_mode_suggests_the_sandboxs_own_receiver(pm, settings):
    settings.SITE_URL = "http://127.0.0.1:8000"

    settings.OT_SANDBOX = True
    assert "http://127.0.0.1:8000/sandbox/chat/team/" in pm.get(LIST).content.decode()

    settings.OT_SANDBOX = False
    assert "/sandbox/chat/" not in pm.get(LIST).content.decode()


def test_forms_carry_csrf_tokens(pm):
    channel("https://hooks.example.com/services/T0/B0/abcd")
    page = pm.get(LIST).content.decode()
    assert page.count('name="csrfmiddlewaretoken"') >= 3  # add, test, remove
