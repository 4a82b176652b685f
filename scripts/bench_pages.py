"""The pages from the mirror, timed: the list (filters, a search, sorts, "needs attention", page 2)
and the contract page at N contracts, on SQLite or PostgreSQL, and the web and worker memory over
1,000 requests.

The dashboard runs as in production (OT_API_TOKEN set, no sandbox) against the fast upstream, so
a page that called OpenTrain would show it in the upstream-call count; the sync worker runs
beside it. Times are the client's, from request sent to full response read, over loopback, with
the least client there is (the standard library's `http.client` on one kept-alive connection):
httpx, which signs in, adds 1-3 ms of its own to each request, and that time is not the server's.
"""

from __future__ import annotations

import http.client
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
from bench_report import INBOX_TARGET_MS, PAGE_TARGET_MS, Row
from pm_client import form_inputs, sign_in
from servers import ROOT, Server, free_port, manage, sandbox_env

USERNAME, PASSWORD = "bench", "bench-pass-not-secret"
PAGES = [
    ("List, first page", "/contracts/"),
    ("List, status filter", "/contracts/?status=active"),
    ("List, payment-model filter", "/contracts/?payment_type=PAY_PER_LABEL"),
    ("List, search", "/contracts/?q=portugal"),
    ("List, filters + search", "/contracts/?status=active&payment_type=PAY_PER_HOUR&q=project"),
    ("List, page 2", "/contracts/?page=2"),
    ("List, needs attention", "/contracts/?attention=1"),
    ("List, sort by attention", "/contracts/?sort=attention"),
    ("List, needs attention by attention", "/contracts/?attention=1&sort=attention"),
    ("List, sort by budget left", "/contracts/?sort=budget"),
    ("List, sort by last activity", "/contracts/?sort=-activity"),
    ("List, sort by title", "/contracts/?sort=title"),
    ("List, sort by rate", "/contracts/?sort=-rate"),
    ("List, search sorted by title, page 2", "/contracts/?q=project&sort=title&page=2"),
    ("Contract page", "/contracts/{id}/"),
    ("Version stamp (unchanged)", "/sync/version/?v={v}"),
    ("Inbox, Needs you (target 20 ms)", "/"),
]
CONTRACT_LINK = re.compile(r'href="/contracts/(ctr_[^/"]+)/"')
VERSION = re.compile(r"/sync/version/\?v=(\d+)")


def database_url(kind: str, tmp: Path, schema: str, pg_url: str) -> str:
    """A database of the benchmark's own: a new SQLite file, or a PostgreSQL schema emptied now."""
    if kind == "sqlite":
        return f"sqlite:///{tmp / f'{schema}.sqlite3'}"
    import psycopg

    with psycopg.connect(pg_url, autocommit=True) as db:
        db.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        db.execute(f"CREATE SCHEMA {schema}")
    return f"{pg_url}?options=-c%20search_path%3D{schema}"


def drop_schema(kind: str, schema: str, pg_url: str) -> None:
    if kind == "postgresql":
        import psycopg

        with psycopg.connect(pg_url, autocommit=True) as db:
            db.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def production_env(db_url: str, upstream_url: str, port: int) -> dict:
    return sandbox_env(
        db_url,
        PORT=str(port),
        OT_SANDBOX="false",
        OT_API_TOKEN="bench-token-ignored-by-the-fast-upstream",
        OT_API_BASE_URL=upstream_url,
        OT_SYNC_POLL_SECONDS="3600",  # the worker works on Sync now only
        WEB_CONCURRENCY="1",
        GUNICORN_THREADS="8",
        GUNICORN_ACCESS_LOG="",
    )


def rss_kib(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE).group(1))


def gunicorn_worker(server: Server) -> int:
    pid = server.proc.pid
    return int(Path(f"/proc/{pid}/task/{pid}/children").read_text().split()[0])


