"""/healthz and /readyz: open to a load balancer, one word each, and honest about what is down."""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dashboard.mirror.models import Account

ROOT = Path(__file__).resolve().parent.parent
# Nothing listens on port 1: connecting is refused at once.
DEAD_REDIS = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
    }
}


def _account(synced_seconds_ago=None):
    synced = None
    if synced_seconds_ago is not None:
        synced = timezone.now() - timedelta(seconds=synced_seconds_ago)
    return Account.objects.create(fingerprint=os.urandom(8).hex(), label="Acme", synced_at=synced)


def test_healthz_answers_ok_to_anyone_without_sign_in(client, db):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.content == b"ok"
    assert response["Content-Type"].startswith("text/plain")
    assert "no-cache" in response["Cache-Control"]


def test_healthz_answers_a_head_request_too(client, db):
    assert client.head("/healthz").status_code == 200


def test_readyz_is_ready_when_the_database_the_cache_and_the_sync_answer(client, db):
    _account(synced_seconds_ago=30)

    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.content == b"ready"


def test_readyz_is_ready_before_anything_was_mirrored(client, db):
    assert client.get("/readyz").status_code == 200


def test_readyz_ignores_an_account_whose_first_sync_has_not_finished(client, db):
    _account(synced_seconds_ago=None)

    assert client.get("/readyz").status_code == 200


def test_readyz_answers_503_sync_when_an_account_has_not_synced_for_too_long(client, db, settings):
    settings.OT_READY_SYNC_SECONDS = 600
    _account(synced_seconds_ago=30)
    _account(synced_seconds_ago=601)

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.content == b"sync"


def test_a_threshold_of_zero_leaves_the_sync_out_of_readiness(client, db, settings):
    settings.OT_READY_SYNC_SECONDS = 0
    _account(synced_seconds_ago=10**6)

    assert client.get("/readyz").status_code == 200


def test_readyz_answers_503_cache_when_the_cache_does_not_answer(client, db, settings):
    settings.CACHES = DEAD_REDIS

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.content == b"cache"
    # The process itself still serves.
    assert client.get("/healthz").status_code == 200


# A server whose database cannot be opened: a directory that does not exist.
PROBE_WITHOUT_DATABASE = """
import django
from django.test import Client
django.setup()
client = Client()
for path in ("/healthz", "/readyz"):
    response = client.get(path)
    print(path, response.status_code, response.content.decode())
"""


def test_readyz_answers_503_database_when_the_database_does_not_answer(tmp_path):
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("OT_", "DATABASE_", "CACHE_"))
    }
    environment |= {
        "SECRET_KEY": "x",
        "DJANGO_SETTINGS_MODULE": "dashboard.settings",
        "ALLOWED_HOSTS": "testserver",
        "DATABASE_URL": f"sqlite:///{tmp_path}/missing/db.sqlite3",
    }
    result = subprocess.run(
        [sys.executable, "-c", PROBE_WITHOUT_DATABASE],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["/healthz 200 ok", "/readyz 503 database"]


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_a_probe_reveals_nothing_about_the_account_and_sets_no_cookie(client, db, path):
    _account(synced_seconds_ago=5)

    response = client.get(path)

    assert response.content in (b"ok", b"ready")
    assert "Acme" not in response.content.decode()
    assert not response.cookies


def test_neither_probe_writes_to_the_database_or_calls_opentrain(client, db, upstream_calls):
    _account(synced_seconds_ago=5)

    with CaptureQueriesContext(connection) as queries:
        client.get("/healthz")
        client.get("/readyz")

    assert queries.captured_queries
    assert all(q["sql"].lstrip().upper().startswith("SELECT") for q in queries.captured_queries)
    assert upstream_calls == []


def test_probes_answer_over_plain_http_when_everything_else_moves_to_https(client, db, settings):
    settings.SECURE_SSL_REDIRECT = True

    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    moved = client.get("/contracts/")
    assert moved.status_code == 301
    assert moved["Location"].startswith("https://")
