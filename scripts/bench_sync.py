"""The sync, timed: a full reconciliation against the fast upstream beside the same API reads made
alone, and a change at OpenTrain travelling to an open page (the sandbox's real signed webhook,
the receiver, the worker process, the mirror, the page)."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import httpx
from bench_pages import PASSWORD, USERNAME, VERSION, database_url, drop_schema, production_env
from fast_upstream import capture
from pm_client import sign_in
from servers import ROOT, Server, free_port, manage, sandbox_env

from sandbox import demo

SANDBOX_API = "/sandbox/api/public/v1"
LABELS = demo.contract_id(demo.OWNER, "label_007")
POLL = 0.05  # seconds between the benchmark's looks at the dashboard


def capture_sandbox(n: int, tmp: Path) -> Path:
    """Seed a sandbox with n bulk contracts and capture what the sync reads from it."""
    env = sandbox_env(f"sqlite:///{tmp / 'sandbox.sqlite3'}", PORT=str(free_port()))
    env.update(WEB_CONCURRENCY="1", GUNICORN_ACCESS_LOG="")
    manage(env, "migrate", "--noinput")
    manage(env, "seed_sandbox", "--contracts", str(n))
    server = Server.start(env, tmp / "sandbox.log")
    out = tmp / "capture.json"
    try:
        capture(server.url + SANDBOX_API, demo.OWNER_TOKEN, out)
    finally:
        server.stop()
    return out


# --- full reconciliation ---------------------------------------------------------------------


def api_alone(upstream_url: str) -> float:
    """1 list + N detail reads, one after another, with the dashboard's client settings (one
    pooled httpx client, its limits and headers, a 10 s timeout) and its JSON parse."""
    client = httpx.Client(
        limits=httpx.Limits(max_connections=50, max_keepalive_connections=20),
        headers={"Accept": "application/json", "Authorization": "Bearer bench"},
        follow_redirects=False,
        timeout=httpx.Timeout(10.0, connect=5.0),
    )
    with client:
        started = time.perf_counter()
        listed = _read(client, upstream_url + "/contracts")["contracts"]
        for contract in listed:
            _read(client, f"{upstream_url}/contracts/{contract['id']}")
        return time.perf_counter() - started


def _read(client: httpx.Client, url: str) -> dict:
    response = client.get(url)
    response.raise_for_status()
    return json.loads(response.content, parse_float=Decimal)


def full_sync(kind: str, tmp: Path, upstream_url: str, pg_url: str, run: int) -> dict:
    """`opentrain_sync --full` into an empty mirror: wall time, and Python + Django start-up
    (`manage.py version` in the same environment) to set beside it."""
    schema = f"bench_reconcile_{run}"
    env = production_env(database_url(kind, tmp, schema, pg_url), upstream_url, free_port())
    try:
        manage(env, "migrate", "--noinput")
        started = time.perf_counter()
        manage(env, "version")
        startup = time.perf_counter() - started
        started, cpu, database_cpu = time.perf_counter(), _children_cpu(), _postgres_cpu()
        manage(env, "opentrain_sync", "--full")
        wall = time.perf_counter() - started
        cpu, database_cpu = _children_cpu() - cpu, _postgres_cpu() - database_cpu
    finally:
        drop_schema(kind, schema, pg_url)
    return {"wall": wall, "startup": startup, "cpu": cpu, "database_cpu": database_cpu}


def _children_cpu() -> float:
    """CPU seconds of this process's finished children: the sync."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _postgres_cpu() -> float:
    """CPU seconds of the local PostgreSQL server's processes, finished backends included (they
    count in the postmaster's children), from /proc; 0 where there is none to read."""
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            name, _, rest = stat.read_text().partition(") ")
        except OSError:
            continue
        if name.endswith("(postgres"):
            fields = rest.split()
            ticks += sum(int(fields[i]) for i in (11, 12, 13, 14))  # utime stime cutime cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def bench_reconcile(kind: str, n: int, tmp: Path, upstream_url: str, pg_url: str, runs: int):
    alone, synced = [], []
    for run in range(runs):  # interleaved, so both see the same machine
        alone.append(api_alone(upstream_url))
        synced.append(full_sync(kind, tmp, upstream_url, pg_url, run))
        print(
            f"  reconcile {kind} run {run + 1}: API alone {alone[-1]:.2f} s, "
            f"opentrain_sync --full {synced[-1]['wall']:.2f} s",
            flush=True,
        )
    return {"kind": kind, "n": n, "alone": alone, "synced": synced}


# --- webhook delivered -> visible --------------------------------------------------------------


def bench_webhook(tmp: Path, changes: int) -> dict:
    port = free_port()
    env = sandbox_env(
        f"sqlite:///{tmp / 'webhook.sqlite3'}",
        PORT=str(port),
        OT_SYNC_POLL_SECONDS="300",  # a long backstop: changes must arrive by webhook
        WEB_CONCURRENCY="1",
        GUNICORN_ACCESS_LOG="",
    )
    manage(env, "migrate", "--noinput")
    manage(env, "seed_sandbox")
    manage(env, "make_editors", USERNAME, "--password", PASSWORD)
    server = Server.start(env, tmp / "webhook-web.log")
    worker = subprocess.Popen(  # noqa: S603 (our own manage.py)
        [
            sys.executable,
            "manage.py",
            "sync_worker",
            "--register-webhook",
            f"{server.url}/webhooks/opentrain/",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        return _changes(server, changes)
    finally:
        worker.terminate()
        worker.wait(timeout=20)
        server.stop()


def _changes(server: Server, changes: int) -> dict:
    web = sign_in(server.url, USERNAME, PASSWORD, timeout=60)
    api = httpx.Client(
        base_url=server.url + SANDBOX_API,
        headers={"Authorization": f"Bearer {demo.OWNER_TOKEN}"},
        timeout=30,
    )
    page_path = f"/contracts/{LABELS}/"
    deadline = time.monotonic() + 60
    while web.get(page_path).status_code != 200:  # the worker's first full sync
        if time.monotonic() > deadline:
            sys.exit("the mirror never filled: is the worker running?")
        time.sleep(0.5)
    time.sleep(2)  # the webhook registered and the first sync settled
    stamp, shown = [], []
    for i in range(changes):
        version = VERSION.search(web.get(page_path).text).group(1)
        name = f"Bench change {i} {time.time_ns()}"
        started = time.perf_counter()
        response = api.post(
            f"/contracts/{LABELS}/milestones", json={"name": name, "description": name, "volume": 1}
        )
        if response.status_code != 201:
            sys.exit(f"the sandbox refused the change: {response.status_code} {response.text}")
        stamp.append(
            _until(lambda v=version: web.get(f"/sync/version/?v={v}").status_code == 200, started)
        )
        shown.append(_until(lambda n=name: n in web.get(page_path).text, started))
    return {"changes": changes, "stamp": stamp, "shown": shown}


def _until(check, started: float, seconds: float = 30) -> float:
    """Seconds from `started` until check() holds (looked at every POLL seconds)."""
    while not check():
        if time.perf_counter() - started > seconds:
            sys.exit(f"a change did not show within {seconds} s")
        time.sleep(POLL)
    return time.perf_counter() - started
