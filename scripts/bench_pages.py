"""The pages from the mirror, timed: the list (filters, a search, sorts, "needs attention", page 2),
the contract page with its budget chart, the inbox and the spend page at N contracts, on SQLite or
PostgreSQL, with the database queries each page makes, and the web and worker memory over 1,000
requests.

The dashboard runs as in production (OT_API_TOKEN set, no sandbox) against the fast upstream, so
a page that called OpenTrain would show it in the upstream-call count; the sync worker runs
beside it. Times are the client's, from request sent to full response read, over loopback, with
the least client there is (the standard library's `http.client` on one kept-alive connection):
httpx, which signs in, adds 1-3 ms of its own to each request, and that time is not the server's.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
from bench_report import (
    CONTRACT_TARGET_MS,
    INBOX_TARGET_MS,
    LOAD_PMS,
    PAGE_TARGET_MS,
    SPEND_TARGET_MS,
    Row,
)
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
    ("Contract page, with its budget chart (target 30 ms)", "/contracts/{id}/"),
    ("Contract page, 12 months seen weekly (target 30 ms)", "/contracts/{weekly}/"),
    ("Version stamp (unchanged)", "/sync/version/?v={v}"),
    ("Inbox, Needs you (target 40 ms)", "/"),
    ("Spend (target 100 ms)", "/spend/"),
    (
        "Spend, hourly contracts, last 6 months (target 100 ms)",
        "/spend/?payment_type=PAY_PER_HOUR&start={six_months_ago}&end={this_month}",
    ),
]
TARGETS = {
    "/": INBOX_TARGET_MS,
    "/contracts/{id}/": CONTRACT_TARGET_MS,
    "/contracts/{weekly}/": CONTRACT_TARGET_MS,
}
CONTRACT_LINK = re.compile(r'href="/contracts/(ctr_[^/"]+)/"')
VERSION = re.compile(r"/sync/version/\?v=(\d+)")
# The contracts whose pages are timed: the one bench_fill.py gave the whole thinned budget history
# (1,000 snapshots: an hourly contract used every hour of the last 30 days), and one seen weekly.
CHART_CONTRACT = re.compile(r"^chart contract: (ctr_\S+)$", re.M)
WEEKLY_CONTRACT = re.compile(r"^weekly chart contract: (ctr_\S+)$", re.M)


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
    name: str,
    kind: str,
    n: int,
    tmp: Path,
    capture: Path,
    upstream_url: str,
    pg_url: str,
    root: Path = ROOT,
) -> tuple[dict, str, float]:
    """A database of the benchmark's own, migrated, with the bench editor and N contracts
    (`bench_fill.py` of the checkout at `root`): the dashboard's environment for it, its schema,
    the fill's seconds and what it printed."""
    schema = f"{name}_{n}_{os.getpid()}"  # two benchmarks at once never share one
    env = production_env(database_url(kind, tmp, schema, pg_url), upstream_url, free_port())
    manage(env, "migrate", "--noinput", root=root)
    manage(env, "make_editors", USERNAME, "--password", PASSWORD, root=root)
    started = time.perf_counter()
    filled = subprocess.run(  # noqa: S603 (our own script)
        [sys.executable, "scripts/bench_fill.py", str(capture), str(n)],
        cwd=root,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return env, schema, time.perf_counter() - started, filled.stdout


@dataclass
class Setup:
    """One configuration being measured: its mirror, its web server and its worker."""

    kind: str
    n: int
    code: str  # "this code", or the baseline's commit
    fill_s: float
    schema: str
    server: Server
    worker: subprocess.Popen
    env: dict
    root: Path
    filled: str  # what bench_fill.py printed
    rows: list[Row] = field(default_factory=list)
    timer: PageTimer | None = None
    first: str = ""


def bench_pages(
    configs: list[tuple[str, int, str, Path]],
    tmp: Path,
    capture: Path,
    upstream_url: str,
    pg_url: str,
    rounds: int,
    load_seconds: float = 20,
) -> list[dict]:
    """Every (database, size) in `configs` at once: all filled and served first, then each timed
    round asks every page of every configuration in turn, request by request. The host's speed
    moves during a run (by up to 2x within minutes on these machines), and this way it moves
    every configuration's figures alike, where measuring them one after the other left it to
    chance which one met a slow stretch. A configuration's code is this checkout's, or a
    baseline's (another checkout, `--baseline`), filled and served by its own code."""
    setups: list[Setup] = []
    try:
        for number, (kind, n, code, root) in enumerate(configs):
            print(f"Filling {kind} with {n:,} contracts ({code}) ...", flush=True)
            env, schema, fill_s, filled = filled_mirror(
                f"bench_pages{number}", kind, n, tmp, capture, upstream_url, pg_url, root
            )
            print("  " + filled.strip().replace("\n", "\n  "), flush=True)
            server = Server.start(env, tmp / f"web-{number}.log", root=root)
            worker = subprocess.Popen(
                [sys.executable, "manage.py", "sync_worker"],
                cwd=root,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            setups.append(Setup(kind, n, code, fill_s, schema, server, worker, env, root, filled))
        for setup in setups:
            _sign_in(setup)
        print(f"Timing the pages of {len(setups)} configurations in turn ...", flush=True)
        for round_number in range(3 + rounds):  # 3 warm-up rounds: imports, templates, connections
            for i in range(len(PAGES)):
                for setup in setups:
                    _timed(setup.server, setup.timer, setup.rows[i], record=round_number >= 3)
        for setup in setups:
            _count_queries(setup)
        largest = max(n for _, n, _, _ in configs)
        loads = {}
        for setup in setups:
            if setup.n == largest:
                print(f"{LOAD_PMS} PMs at once, {setup.kind}, {setup.n:,}, {setup.code} ...")
                loads[id(setup)] = _under_load(setup, load_seconds)
                spend = _under_load(setup, load_seconds, spend=True)
                loads[id(setup)]["with_spend"] = spend
        results = []
        for setup in setups:
            memory = _memory(setup)
            results.append(
                {
                    "kind": setup.kind,
                    "n": setup.n,
                    "code": setup.code,
                    "fill_s": setup.fill_s,
                    "filled": setup.filled,
                    "rows": setup.rows,
                    "memory": memory,
                    "load": loads.get(id(setup)),
                }
            )
        return results
    finally:
        for setup in setups:
            setup.worker.terminate()
            setup.worker.wait(timeout=20)
            setup.server.stop()
            drop_schema(setup.kind, setup.schema, pg_url)


def _sign_in(setup: Setup) -> None:
    web = sign_in(setup.server.url, USERNAME, PASSWORD, timeout=60)
    setup.first = web.get("/contracts/").text
    chart = CHART_CONTRACT.search(setup.filled)
    # A checkout whose fill names no such contract: the last on the list's first page, as before.
    contract_id = chart.group(1) if chart else CONTRACT_LINK.findall(setup.first)[-1]
    weekly = WEEKLY_CONTRACT.search(setup.filled)
    weekly_id = weekly.group(1) if weekly else CONTRACT_LINK.findall(setup.first)[0]
    version = VERSION.search(setup.first).group(1)
    this_month = datetime.now(UTC).date().replace(day=1)
    months_ago = this_month.year * 12 + this_month.month - 1 - 5
    six_months_ago = date(months_ago // 12, months_ago % 12 + 1, 1)
    setup.rows = [
        Row(
            label,
            path.format(
                id=contract_id,
                weekly=weekly_id,
                v=version,
                this_month=f"{this_month:%Y-%m}",
                six_months_ago=f"{six_months_ago:%Y-%m}",
            ),
            target=SPEND_TARGET_MS
            if path.startswith("/spend/")
            else TARGETS.get(path, PAGE_TARGET_MS),
        )
        for label, path in PAGES
    ]
    for row in setup.rows:
        # A baseline from before a page existed: the row is left out there, not failed.
        if row.request.startswith("/spend/") and web.get(row.request).status_code == 404:
            row.served = False
    setup.timer = PageTimer(setup.server.url, web)


def _count_queries(setup: Setup) -> None:
    """Each page's database queries, counted in a process of its own on the same database (this
    script's `--queries`, Django's test client signed in as the bench editor): the second of two
    requests, as the timed ones are, with the process's caches warm."""
    paths = [row.request for row in setup.rows if row.served]
    counted = subprocess.run(  # noqa: S603 (our own script)
        [sys.executable, str(Path(__file__).resolve()), "--queries", *paths],
        cwd=setup.root,
        env=setup.env,
        check=True,
        capture_output=True,
        text=True,
    )
    found = json.loads(counted.stdout.strip().splitlines()[-1])
    for row in setup.rows:
        row.queries = found.get(row.request)


def _under_load(setup: Setup, seconds: float, *, spend: bool = False) -> dict:
    """LOAD_PMS project managers reading at once with no think time, each signed in with a session
    of its own on a kept-alive connection of its own: the list pages, the contract pages and the
    inbox in turn (issue 25's mix), and with `spend` the spend pages too (issue 28's, 40-50 ms)."""
    rows = [
        row
        for row in setup.rows
        if row.served
        and "/sync/version/" not in row.request
        and (spend or not row.request.startswith("/spend/"))
    ]
    timers = [
        PageTimer(setup.server.url, sign_in(setup.server.url, USERNAME, PASSWORD, timeout=60))
        for _ in range(LOAD_PMS)
    ]
    times: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds

    def pm(number: int, timer: PageTimer) -> None:
        i = number
        while time.perf_counter() < stop_at:
            row = rows[i % len(rows)]
            i += 1
            try:
                status, _, elapsed = timer.get(row.request)
            except (OSError, http.client.HTTPException) as error:
                with lock:
                    errors.append(f"{row.request}: {error}")
                continue
            with lock:
                if status == 200:
                    times.append(elapsed)
                else:
                    errors.append(f"{row.request}: {status}")

    started = time.perf_counter()
    threads = [threading.Thread(target=pm, args=(i, t)) for i, t in enumerate(timers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    took = time.perf_counter() - started
    if errors:
        print(f"  errors under load ({len(errors)}), first: {errors[0]}", flush=True)
    return {"seconds": took, "per_s": len(times) / took, "errors": len(errors), "times": times}


MEMORY_ROUNDS = 3


def _memory(setup: Setup) -> dict:
    """The web and worker memory before and after each of MEMORY_ROUNDS rounds of 1,000 more
    requests: the pages in turn, every 10th a Sync now (a task the worker runs: a read of the
    updates feed from the fast upstream). Memory that grows in the first round and then stays is
    each of the web server's threads filling its database connection's caches; a leak grows in
    every round."""
    web_pid = gunicorn_worker(setup.server)
    readings = [{"web": rss_kib(web_pid), "worker": rss_kib(setup.worker.pid)}]
    csrf = form_inputs(setup.first).get("csrfmiddlewaretoken", "")
    for _ in range(MEMORY_ROUNDS):
        for i in range(1000):
            if i % 10 == 9:
                response = setup.timer.web.post("/sync/now/", data={"csrfmiddlewaretoken": csrf})
                if response.status_code != 302:
                    sys.exit(f"Sync now answered {response.status_code}")
            else:
                _timed(setup.server, setup.timer, setup.rows[i % len(setup.rows)], record=False)
        time.sleep(2)  # let the worker finish the last task
        readings.append({"web": rss_kib(web_pid), "worker": rss_kib(setup.worker.pid)})
    return {"readings": readings}


class PageTimer:
    """GETs with the signed-in client's cookies on one kept-alive `http.client` connection: what
    the timing adds to the server's own time is loopback and the least a client can do."""

    def __init__(self, url: str, web: httpx.Client):
        self.web = web
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
    if not row.served:
        return
    mark = server.mark()
    status, body, elapsed = timer.get(row.request)
    if status not in (200, 204):
        sys.exit(f"{row.label}: {status}\n{body[:2000].decode(errors='replace')}")
    if record:
        row.times.append(elapsed)
        row.calls.append(len(server.upstream_calls_since(mark)))


def count_queries(paths: list[str]) -> dict:
    """The database queries of each GET, signed in as the bench editor: run in the dashboard's
    environment (`python scripts/bench_pages.py --queries PATH ...`, from the checkout)."""
    sys.path.insert(0, os.getcwd())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(get_user_model().objects.get(username=USERNAME))
    found = {}
    for path in paths:
        client.get(path)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
        if response.status_code in (200, 204):
            found[path] = len(queries)
    return found


if __name__ == "__main__" and sys.argv[1:2] == ["--queries"]:
    print(json.dumps(count_queries(sys.argv[2:])))
