"""What `make run` prints is what a person needs: the address, the sign-in and problems.

The web server and the worker run here as `make run` starts them (runserver with its banner left
out, the worker registering the sandbox's webhook as the server comes up), over a sandbox of their
own; the tests read what each printed.
"""

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import NamedTuple

import httpx
import pytest

from sandbox import demo
from scripts.servers import ROOT, free_port, manage, sandbox_env

# The demo accounts that lack the webhooks:manage scope or the webhooks feature, on purpose.
REFUSED = [
    name
    for name, spec in demo.ACCOUNTS.items()
    if "webhooks:manage" not in spec["scopes"] or spec.get("webhooks_enabled") is False
]
BY_DESIGN = (
    f"{len(REFUSED)} demo accounts cannot register webhooks (by design: they show OpenTrain's "
    "errors); the worker polls their updates feed instead."
)
SANDBOX_API = "/sandbox/api/public/v1"


class Running(NamedTuple):
    url: str
    database: Path
    web_log: Path
    worker_log: Path

    def web(self) -> str:
        return self.web_log.read_text(errors="replace")

    def worker(self) -> str:
        return self.worker_log.read_text(errors="replace")


def wait_for(check, seconds=60.0):
    """Poll until `check()` is true; the answer, or None after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.25)
    return None


def set_fault(database: Path, account: str, fault: str) -> None:
    with sqlite3.connect(database, timeout=10) as db:
        db.execute("UPDATE sandbox_account SET fault = ? WHERE key = ?", (fault, account))


@pytest.fixture(scope="module")
def make_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("make_run")
    port = free_port()
    database = folder / "db.sqlite3"
    env = sandbox_env(
        f"sqlite:///{database}", PORT=str(port), LOG_FORMAT="plain", OT_SYNC_POLL_SECONDS="2"
    )
    manage(env, "migrate", "--noinput")
    manage(env, "seed_sandbox")
    url = f"http://127.0.0.1:{port}"
    running = Running(url, database, folder / "web.log", folder / "worker.log")
    with running.web_log.open("wb") as web_out, running.worker_log.open("wb") as worker_out:
        # As the Makefile starts them: the worker first (it waits for the server), runserver's
        # banner (its stdout) left out. The worker logs at DEBUG here, to show where its calls go.
        worker = subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "sync_worker",
                "--register-webhook",
                f"{url}/webhooks/opentrain/",
            ],
            cwd=ROOT,
            env=env | {"LOG_LEVEL": "DEBUG"},
            stdout=worker_out,
            stderr=subprocess.STDOUT,
        )
        web = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=web_out,
        )
    yield running
    for process in (worker, web):
        process.send_signal(signal.SIGINT)
    for process in (worker, web):
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_the_demo_accounts_refused_a_webhook_are_said_once_in_words(make_run):
    assert wait_for(lambda: "cannot register" in make_run.worker())
    assert wait_for(lambda: "GET /updates -> 200" in make_run.worker())  # the worker runs on
    output = make_run.worker()

    assert len(REFUSED) >= 2
    assert output.count("cannot register") == 1
    assert BY_DESIGN in output
    # Nor the refusals one by one, nor the accounts that did register, nor the task runner's start.
    assert "webhooks:manage" not in output and "public_api_webhooks" not in output
    assert "registered" not in output and "Starting worker" not in output


def test_the_workers_successful_calls_are_debug_and_a_failure_a_warning_with_the_request_id(
    make_run,
):
    assert wait_for(
        lambda: "DEBUG dashboard.opentrain opentrain GET /updates -> 200" in make_run.worker()
    )
    set_fault(make_run.database, demo.OWNER, "GET@updates:503")
    try:
        failed = wait_for(
            lambda: re.search(
                r"WARNING dashboard\.opentrain opentrain GET /updates -> 503 in \d+ ms "
                r"requestId=(\S+)",
                make_run.worker(),
            )
        )
        synced = wait_for(
            lambda: re.search(
                r"WARNING dashboard\.sync sync of Northwind Labs \(claimed\) failed: "
                r"INTERNAL_ERROR requestId=\S+",
                make_run.worker(),
            )
        )
    finally:
        set_fault(make_run.database, demo.OWNER, "")

    assert failed and failed.group(1)
    assert synced
    assert not re.search(r"INFO dashboard\.opentrain .* -> 2\d\d ", make_run.worker())


def test_runserver_logs_the_pages_and_a_failing_sandbox_but_not_the_sandboxs_refusals(make_run):
    # The worker registers first, then reads the feeds: the sandbox's refusals are past.
    assert wait_for(lambda: "GET /updates -> 200" in make_run.worker())
    api = f"{make_run.url}{SANDBOX_API}"
    readonly = {"Authorization": f"Bearer {demo.ACCOUNTS[demo.READONLY]['token']}"}
    owner = {"Authorization": f"Bearer {demo.OWNER_TOKEN}"}

    assert httpx.get(f"{api}/webhooks", headers=readonly).status_code == 403
    failing = httpx.get(f"{api}/contracts", headers=owner | {"X-Sandbox-Fault": "503"})
    assert failing.status_code == 503
    assert httpx.get(f"{make_run.url}/accounts/login/").status_code == 200
    assert wait_for(lambda: '"GET /accounts/login/ HTTP/1.1" 200' in make_run.web())
    log = make_run.web()

    assert f'"GET {SANDBOX_API}/contracts HTTP/1.1" 503' in log
    assert f'"GET {SANDBOX_API}/webhooks HTTP/1.1" 403' not in log
    assert not re.search(rf'"\w+ {SANDBOX_API}/\S+ HTTP/1.1" [24]\d\d ', log)
    assert "Starting WSGI development server" not in log and "System check" not in log


# The task runner logs as the worker sets it up at its default verbosity (INFO).
TASK_LINES = """
import logging, django
django.setup()
for name in ("django_tasks_db", "django.tasks"):
    logging.getLogger(name).setLevel(logging.INFO)
