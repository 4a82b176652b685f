"""Fixtures for the sandbox's own tests: the seeded demo data and a small API caller."""

import json

import httpx
import opentrain
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


@pytest.fixture
def live_api(sandbox):
    """Call the sandbox API over real HTTP: `live_api("POST", "/webhooks", json={...})`."""
    client = httpx.Client(base_url=f"{sandbox.url}{BASE}", timeout=10)

    def call(method, path, *, token=OWNER_TOKEN, **kwargs):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return client.request(method, path, headers=headers, **kwargs)

    yield call
    client.close()


@pytest.fixture
def sdk(sandbox):
    """OpenTrain's own Python SDK, pointed at the sandbox, acting as the owner."""
    client = opentrain.OpenTrain(api_token=OWNER_TOKEN, base_url=f"{sandbox.url}/sandbox")
    yield client
    client.close()


def new_milestone(live_api, slug="fixed_300", description="More work"):
    """Create a milestone through the API: the quickest way to make the sandbox emit an event."""
    body = {"description": description, "amountUsd": 10}
    response = live_api("POST", f"/contracts/{ctr(slug)}/milestones", json=body)
    assert response.status_code == 201, response.text
    return response.json()["milestone"]


def feed(live_api, token=OWNER_TOKEN, **params):
    response = live_api("GET", "/updates", token=token, params=params)
    assert response.status_code == 200, response.text
    return response.json()
