"""The sandbox exists only in sandbox mode: with OT_API_TOKEN set it has no app, table or URL.

Each check starts Django in a subprocess, because settings are read once, at start-up.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
REAL_API = {"OT_API_TOKEN": "ot_pat_realtoken"}
SANDBOX = {"OT_API_TOKEN": ""}  # set, so a token in .env cannot creep in


@pytest.fixture
def run(tmp_path):
    """Run `args` under Python with a fresh database and only the given OT_ variables."""

    def start(args, **env):
        environment = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("OT_", "DATABASE_URL", "CACHE_URL", "DEBUG", "DJANGO_"))
        }
        environment.update(
            SECRET_KEY="x",
            DJANGO_SETTINGS_MODULE="dashboard.settings",
            DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
            ALLOWED_HOSTS="testserver",
        )
        environment.update(env)
        result = subprocess.run(
            [sys.executable, *args],
            cwd=ROOT,
            env=environment,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    return start


def _installed_apps(run, env):
    code = "import django; django.setup(); from django.conf import settings; "
    code += "print(*settings.INSTALLED_APPS)"
    return run(["-c", code], **env).split()


def _planned_apps(run, env):
    plan = run(["manage.py", "migrate", "--plan"], **env)
    # Each migration is a line `app.0001_name`; its operations follow, indented.
    return {line.split(".")[0] for line in plan.splitlines() if line and not line[0].isspace()}


def _status(run, env, path):
    code = "import django; django.setup(); from django.test import Client; "
    code += f"print(Client().get({path!r}).status_code)"
    return int(run(["-c", code], **env))


def test_with_a_token_the_sandbox_app_is_not_installed(run):
    assert "sandbox" not in _installed_apps(run, REAL_API)
    assert "sandbox" in _installed_apps(run, SANDBOX)


def test_with_a_token_migrate_plans_no_sandbox_migration(run):
    planned = _planned_apps(run, REAL_API)
    assert "dashboard" in planned
    assert "sandbox" not in planned
    assert "sandbox" in _planned_apps(run, SANDBOX)


@pytest.mark.parametrize(
    "path", ["/sandbox/api/public/v1/contracts", "/sandbox/claim/ot_cat_sandbox_unclaimed/"]
)
def test_with_a_token_no_url_under_sandbox_exists(run, path):
    assert _status(run, REAL_API, path) == 404
    assert _status(run, SANDBOX, path) != 404
