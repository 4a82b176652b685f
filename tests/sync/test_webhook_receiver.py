"""The webhook receiver: signed deliveries are recorded once and queue a sync; anything else is
refused with 400 and changes nothing. It needs no sign-in and no CSRF token, and never calls
OpenTrain."""

import hashlib
import hmac
import json
import time
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from opentrain.webhooks import verify_webhook_signature

from dashboard.mirror import signatures, tasks
from dashboard.mirror.models import Delivery

SECRET = "whsec_test_receiver_secret"
URL = "/webhooks/opentrain/"
EVENT = {
    "id": "evt_1",
    "type": "milestone.status_changed",
    "apiVersion": "v1",
    "createdAt": "2026-11-26T10:00:00.000Z",
    "resourceId": "ms_1",
    "jobId": "job_1",
    "data": {"milestoneId": "ms_1", "contractId": "ctr_1", "status": "ACTIVE_FUNDED"},
}


def signed(body: bytes, secret: str = SECRET, at: int | None = None) -> str:
    """Sign as OpenTrain documents it, written out here, not taken from the code under test."""
    t = int(time.time()) if at is None else at
    digest = hmac.new(secret.encode(), f"{t}.{body.decode()}".encode(), hashlib.sha256)
    return f"t={t},v1={digest.hexdigest()}"


@pytest.fixture
def receiver(db, settings):
    settings.OT_WEBHOOK_SECRET = SECRET
    return Client(enforce_csrf_checks=True)


def deliver(client, body: bytes, signature: str | None, delivery="dlv_1"):
    headers = {"HTTP_X_OPENTRAIN_EVENT": "milestone.status_changed"}
    if signature is not None:
        headers["HTTP_X_OPENTRAIN_SIGNATURE"] = signature
    if delivery:
        headers["HTTP_X_OPENTRAIN_DELIVERY"] = delivery
    return client.post(URL, data=body, content_type="application/json", **headers)


def test_a_signed_delivery_is_recorded_and_queues_a_sync_without_sign_in_or_csrf(
    receiver, upstream_calls
):
    body = json.dumps(EVENT).encode()

    response = deliver(receiver, body, signed(body))

    assert response.status_code == 202
    assert Delivery.objects.get().event["id"] == "evt_1"
    assert DBTaskResult.objects.filter(status="READY").count() == 1
    assert upstream_calls == []


def test_the_same_delivery_twice_is_recorded_once_and_queues_nothing_more(receiver):
    body = json.dumps(EVENT).encode()
    deliver(receiver, body, signed(body))

    again = deliver(receiver, body, signed(body))

    assert again.status_code == 200
    assert again.json()["duplicate"] is True
    assert Delivery.objects.count() == 1
    assert DBTaskResult.objects.count() == 1


@pytest.mark.parametrize(
    "signature",
    [
        None,
        "",
        "t=abc,v1=00",
        "v1=deadbeef",
        "t=1700000000",
        "wrong-secret",
        "stale",
        "future",
        "other-body",
        "non-ascii-digit",
        "non-ascii-v1",
    ],
)
def test_a_missing_malformed_wrong_or_stale_signature_is_refused_and_changes_nothing(
    receiver, signature
):
    body = json.dumps(EVENT).encode()
    now = int(time.time())
    signature = {
        "wrong-secret": signed(body, secret="whsec_someone_else"),
        "stale": signed(body, at=now - 301),
        "future": signed(body, at=now + 310),  # a margin: the clock moves on
        "other-body": signed(b'{"id": "evt_2"}'),
        "non-ascii-digit": signed(body).replace("t=", "t=\u00b2", 1),
        "non-ascii-v1": signed(body) + ",v1=\u00e9\u00e9",
    }.get(signature, signature)

    response = deliver(receiver, body, signature)

    assert response.status_code == 400
    assert Delivery.objects.count() == 0
    assert DBTaskResult.objects.count() == 0


def test_a_delivery_without_its_delivery_id_is_refused(receiver):
    body = json.dumps(EVENT).encode()

    assert deliver(receiver, body, signed(body), delivery="").status_code == 400


@pytest.mark.parametrize(
    "body",
    [b"NaN", b'{"id": "evt_1", "amount": NaN}', b"[" * 100_000 + b"]" * 100_000, b'["evt_1"]'],
    ids=["nan", "nan-inside", "deeply-nested", "not-an-object"],
)
def test_a_signed_body_that_is_not_a_json_object_is_refused_and_stores_nothing(receiver, body):
    response = deliver(receiver, body, signed(body))

    assert response.status_code == 400
    assert Delivery.objects.count() == 0
    assert DBTaskResult.objects.count() == 0


def test_a_delivery_id_over_200_characters_is_refused_not_cut(receiver):
    body = json.dumps(EVENT).encode()

    first = deliver(receiver, body, signed(body), delivery="d" * 200 + "1")
    second = deliver(receiver, body, signed(body), delivery="d" * 200 + "2")

    assert first.status_code == second.status_code == 400
    assert Delivery.objects.count() == 0


def test_the_worker_prunes_deliveries_older_than_30_days(receiver, settings):
    settings.OT_API_TOKEN = "ot_test_token"  # one account, known without asking OpenTrain
    body = json.dumps(EVENT).encode()
    deliver(receiver, body, signed(body), delivery="dlv_old")
    deliver(receiver, body, signed(body), delivery="dlv_recent")
    Delivery.objects.filter(delivery_id="dlv_old").update(
        received_at=timezone.now() - timedelta(days=31)
    )
    Delivery.objects.filter(delivery_id="dlv_recent").update(
        received_at=timezone.now() - timedelta(days=29)
    )

    tasks.request_upkeep()  # what the worker's ticker queues every OT_SYNC_POLL_SECONDS
    assert DBTaskResult.objects.filter(task_path=tasks.prune_deliveries.module_path).exists()
    tasks.prune_deliveries.call()  # as the worker runs it

    assert list(Delivery.objects.values_list("delivery_id", flat=True)) == ["dlv_recent"]


def test_the_receiver_accepts_only_post(receiver):
    assert receiver.get(URL).status_code == 405


@pytest.mark.parametrize("age", [0, 299, 301])
def test_our_verifier_agrees_with_the_official_sdk(age):
    body = json.dumps(EVENT, separators=(",", ":")).encode()
    header = signed(body, at=int(time.time()) - age)

    ours = signatures.verify(SECRET, body, header)
    theirs = verify_webhook_signature(
        secret=SECRET, raw_body=body.decode(), signature_header=header, tolerance_seconds=300
    )

    assert ours == theirs
