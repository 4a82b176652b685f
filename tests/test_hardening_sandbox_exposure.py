"""The sandbox hands its demo tokens to anyone, so it stays on this machine unless told."""

import os
import subprocess
from pathlib import Path

import pytest
from django.core.checks import run_checks

ROOT = Path(__file__).resolve().parent.parent


def _gunicorn_bind(**env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("OT_", "BIND_", "DJANGO_"))}
    result = subprocess.run(
        [str(ROOT / ".venv/bin/gunicorn"), "-c", "gunicorn.conf.py", "--print-config", "x:y"],
        cwd=ROOT,
        env=clean | env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    [line] = [line for line in result.stdout.splitlines() if line.startswith("bind ")]
    return line.split("=", 1)[1].strip()


def test_gunicorn_binds_the_loopback_in_sandbox_mode():
    assert _gunicorn_bind(PORT="8123") == "['127.0.0.1:8123']"


def test_gunicorn_binds_every_address_with_a_real_token_or_when_told():
    assert _gunicorn_bind(OT_API_TOKEN="ot_pat_x", PORT="8123") == "['0.0.0.0:8123']"
    assert _gunicorn_bind(BIND_HOST="0.0.0.0", PORT="8123") == "['0.0.0.0:8123']"


def _deploy_warnings():
    return [m.id for m in run_checks(include_deployment_checks=True) if m.id.startswith("dash")]


@pytest.mark.parametrize("host", ["0.0.0.0", "10.0.0.5", "dashboard.example.com"])
def test_check_deploy_warns_about_a_sandbox_on_a_network(settings, host):
    settings.OT_SANDBOX, settings.DEBUG, settings.BIND_HOST = True, False, host

    assert _deploy_warnings() == ["dashboard.W001"]


@pytest.mark.parametrize(
    "sandbox, debug, host",
    [
        (True, False, "127.0.0.1"),
        (True, False, "::1"),
        (True, True, "0.0.0.0"),
        (False, False, "0.0.0.0"),
    ],
)
def test_check_deploy_is_quiet_about_a_local_or_absent_sandbox(settings, sandbox, debug, host):
    settings.OT_SANDBOX, settings.DEBUG, settings.BIND_HOST = sandbox, debug, host

    assert _deploy_warnings() == []


def test_the_banner_says_the_sandbox_must_never_be_reachable_from_a_network(sandbox, pm):
    html = pm.get("/contracts/").content.decode()

    assert "never make the sandbox reachable from a network" in html
