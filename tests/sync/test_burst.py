"""A burst of 1,000 webhook deliveries, repeated and out of order: each delivery is recorded once,
one sync is queued, and after it the mirror equals the sandbox's own answers."""

import hashlib
import hmac
import json
import random
import time
from decimal import Decimal

import httpx
from django.core.serializers.json import DjangoJSONEncoder
from django.test import Client
from django_tasks_db.models import DBTaskResult

from dashboard import services
from dashboard.mirror import tasks
from dashboard.mirror.models import Contract, Delivery, WebhookSubscription
from sandbox import demo
from tests.mirror_helpers import sync_account

SECRET = "whsec_burst_test"


def sign(body: bytes) -> str:
    t = int(time.time())
    digest = hmac.new(SECRET.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


def test_a_burst_of_repeated_out_of_order_deliveries_leaves_the_mirror_equal_to_the_sandbox(
    sandbox, db
):
    account = sync_account(demo.OWNER)
    WebhookSubscription.objects.create(
        account=account, webhook_id="wh_burst", url="http://127.0.0.1/", secret=SECRET
    )
    api = httpx.Client(
        base_url=f"{sandbox.url}/sandbox/api/public/v1",
        headers={"Authorization": f"Bearer {demo.OWNER_TOKEN}"},
    )
    slugs = ("label_007", "hourly_1250", "fixed_300", "label_012")
    for n in range(24):
        contract = demo.contract_id(demo.OWNER, slugs[n % len(slugs)])
        body = (
            {"description": f"Burst {n}", "amountUsd": 5}
            if "fixed" in contract
            else {
                "description": f"Burst {n}",
                "volume": n + 1,
            }
        )
        assert api.post(f"/contracts/{contract}/milestones", json=body).status_code in (200, 201)
    events = api.get("/updates", params={"limit": 200}).json()["events"]
    assert len(events) >= 24

    rng = random.Random(7)
    deliveries = [(f"dlv_{rng.randrange(300)}", rng.choice(events)) for _ in range(1000)]
    receiver = Client(enforce_csrf_checks=True)
    statuses = []
    for delivery_id, event in deliveries:
        raw = json.dumps(event).encode()
        statuses.append(
            receiver.post(
                "/webhooks/opentrain/",
                data=raw,
                content_type="application/json",
                HTTP_X_OPENTRAIN_SIGNATURE=sign(raw),
                HTTP_X_OPENTRAIN_DELIVERY=delivery_id,
                HTTP_X_OPENTRAIN_EVENT=event["type"],
            ).status_code
        )

    assert set(statuses) <= {200, 202}
    assert Delivery.objects.count() == len({d for d, _ in deliveries})
    waiting = DBTaskResult.objects.filter(status="READY")
    assert waiting.count() == 1

    fingerprint = services.token_fingerprint(demo.OWNER_TOKEN)
    assert tasks.sync_account.call(fingerprint) == "synced"

    for row in Contract.objects.filter(account=account):
        text = api.get(f"/contracts/{row.contract_id}").text
        upstream = json.loads(text, parse_float=Decimal)["contract"]
        # As stored: exact decimals written as strings.
        assert row.data == json.loads(json.dumps(upstream, cls=DjangoJSONEncoder)), row.contract_id
