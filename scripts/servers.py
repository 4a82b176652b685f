"""The project's own servers, started for real: the benchmark, the load test, the two-server test.

Each server is gunicorn with `gunicorn.conf.py`, in a subprocess with its own environment, and
its log is where the dashboard's upstream calls are counted: the servers log JSON lines
(LOG_FORMAT=json) and the client logs one record a call on "dashboard.opentrain", with the
structured fields `ot_method`, `ot_route`, `ot_status`, `ot_ms`, `ot_attempt`, `ot_request_id`.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import NamedTuple

import httpx

ROOT = Path(__file__).resolve().parent.parent
UPSTREAM_LOGGER = "dashboard.opentrain"


class ServerError(RuntimeError):
    """A server or a management command of ours did not do what it should."""


class Call(NamedTuple):
    method: str
    path: str  # the route, without the query
    ms: int
    status: int | str | None = None  # an HTTP status, or words such as "timeout"


def upstream_calls(log_text: str) -> list[Call]:
    """The calls to OpenTrain in a server's log: its JSON lines from the client's logger that
    carry the `ot_*` fields. Lines of anything else (gunicorn's own words) are passed over."""
    calls = []
    for line in log_text.splitlines():
        if not line.startswith("{"):
            continue
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if record.get("name") == UPSTREAM_LOGGER and "ot_method" in record:
            calls.append(
                Call(
                    record["ot_method"],
                    record["ot_route"],
                    round(float(record["ot_ms"])),
                    record.get("ot_status"),
                )
            )
    return calls


def sandbox_env(database_url: str, **settings: str) -> dict:
    """The environment of a server of ours on its own sandbox: this process's environment without
    any OpenTrain or Django settings of its own, plus `settings`."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("OT_", "DJANGO_", "MULTIHOST_"))
    }
    env.update(
        SECRET_KEY="server-" + secrets.token_hex(24),
        DEBUG="false",
        DATABASE_URL=database_url,
        CACHE_URL="locmemcache://",
        OT_API_TOKEN="",
        OT_SANDBOX="true",
        BIND_HOST="127.0.0.1",
        LOG_FORMAT="json",
    )
    env.update(settings)
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def manage(env: dict, *args: str, root: Path = ROOT) -> str:
    """Run `manage.py` with `env` (of the checkout at `root`); its output, or ServerError with
    everything it printed."""
    result = subprocess.run(  # noqa: S603 (our own manage.py, fixed arguments)
        [sys.executable, "manage.py", *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        raise ServerError(f"manage.py {args[0]} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


class Server:
    """gunicorn serving the project (the checkout at `root`) on `env["PORT"]`, logging to `log`."""

    def __init__(self, env: dict, log: Path, name: str = "gunicorn", root: Path = ROOT):
        self.name, self.log = name, log
        self.url = f"http://127.0.0.1:{env['PORT']}"
        with log.open("wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "dashboard.wsgi"],
                cwd=root,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    @classmethod
    def start(cls, env: dict, log: Path, name: str = "gunicorn", root: Path = ROOT) -> Server:
        server = cls(env, log, name, root)
        server.wait_until_up()
        return server

    def wait_until_up(self, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServerError(f"{self.name} exited:\n{self.log.read_text()}")
            try:
                httpx.get(self.url + "/accounts/login/", timeout=2)
                return
            except httpx.TransportError:
                time.sleep(0.2)
        self.stop()
        raise ServerError(
            f"{self.name} did not answer within {seconds:.0f} s:\n{self.log.read_text()}"
        )

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def mark(self) -> int:
        """Where the log ends now: pass it to `upstream_calls_since`."""
        return self.log.stat().st_size

    def upstream_calls_since(self, mark: int) -> list[Call]:
        """The calls to OpenTrain the server logged after `mark`."""
        with self.log.open("rb") as f:
            f.seek(mark)
            return upstream_calls(f.read().decode(errors="replace"))
