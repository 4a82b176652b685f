"""/metrics: only for the bearer of METRICS_TOKEN, and its numbers move with what really happened.

Counters live for the whole test process, so each test reads them before and after.
"""

import re
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from dashboard.mirror.models import Account
from dashboard.models import Approval
from dashboard.notify.models import Notice
from dashboard.opentrain import OpenTrainError, transport
from sandbox.demo import OWNER_TOKEN
from sandbox.models import Account as UpstreamAccount
from tests.milestone_helpers import LATER
from tests.mirror_helpers import refresh_contract

TOKEN = "metrics-" + uuid.uuid4().hex
BEARER = {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}
CONTRACT = "/contracts/ctr_owner_hourly_38/"
FORM = "/contracts/ctr_owner_hourly_38/milestones/new/"


@pytest.fixture
def scrape(client, settings):
    """Read /metrics as Prometheus does: {(name, labels): value}."""
    settings.METRICS_TOKEN = TOKEN

    def read():
        response = client.get("/metrics", **BEARER)
        assert response.status_code == 200
        samples = {}
        for family in text_string_to_metric_families(response.content.decode()):
            for sample in family.samples:
                samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
        return samples

    return read


def _value(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def _fault(spec):
    UpstreamAccount.objects.filter(key="owner").update(fault=spec)


# --- who may read it -------------------------------------------------------------------------


def test_metrics_is_not_found_when_no_token_is_configured(client, db, settings):
    settings.METRICS_TOKEN = ""

    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404


@pytest.mark.parametrize(
    "authorization", ["", "Bearer wrong", f"Basic {TOKEN}", f"Bearer {TOKEN}x", TOKEN]
)
def test_metrics_is_not_found_with_a_wrong_token_and_never_shows_the_sign_in_form(
    client, db, settings, authorization
):
    settings.METRICS_TOKEN = TOKEN

    response = client.get("/metrics", HTTP_AUTHORIZATION=authorization)

    assert response.status_code == 404
    assert "dashboard_" not in response.content.decode()
    assert "/accounts/login/" not in response.get("Location", "")


def test_metrics_answers_the_bearer_of_the_token_in_prometheus_format(client, db, settings):
    settings.METRICS_TOKEN = TOKEN

    response = client.get("/metrics", **BEARER)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    body = response.content.decode()
    for name in ("dashboard_task_queue_depth", "dashboard_approvals", "django_http_"):
        assert name in body


# --- what it counts --------------------------------------------------------------------------


def test_an_upstream_failure_moves_the_upstream_counter_by_route_template(sandbox, pm, scrape):
    labels = {"route": "/contracts/{id}", "method": "GET", "status": "500"}
    timed = {"route": "/contracts/{id}", "method": "GET"}
    before = scrape()
    _fault("GET:500")

    # Pages read the mirror; the worker's re-read of a contract is what calls OpenTrain.
    with pytest.raises(OpenTrainError):
        refresh_contract("ctr_owner_hourly_38")

    after = scrape()
    calls = "dashboard_upstream_requests_total"
    assert _value(after, calls, **labels) == _value(before, calls, **labels) + 1
    latency = "dashboard_upstream_request_duration_seconds_count"
    assert _value(after, latency, **timed) == _value(before, latency, **timed) + 1


def test_a_gateway_error_retried_is_counted_as_a_retry(sandbox, pm, scrape, monkeypatch):
    monkeypatch.setattr(transport, "BACKOFF", (0, 0))  # a tuning constant: no waiting
    labels = {"route": "/contracts/{id}", "method": "GET"}
    before = _value(scrape(), "dashboard_upstream_retries_total", **labels)
    _fault("GET:503,times=1")

    refresh_contract("ctr_owner_hourly_38")

    assert _value(scrape(), "dashboard_upstream_retries_total", **labels) == before + 1


def test_a_lost_answer_to_a_milestone_counts_as_ambiguous_and_its_outcome_as_unknown(
    sandbox, pm, scrape
):
    labels = {"route": "/contracts/{id}/milestones", "method": "POST"}
    before = scrape()
    page = pm.get(FORM).content.decode()
    key = re.search(r'name="submission_key" value="([0-9a-f-]{36})"', page).group(1)
    _fault("POST:500")

    pm.post(
        FORM,
        {
            "name": "Week 9",
            "description": f"metrics {uuid.uuid4()}",
            "volume": "3",
            "due_date": LATER,
            "submission_key": key,
        },
    )

    after = scrape()
    ambiguous = "dashboard_upstream_ambiguous_total"
    assert _value(after, ambiguous, **labels) == _value(before, ambiguous, **labels) + 1
    outcome = "dashboard_submissions_total"
    unknown = _value(after, outcome, outcome="unknown") - _value(before, outcome, outcome="unknown")
    assert unknown == 1


def test_webhook_deliveries_are_counted_by_outcome(client, db, scrape):
    before = _value(scrape(), "dashboard_webhook_deliveries_total", outcome="refused")

    response = client.post("/webhooks/opentrain/", b"{}", content_type="application/json")

    assert response.status_code == 400
    after = _value(scrape(), "dashboard_webhook_deliveries_total", outcome="refused")
    assert after == before + 1


def test_approvals_sync_lag_and_the_queue_are_read_from_the_database_at_scrape_time(
    client, db, scrape
):
    account = Account.objects.create(
        fingerprint="f" * 24, synced_at=timezone.now() - timedelta(seconds=120)
    )
    never = Account.objects.create(fingerprint="e" * 24)
    for status in ("pending", "pending", "confirmed", "some new word"):
        Approval.objects.create(approval_id=uuid.uuid4().hex, type="milestone_fund", status=status)

    samples = scrape()

    assert _value(samples, "dashboard_approvals", state="pending") == 2
    assert _value(samples, "dashboard_approvals", state="confirmed") == 1
    assert _value(samples, "dashboard_approvals", state="other") == 1
    lag = _value(samples, "dashboard_sync_lag_seconds", account=str(account.pk))
    assert 120 <= lag < 180
    assert _value(samples, "dashboard_sync_lag_seconds", account=str(never.pk)) == float("inf")
    assert ("dashboard_task_queue_depth", ()) in samples


def test_no_label_carries_a_token_an_id_or_a_title(sandbox, pm, client, settings):
    pm.get(CONTRACT)
    pm.get("/contracts/?q=Spanish")
    settings.METRICS_TOKEN = TOKEN

    body = client.get("/metrics", **BEARER).content.decode()

    assert OWNER_TOKEN not in body
    assert TOKEN not in body
    assert "ctr_owner" not in body
    assert "Spanish" not in body
    assert 'route="/contracts/{id}"' in body


def test_requests_with_made_up_methods_and_paths_add_no_series(client, db, scrape):
    def anonymous_junk(count):
        for n in range(count):
            word = uuid.uuid4().hex[:8].upper()
            client.generic(word, f"/{word.lower()}/{n}/")
            client.generic("GET", f"/contracts/{word}/?page={n}")
            client.generic("BREW", f"/{'x' * n}")

    anonymous_junk(1)  # the first of each kind may add its series once
    scrape()  # and so may the first scrape
    before = len(scrape())

    anonymous_junk(50)

    assert len(scrape()) == before


def test_the_scrape_counts_notifications_by_state(client, db, scrape):
    for state in ("pending", "sent", "sent", "failed"):
        Notice.objects.create(kind="test", state=state, subject="Test")

    samples = scrape()

    assert _value(samples, "dashboard_notifications", state="pending") == 1
    assert _value(samples, "dashboard_notifications", state="sent") == 2
    assert _value(samples, "dashboard_notifications", state="failed") == 1
    assert _value(samples, "dashboard_notifications", state="cancelled") == 0
