"""Shared fixtures: the sandbox served by a real live server, and signed-in project managers.

The dashboard under test calls the sandbox over real HTTP, exactly as it calls OpenTrain.
"""

import json
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import django.conf
import httpx
import pytest
from django.contrib.auth.models import Group, Permission, User
from django.core.cache import cache
from django.core.management import call_command

from dashboard.opentrain import transport
from tests import mirror_helpers


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _real_transport():
    """A client a test installed (a spy, a mock) is gone before the next test."""
    yield
    transport.use_client(None)


@pytest.fixture
def sandbox(live_server, settings):
    """The seeded sandbox, reachable over HTTP at the dashboard's OT_API_BASE_URL, with the owner
    account already in the mirror (the worker's first sync, run here over real HTTP)."""
    settings.OT_API_TOKEN = ""
    settings.OT_SANDBOX = True
    settings.OT_API_BASE_URL = f"{live_server.url}/sandbox/api/public/v1"
    call_command("seed_sandbox", verbosity=0)
    mirror_helpers.sync_account()
    return live_server


@pytest.fixture
def editor(db):
    user = User.objects.create_user("editor", password="editor-pass-123")
    group, _ = Group.objects.get_or_create(name="editors")
    # A live server's flush between tests drops what migration 0002 gave the group; give it back.
    group.permissions.add(Permission.objects.get(codename="make_changes"))
    user.groups.add(group)
    return user


@pytest.fixture
def viewer(db):
    return User.objects.create_user("viewer", password="viewer-pass-123")


@pytest.fixture
def pm(client, editor):
    """A Django test client signed in as a project manager who may make changes."""
    client.force_login(editor)
    return client


class Call(NamedTuple):
    method: str
    path: str  # as sent, relative to OT_API_BASE_URL, with its query string
    body: Any  # the JSON body, or None


class UpstreamCalls(list):
    def routes(self) -> list[tuple[str, str]]:
        """Each call as (method, path), for tests that do not look at bodies."""
        return [(call.method, call.path) for call in self]


@pytest.fixture
def upstream_calls():
    """Every request the dashboard sends to OpenTrain, as it went out: a spy, not a stub."""
    calls = UpstreamCalls()

    def record(request: httpx.Request) -> None:
        base = urlsplit(django.conf.settings.OT_API_BASE_URL).path
        path = request.url.raw_path.decode("ascii").removeprefix(base)
        body = json.loads(request.content) if request.content else None
        calls.append(Call(request.method, path, body))

    spy = transport.build_client(event_hooks={"request": [record]})
    transport.use_client(spy)
    yield calls
    spy.close()
