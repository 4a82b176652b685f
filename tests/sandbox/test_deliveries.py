"""Signed deliveries to a real receiving server, verified with OpenTrain's SDK; retries."""

import json
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import call_command
from django.utils import timezone
from opentrain.webhooks import verify_webhook_signature

from sandbox.models import Delivery, Webhook

from .conftest import new_milestone

pytestmark = pytest.mark.django_db(transaction=True)

TYPES = ["milestone.status_changed"]


class Receiver:
    """A tiny HTTP server on 127.0.0.1 that records each POST and answers the next status."""

    def __init__(self, statuses=(), delay=0.0):
        self.statuses, self.delay = list(statuses), delay
        self.received = []
        self.arrived = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                time.sleep(receiver.delay)
                with receiver.arrived:
                    receiver.received.append((dict(self.headers), body))
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                    receiver.arrived.notify_all()
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/webhooks/opentrain/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, count, timeout=10):
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.received) >= count, timeout)
            return list(self.received)


@pytest.fixture
def receiver():
    made = []

    def make(statuses=(), delay=0.0):
        made.append(Receiver(statuses, delay))
        return made[-1]

    yield make
    for one in made:
        one.server.shutdown()


@pytest.fixture
def fast_retries(settings):
    settings.SANDBOX_WEBHOOK_BACKOFF = [0.05, 0.05, 0.05, 0.05]


def _settled_delivery(timeout=5):
    """The one delivery, once the sandbox has recorded its last attempt (it may lag the POST)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        delivery = Delivery.objects.get()
        if delivery.next_attempt_at is None:
            return delivery
        time.sleep(0.05)
    return delivery


def _subscribe(sdk, url, types=TYPES):
    return sdk.webhooks.create(url=url, event_types=types)


def test_a_delivery_is_signed_so_the_sdk_verifies_it(sdk, live_api, receiver):
    inbox = receiver()
    secret = _subscribe(sdk, inbox.url)["secret"]

    milestone = new_milestone(live_api)

    [(headers, body)] = inbox.wait_for(1)
    assert verify_webhook_signature(
        secret=secret, raw_body=body, signature_header=headers["X-OpenTrain-Signature"]
    )
    assert not verify_webhook_signature(
        secret="whsec_wrong", raw_body=body, signature_header=headers["X-OpenTrain-Signature"]
    )
    event = json.loads(body)
    assert event == live_api("GET", "/updates").json()["events"][0]
    assert event["resourceId"] == milestone["id"]
    assert headers["User-Agent"] == "OpenTrain-Webhooks/1.0"
    assert headers["X-OpenTrain-Event"] == "milestone.status_changed"
    assert headers["X-OpenTrain-Delivery"].startswith("dlv_")


def test_only_subscribed_event_types_are_delivered(sdk, live_api, receiver, signed_in):
    inbox = receiver()
    _subscribe(sdk, inbox.url, types=["payment.pending"])
    new_milestone(live_api)
    live_api("POST", "/milestones/ms_owner_hourly_38_1/fund")

    [(headers, _)] = inbox.wait_for(1)
    assert headers["X-OpenTrain-Event"] == "payment.pending"
    time.sleep(0.3)
    assert len(inbox.received) == 1


def test_different_events_get_different_delivery_ids(sdk, live_api, receiver):
    inbox = receiver()
    _subscribe(sdk, inbox.url)
    new_milestone(live_api, description="One")
    new_milestone(live_api, description="Two")

    ids = {headers["X-OpenTrain-Delivery"] for headers, _ in inbox.wait_for(2)}
    assert len(ids) == 2


def test_the_api_answers_without_waiting_for_a_slow_receiver(sdk, live_api, receiver):
    inbox = receiver(delay=2)
    _subscribe(sdk, inbox.url)
    started = time.monotonic()
    new_milestone(live_api)
    assert time.monotonic() - started < 1.5
    assert len(inbox.wait_for(1)) == 1


def test_a_failing_receiver_is_retried_with_the_same_delivery_id(
    sdk, live_api, receiver, fast_retries
):
    inbox = receiver(statuses=[500, 503])
    secret = _subscribe(sdk, inbox.url)["secret"]
    new_milestone(live_api)

    attempts = inbox.wait_for(3)

    assert len({h["X-OpenTrain-Delivery"] for h, _ in attempts}) == 1
    assert len({body for _, body in attempts}) == 1
    for headers, body in attempts:
        assert verify_webhook_signature(
            secret=secret, raw_body=body, signature_header=headers["X-OpenTrain-Signature"]
        )
    delivery = _settled_delivery()
    assert (delivery.attempts, delivery.last_status) == (3, 200)
    assert delivery.delivered_at is not None
    assert delivery.next_attempt_at is None


def test_a_delivery_is_given_up_after_five_attempts(sdk, live_api, receiver, fast_retries):
    inbox = receiver(statuses=[500] * 10)
    _subscribe(sdk, inbox.url)
    new_milestone(live_api)

    assert len(inbox.wait_for(5)) == 5
    time.sleep(0.5)
    assert len(inbox.received) == 5
    delivery = _settled_delivery()
    assert (delivery.attempts, delivery.last_status, delivery.delivered_at) == (5, 500, None)
    assert delivery.next_attempt_at is None


def test_a_webhook_is_disabled_after_ten_consecutive_failures(
    sdk, live_api, receiver, fast_retries
):
    inbox = receiver(statuses=[500] * 20)
    webhook_id = _subscribe(sdk, inbox.url)["webhook"]["id"]
    new_milestone(live_api, description="One")
    new_milestone(live_api, description="Two")
    new_milestone(live_api, description="Three")

    inbox.wait_for(10)
    time.sleep(0.5)

    assert len(inbox.received) == 10
    webhook = live_api("GET", f"/webhooks/{webhook_id}").json()["webhook"]
    assert webhook["status"] == "DISABLED"
    assert webhook["disabledAt"] is not None
    assert webhook["disabledReason"] == "10 consecutive delivery failures"


def test_the_command_sends_what_is_due_after_a_restart(sdk, live_api, receiver, settings):
    # A long back-off keeps the server's own delivery thread asleep during the test.
    settings.SANDBOX_WEBHOOK_BACKOFF = [600]
    inbox = receiver(statuses=[500])
    _subscribe(sdk, inbox.url)
    new_milestone(live_api)
    inbox.wait_for(1)
    time.sleep(0.2)
    Delivery.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))

    call_command("sandbox_deliver", verbosity=0)

    attempts = inbox.wait_for(2)
    assert attempts[0][0]["X-OpenTrain-Delivery"] == attempts[1][0]["X-OpenTrain-Delivery"]
    assert _settled_delivery().delivered_at is not None
    assert Webhook.objects.get().consecutive_failures == 0
