"""Settings come from the environment, and a bad value stops start-up naming the variable."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _start(**env):
    environment = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OT_", "DATABASE_URL", "CACHE_URL", "DEBUG"))
    }
    environment.update({"SECRET_KEY": "x", "DJANGO_SETTINGS_MODULE": "dashboard.settings"})
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('started')"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("OT_API_TIMEOUT", "soon"),
        ("OT_API_TIMEOUT", "-1"),
        ("DEBUG", "maybe"),
        ("PORT", "eighty"),
        ("OT_API_BASE_URL", "ftp://example.com/api"),
        ("DATABASE_URL", "nosuchdb://x"),
        ("OT_SYNC_POLL_SECONDS", "a while"),
        ("LOG_LEVEL", "chatty"),
    ],
)
def test_a_bad_value_stops_start_up_with_the_variable_named(variable, value):
    result = _start(**{variable: value})
    assert result.returncode != 0
    assert variable in result.stderr
    assert "started" not in result.stdout


def test_a_missing_secret_key_stops_start_up_with_the_variable_named():
    result = _start(SECRET_KEY="")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_good_values_start_and_a_token_turns_the_sandbox_off():
    code = (
        "import django; django.setup(); from django.conf import settings as s;"
        "print(s.OT_SANDBOX, s.OT_API_BASE_URL, s.OT_API_TIMEOUT)"
    )
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("OT_", "DEBUG"))} | {
        "SECRET_KEY": "x",
        "OT_API_TOKEN": "ot_pat_abc",
        "OT_API_TIMEOUT": "2.5",
    }
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True
    )
    assert result.stdout.split() == ["False", "https://app.opentrain.ai/api/public/v1", "2.5"]


@pytest.mark.parametrize(
    ("cache_url", "engine"),
    [
        ("redis://127.0.0.1:6379/0", "django.contrib.sessions.backends.cached_db"),
        ("pymemcache://127.0.0.1:11211", "django.contrib.sessions.backends.cached_db"),
        ("locmemcache://", "django.contrib.sessions.backends.db"),
        ("dummycache://", "django.contrib.sessions.backends.db"),
        ("", "django.contrib.sessions.backends.db"),
    ],
)
def test_sessions_have_a_cache_in_front_only_when_every_process_shares_it(cache_url, engine):
    code = (
        "import django; django.setup(); from django.conf import settings as s;"
        "print(s.SESSION_ENGINE)"
    )
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CACHE_URL")} | {
        "SECRET_KEY": "x",
        "DJANGO_SETTINGS_MODULE": "dashboard.settings",
    }
    if cache_url:
        environment["CACHE_URL"] = cache_url
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True
    )
    assert result.stdout.split() == [engine], result.stderr