def filled_mirror(
    name: str, kind: str, n: int, tmp: Path, capture: Path, upstream_url: str, pg_url: str
) -> tuple[dict, str, float]:
    """A database of the benchmark's own, migrated, with the bench editor and N contracts
    (`bench_fill.py`): the dashboard's environment for it, its schema, and the fill's seconds."""
    schema = f"{name}_{n}_{os.getpid()}"  # two benchmarks at once never share one
    env = production_env(database_url(kind, tmp, schema, pg_url), upstream_url, free_port())
    manage(env, "migrate", "--noinput")
    manage(env, "make_editors", USERNAME, "--password", PASSWORD)
    started = time.perf_counter()
    subprocess.run(  # noqa: S603 (our own script)
        [sys.executable, "scripts/bench_fill.py", str(capture), str(n)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    return env, schema, time.perf_counter() - started


def bench_pages(
    kind: str, n: int, tmp: Path, capture: Path, upstream_url: str, pg_url: str, rounds: int
) -> dict:
    env, schema, fill_s = filled_mirror("bench_pages", kind, n, tmp, capture, upstream_url, pg_url)
    server = Server.start(env, tmp / f"web-{kind}-{n}.log")
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "sync_worker"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        result = _measure(server, worker.pid, rounds)
    finally:
        worker.terminate()
        worker.wait(timeout=20)
        server.stop()
        drop_schema(kind, schema, pg_url)
    return {"kind": kind, "n": n, "fill_s": fill_s, **result}


def _measure(server: Server, worker_pid: int, rounds: int) -> dict:
    web = sign_in(server.url, USERNAME, PASSWORD, timeout=60)
    first = web.get("/contracts/").text
    contract_id = CONTRACT_LINK.findall(first)[-1]
    version = VERSION.search(first).group(1)
    rows = [
        Row(
            label,
            path.format(id=contract_id, v=version),
            target=INBOX_TARGET_MS if path == "/" else PAGE_TARGET_MS,
        )
        for label, path in PAGES
    ]
    timer = PageTimer(server.url, web)
    for _ in range(3):  # warm-up: imports, templates, connections
        for row in rows:
            _timed(server, timer, row, record=False)
    for _ in range(rounds):
        for row in rows:
            _timed(server, timer, row, record=True)

    # Memory over 1,000 more requests: the pages in turn, every 10th a Sync now (a task the
    # worker runs: a read of the updates feed from the fast upstream).
    web_pid = gunicorn_worker(server)
    before = {"web": rss_kib(web_pid), "worker": rss_kib(worker_pid)}
    csrf = form_inputs(first).get("csrfmiddlewaretoken", "")
    for i in range(1000):
        if i % 10 == 9:
            response = web.post("/sync/now/", data={"csrfmiddlewaretoken": csrf})
            if response.status_code != 302:
                sys.exit(f"Sync now answered {response.status_code}")
        else:
            _timed(server, timer, rows[i % len(rows)], record=False)
    time.sleep(2)  # let the worker finish the last task
    after = {"web": rss_kib(web_pid), "worker": rss_kib(worker_pid)}
    return {"rows": rows, "memory": {"before": before, "after": after}}


class PageTimer:
    """GETs with the signed-in client's cookies on one kept-alive `http.client` connection: what
    the timing adds to the server's own time is loopback and the least a client can do."""

    def __init__(self, url: str, web: httpx.Client):
        self.host, self.port = httpx.URL(url).host, httpx.URL(url).port
        self.headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in web.cookies.items())}
        self.connection = http.client.HTTPConnection(self.host, self.port, timeout=60)

    def get(self, path: str) -> tuple[int, bytes, float]:
        """(status, body, milliseconds from sending the request to reading the whole body)."""
        for attempt in range(2):
            started = time.perf_counter()
            try:
                self.connection.request("GET", path, headers=self.headers)
                response = self.connection.getresponse()
                body = response.read()
            except (http.client.RemoteDisconnected, ConnectionError):
                # The server closed a connection left idle past its keep-alive: open another.
                self.connection.close()
                if attempt:
                    raise
                continue
            return response.status, body, (time.perf_counter() - started) * 1000
        raise AssertionError("unreachable")


def _timed(server: Server, timer: PageTimer, row: Row, record: bool) -> None:
    mark = server.mark()
    status, body, elapsed = timer.get(row.request)
    if status not in (200, 204):
        sys.exit(f"{row.label}: {status}\n{body[:2000].decode(errors='replace')}")
    if record:
        row.times.append(elapsed)
        row.calls.append(len(server.upstream_calls_since(mark)))
