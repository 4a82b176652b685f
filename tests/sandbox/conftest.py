"""Fixtures for the sandbox's own tests: the seeded demo data and a small API caller."""

import json

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command

from sandbox.demo import OWNER_TOKEN, contract_id, milestone_id

BASE = "/sandbox/api/public/v1"


def ctr(slug, account="owner"):
    return contract_id(account, slug)


def ms(slug, number, account="owner"):
    return milestone_id(account, slug, number)


@pytest.fixture
def seeded(db):
    call_command("seed_sandbox", verbosity=0)


@pytest.fixture
def api(client, seeded):
    """Call the sandbox API through Django's test client: `api("POST", "/path", body={...})`."""

    def call(method, path, *, token=OWNER_TOKEN, body=None, raw=None, headers=None):
        extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in (headers or {}).items()}
        if token:
            extra["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        data = raw if raw is not None else (json.dumps(body) if body is not None else "")
        send = getattr(client, method.lower())
        if method.upper() == "GET":
            return send(BASE + path, **extra)
        return send(BASE + path, data=data, content_type="application/json", **extra)

    return call


@pytest.fixture
def signed_in(client, seeded, live_server, settings, django_user_model):
    """A signed-in person on the sandbox's human pages.

    base.html asks the sandbox for its demo accounts over HTTP, so the pages run against a live
    server that answers that call.
    """
    settings.OT_API_TOKEN = ""
    settings.OT_SANDBOX = True
    settings.OT_API_BASE_URL = f"{live_server.url}/sandbox/api/public/v1"
    user = django_user_model.objects.create_user("pm", password="pm-pass-12345")
    user.user_permissions.add(Permission.objects.get(codename="make_changes"))
    client.force_login(user)
    return client


def assert_envelope(response, status, code, **details):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code
    assert body["error"]
    assert len(body["requestId"]) == 36
    for key, value in details.items():
        assert body["details"][key] == value, body
    return body
