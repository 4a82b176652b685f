"""Shared fixtures: the sandbox served by a real live server, and signed-in project managers.

The dashboard under test calls the sandbox over real HTTP, exactly as it calls OpenTrain.
"""

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.core.cache import cache
from django.core.management import call_command

from dashboard import opentrain


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def sandbox(live_server, settings):
    """The seeded sandbox, reachable over HTTP at the dashboard's OT_API_BASE_URL."""
    settings.OT_API_TOKEN = ""
    settings.OT_SANDBOX = True
    settings.OT_API_BASE_URL = f"{live_server.url}/sandbox/api/public/v1"
    call_command("seed_sandbox", verbosity=0)
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


@pytest.fixture
def upstream_calls(monkeypatch):
    """Every request the dashboard sends to OpenTrain, as (method, path): a spy, not a stub."""
    calls = []
    real = opentrain._request

    def spy(method, path, token, payload=None):
        calls.append((method, path))
        return real(method, path, token, payload)

    monkeypatch.setattr(opentrain, "_request", spy)
    return calls