logging.getLogger("django_tasks_db").info("Starting worker worker_id=w1 queues=default")
logging.getLogger("django.tasks").info("Task id=t1 path=dashboard.x state=RUNNING")
try:
    raise RuntimeError("the task broke")
except RuntimeError:
    tasks = logging.getLogger("django.tasks")
    tasks.error("Task id=t1 path=dashboard.x state=FAILED", exc_info=True)
"""


def test_a_failed_task_is_printed_with_its_traceback_and_the_task_runners_chatter_is_not():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OT_", "DEBUG", "LOG_"))}
    env |= {"SECRET_KEY": "x", "DJANGO_SETTINGS_MODULE": "dashboard.settings"}
    result = subprocess.run(
        [sys.executable, "-c", TASK_LINES],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    output = result.stdout + result.stderr
    assert "ERROR django.tasks Task id=t1 path=dashboard.x state=FAILED" in output
    assert "RuntimeError: the task broke" in output
    assert "Starting worker" not in output and "state=RUNNING" not in output


# A stand-in for the environment's interpreter: it talks as pip does, and fails when asked to.
FAKE_PYTHON = """#!/bin/sh
echo "Collecting django (from opentrain-dashboard) $*"
echo "  !! setuptools: Please be careful with folders in your working directory" >&2
exit "${FAKE_PIP_EXIT:-0}"
"""


def install(tmp_path, **env):
    venv = tmp_path / ".venv"
    (venv / "bin").mkdir(parents=True)
    python = venv / "bin" / "python"
    python.write_text(FAKE_PYTHON)
    python.chmod(0o755)
    return subprocess.run(
        ["make", "--no-print-directory", f"VENV={venv}", f"{venv}/bin/.installed"],
        cwd=ROOT,
        env=os.environ | env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_installing_says_one_line_and_keeps_pips_words_in_a_log(tmp_path):
    result = install(tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    printed = (result.stdout + result.stderr).strip()
    assert printed == f"Installing the dashboard's Python packages into {tmp_path / '.venv'} ..."
    assert "Collecting django" in (tmp_path / ".venv" / "pip.log").read_text()


def test_installing_shows_pips_words_when_it_fails(tmp_path):
    result = install(tmp_path, FAKE_PIP_EXIT="1")

    assert result.returncode != 0
    assert "Collecting django" in result.stdout
    assert "!! setuptools" in result.stdout
    assert "error: pip could not install the packages" in result.stdout
