#!/usr/bin/env python
"""Measure the dashboard against the OpenTrain API alone: `make bench` (writes docs/benchmarks.md).

For each account size N it builds a throwaway SQLite database, seeds the sandbox with N bulk
contracts (three milestones each), starts gunicorn with gunicorn.conf.py (one worker, threads) and
times, request by request and interleaved so both sides see the same machine:

- the API alone, straight to the sandbox with httpx: GET /contracts (fetch and JSON parse),
  GET /contracts/{id}, POST /contracts/{id}/milestones;
- the dashboard, signed in through its login form: the list (first view, repeat view, filtered),
  the contract page, the payment-fields swap and a milestone submission.

Upstream calls are counted from the server's own log lines (`opentrain GET /contracts -> 200 ...`,
logger "dashboard.opentrain"), read back after each request; memory from /proc/<worker>/status.

    python scripts/bench.py                 # N = 50, 500, 5000
    python scripts/bench.py --quick         # N = 50, a few iterations (under a minute)
    python scripts/bench.py --latency 50    # every upstream call answered 50 ms later
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import httpx
from servers import ROOT, Server, ServerError, free_port, manage, sandbox_env

OWNER_TOKEN = "ot_pat_sbxowner_sandboxsecret0001"
API_PREFIX = "/sandbox/api/public/v1"
USERNAME, PASSWORD = "bench", "bench-pass-" + secrets.token_hex(6)
HIDDEN_INPUT = re.compile(r"<input\b[^>]*>", re.IGNORECASE)
ATTR = re.compile(r'(\w[\w-]*)="([^"]*)"')


# --- the server --------------------------------------------------------------------------------


def server_env(tmp: Path, port: int, latency_ms: int) -> dict:
    return sandbox_env(
        f"sqlite:///{tmp / 'bench.sqlite3'}",
        PORT=str(port),
        WEB_CONCURRENCY="1",
        GUNICORN_THREADS="8",
        GUNICORN_ACCESS_LOG="",
        BENCH_LATENCY_MS=str(latency_ms),
    )


SETUP = """
import os
from django.contrib.auth.models import Group, User
from dashboard.sandbox.models import Account
user = User.objects.create_user({username!r}, password={password!r})
user.groups.add(Group.objects.get(name="editors"))
latency = int(os.environ["BENCH_LATENCY_MS"])
Account.objects.filter(key="owner").update(fault=f"latency={{latency}}" if latency else "")
"""


def prepare(n: int, env: dict) -> None:
    manage(env, "migrate", "--noinput")
    manage(env, "seed_sandbox", "--contracts", str(n))
    manage(env, "shell", "-c", SETUP.format(username=USERNAME, password=PASSWORD))


def memory_kib(server: Server) -> dict[str, int]:
    """The gunicorn worker's resident memory now and at its peak."""
    pid = server.proc.pid
    worker = int(Path(f"/proc/{pid}/task/{pid}/children").read_text().split()[0])
    status = Path(f"/proc/{worker}/status").read_text()
    return {
        key: int(re.search(rf"^{key}:\s+(\d+) kB", status, re.MULTILINE).group(1))
        for key in ("VmRSS", "VmHWM")
    }


# --- the two clients -------------------------------------------------------------------------


def sign_in(url: str) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=120, follow_redirects=False)
    page = client.get("/accounts/login/")
    response = client.post(
        "/accounts/login/",
        data={
            "username": USERNAME,
            "password": PASSWORD,
            "csrfmiddlewaretoken": form_inputs(page.text)["csrfmiddlewaretoken"],
        },
    )
    if response.status_code != 302:
        sys.exit(f"signing in failed: {response.status_code}")
    return client


def form_inputs(html: str) -> dict[str, str]:
    """name -> value of every <input> with a name (hidden keys and the CSRF token among them)."""
    values = {}
    for tag in HIDDEN_INPUT.findall(html):
        attrs = dict(ATTR.findall(tag))
        if "name" in attrs:
            values[attrs["name"]] = attrs.get("value", "")
    return values


def api_client(url: str) -> httpx.Client:
    return httpx.Client(
        base_url=url + API_PREFIX,
        timeout=120,
        headers={"Authorization": f"Bearer {OWNER_TOKEN}", "Accept": "application/json"},
    )


def parse(response: httpx.Response) -> dict:
    """What a client of the API does with an answer: check it, parse it (exact decimals)."""
    response.raise_for_status()
    return json.loads(response.content, parse_float=Decimal)


# --- measuring -------------------------------------------------------------------------------


@dataclass
class Row:
    label: str
    request: str
    baseline: str = ""  # the API row this dashboard row is compared with
    needs: int = 0  # upstream calls the page needs on a cold cache
    times: list[float] = field(default_factory=list)
    calls: list[int] = field(default_factory=list)
    own: list[float] = field(default_factory=list)  # time not spent waiting on OpenTrain
    skipped: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def p95(self) -> float:
        if len(self.times) < 2:
            return self.times[0]
        return statistics.quantiles(self.times, n=20, method="inclusive")[18]


@dataclass
class Step:
    row: Row
    run: Callable[[], httpx.Response]
    prepare: Callable[[], None] | None = None
    expect: tuple[int, ...] = (200,)


def measure(server: Server, step: Step, record: bool) -> None:
    if step.prepare is not None:
        step.prepare()
    offset = server.mark()
    started = time.perf_counter()
    response = step.run()
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code not in step.expect:
        sys.exit(f"{step.row.label}: {response.status_code}\n{response.text[:2000]}")
    if record:
        upstream = server.upstream_calls_since(offset)
        step.row.times.append(elapsed)
        step.row.calls.append(len(upstream))
        step.row.own.append(elapsed - sum(call.ms for call in upstream))


def bench_size(n: int, iterations: int, soak: int, latency_ms: int) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix=f"bench-{n}-"))
    port = free_port()
    env = server_env(tmp, port, latency_ms)
    print(f"\nN = {n}: seeding {n} contracts ...", flush=True)
    prepare(n, env)
    server = Server.start(env, tmp / "server.log")
    try:
        return run_size(server, n, iterations, soak)
    finally:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def run_size(server: Server, n: int, iterations: int, soak: int) -> dict:
    api = api_client(server.url)
    web = sign_in(server.url)
    contracts = parse(api.get("/contracts"))["contracts"]
    bulk = [c for c in contracts if c["paymentType"] == "FIXED_PRICE" and c["status"] == "active"]
    read_id, write_id = bulk[0]["id"], bulk[1]["id"]
    hx = {"HX-Request": "true"}

    api_list = Row("API: GET /contracts (fetch + parse JSON)", "GET /contracts")
    api_get = Row("API: GET /contracts/{id}", "GET /contracts/{id}")
    api_post = Row("API: POST /contracts/{id}/milestones", "POST /contracts/{id}/milestones")
    first = Row("Contracts list, first view", "/contracts/?refresh=1", api_list.label, 1)
    repeat = Row("Contracts list, repeat view", "/contracts/", api_list.label, 0)
    filtered = Row(
        "Contracts list, filtered",
        "/contracts/?status=active&payment_type=PAY_PER_LABEL&q=project",
        api_list.label,
        0,
    )
    page = Row("Contract page", "/contracts/{id}/", api_get.label, 1)
    swap = Row("Payment-fields swap (htmx)", "/milestones/new/?contract={id}", api_get.label, 0)
    submit = Row("Milestone submission", "POST /contracts/{id}/milestones/new/", api_post.label, 1)

    form: dict[str, str] = {}

    def load_form() -> None:
        response = web.get(f"/contracts/{write_id}/milestones/new/")
        form.clear()
        form.update(form_inputs(response.text))

    def post_milestone() -> httpx.Response:
        data = {
            "csrfmiddlewaretoken": form["csrfmiddlewaretoken"],
            "submission_key": form["submission_key"],
            "name": "Bench batch",
            "description": "A milestone the benchmark submits.",
            "due_date": "2030-01-31",
            "amount_usd": "500",
        }
        return web.post(f"/contracts/{write_id}/milestones/new/", data=data)

    steps = [
        Step(api_list, lambda: _parsed(api.get("/contracts"))),
        Step(api_get, lambda: _parsed(api.get(f"/contracts/{read_id}"))),
        Step(first, lambda: web.get("/contracts/?refresh=1")),
        Step(repeat, lambda: web.get("/contracts/")),
        Step(filtered, lambda: web.get(filtered.request)),
        Step(page, lambda: web.get(f"/contracts/{read_id}/")),
    ]
    milestone_form = web.get(f"/contracts/{write_id}/milestones/new/")
    if milestone_form.status_code == 200 and "submission_key" in milestone_form.text:
        steps += [
            Step(swap, lambda: web.get(f"/milestones/new/?contract={read_id}", headers=hx)),
            Step(
                api_post,
                lambda: api.post(
                    f"/contracts/{write_id}/milestones",
                    json={"description": "A milestone the API alone creates.", "amountUsd": 500},
                ),
                expect=(201,),
            ),
            Step(submit, post_milestone, prepare=load_form, expect=(302, 303, 200, 204)),
        ]
    else:
        for row in (swap, api_post, submit):
            row.skipped = "the milestone form is not in this checkout yet"

    # Warm-up: imports, connections, template loading, the sandbox accounts cache.
    for _ in range(3):
        for step in steps:
            measure(server, step, record=False)
    warm = memory_kib(server)
    print(f"  warm, RSS {warm['VmRSS'] / 1024:.0f} MiB; {iterations} rounds ...", flush=True)
    for i in range(iterations):
        for step in steps:
            measure(server, step, record=True)
        if (i + 1) % 5 == 0:
            print(f"  round {i + 1}/{iterations}", flush=True)
    measured = memory_kib(server)
    # Memory soak: many more requests of every kind; RSS should stay where it was.
    reads = [s for s in steps if s.row in (first, repeat, filtered, page, swap)]
    checkpoints = [measured["VmRSS"]]
    for i in range(soak):
        for step in reads:
            measure(server, step, record=False)
        if (i + 1) % max(1, soak // 5) == 0:
            checkpoints.append(memory_kib(server)["VmRSS"])
    after = memory_kib(server)

    if submit.times:
        check_submission(web, write_id)
    rows = [api_list, api_get, api_post, first, repeat, filtered, page, swap, submit]
    return {
        "n": n,
        "rows": rows,
        "memory": {"warm": warm, "measured": measured, "after_soak": after},
        "checkpoints": checkpoints,
        "soak_requests": soak * len(reads),
        "iterations": iterations,
    }


def _parsed(response: httpx.Response) -> httpx.Response:
    parse(response)
    return response


def check_submission(web: httpx.Client, contract_id: str) -> None:
    """A sanity check that the submissions really created milestones (the page lists them)."""
    page = web.get(f"/contracts/{contract_id}/")
    if "Bench batch" not in page.text:
        sys.exit("the dashboard's milestone submissions did not show up on the contract page")


# --- reporting -------------------------------------------------------------------------------


def fmt_ms(value: float) -> str:
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


def fmt_calls(calls: list[int]) -> str:
    mean = sum(calls) / len(calls)
    return str(int(mean)) if mean == int(mean) else f"{mean:.2f}"


def verdict(row: Row, base: Row, n: int) -> str:
    """The issue's targets, checked against the medians."""
    if not row.times or not base.times:
        return ""
    calls = sum(row.calls) / len(row.calls)
    if row.needs == 0:
        return "yes" if calls == 0 else f"no: {fmt_calls(row.calls)} upstream calls"
    if n >= 5000 and row.label.startswith("Contracts list"):
        limit, rule = 2 * base.median, "2x"
    else:
        limit = max(1.2 * base.median, base.median + 10)
        rule = "1.2x/+10 ms"
    ok = row.median <= limit
    return f"{'yes' if ok else 'no'} (≤ {fmt_ms(limit)} ms, {rule})"


def table(result: dict) -> list[str]:
    rows = {r.label: r for r in result["rows"]}
    lines = [
        "| Request | Median ms | p95 ms | x API alone | Upstream calls | Own ms | Target met |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for row in result["rows"]:
        if row.skipped:
            lines.append(f"| {row.label} | — | — | — | — | — | not measured: {row.skipped} |")
            continue
        base = rows.get(row.baseline)
        ratio = f"{row.median / base.median:.2f}" if base and base.times else ""
        target = verdict(row, base, result["n"]) if base else ""
        own = fmt_ms(statistics.median(row.own)) if base else ""
        lines.append(
            f"| {row.label} | {fmt_ms(row.median)} | {fmt_ms(row.p95)} | {ratio} "
            f"| {fmt_calls(row.calls)} | {own} | {target} |"
        )
    mem = result["memory"]
    mib = {k: v["VmRSS"] / 1024 for k, v in mem.items()}
    lines += [
        "",
        f"Worker memory (RSS): {mib['warm']:.0f} MiB after warm-up, {mib['measured']:.0f} MiB "
        f"after the timed rounds, then through {result['soak_requests']} more page views: "
        + ", ".join(f"{kib / 1024:.0f}" for kib in result["checkpoints"])
        + f" MiB (end minus start: {mib['after_soak'] - mib['measured']:+.1f} MiB); "
        f"peak (VmHWM) {mem['after_soak']['VmHWM'] / 1024:.0f} MiB.",
    ]
    return lines


def machine() -> str:
    cpu = ""
    try:
        cpu = re.search(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.M)
        cpu = cpu.group(1) if cpu else ""
    except OSError:
        pass
    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs"
        f"{f' ({cpu})' if cpu else ''}, Python {platform.python_version()}"
    )


def report(results: list[dict], args: argparse.Namespace, load: str) -> str:
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    out = [
        "# Benchmarks: the dashboard against the OpenTrain API alone",
        "",
        f"Generated by `make bench` (`scripts/bench.py{' --quick' if args.quick else ''}"
        f"{f' --latency {args.latency}' if args.latency else ''}`) on {now}.",
        "",
        f"- Machine: {machine()}. Load average (1 min) before and after the run: {load}; other "
        "work on the machine shows up as noise, mostly in the p95s.",
        "- Server: gunicorn with gunicorn.conf.py, 1 worker x 8 threads (gthread), SQLite, "
        "local-memory cache, `OT_LIST_CACHE_SECONDS=30`; the sandbox runs in the same process, "
        "so the API-alone rows are the floor any dashboard page stands on.",
        f"- Injected upstream latency: {args.latency} ms per API call."
        if args.latency
        else "- No injected upstream latency.",
        "- Each contract has three milestones. The client and the server share the machine; "
        "requests interleaved round by round so both sides see the same load.",
        "- *x API alone*: the dashboard median over the median of the API call it needs or "
        "replaces (the list rows: GET /contracts, fetched and parsed; the contract page and the "
        "swap: GET /contracts/{id}; the submission: POST milestones). *Upstream calls*: per "
        "request, counted from the server's `opentrain ...` log lines. *Own ms*: the page's time "
        "minus the upstream time those log lines report, i.e. what the dashboard itself adds.",
        "- Targets: a page that needs upstream calls is within 1.2x (or 10 ms) of them; at 5,000 "
        "contracts the list is within 2x of fetching and parsing the JSON; the repeat view, the "
        "filtered list and the swap make no upstream call.",
        "",
    ]
    for result in results:
        heading = f"## {result['n']:,} contracts ({result['iterations']} timed rounds)"
        out += [heading, "", *table(result), ""]
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="N=50 and a few rounds (< 1 min)")
    parser.add_argument("--sizes", default="", help="comma-separated contract counts")
    parser.add_argument("--iterations", type=int, default=0, help="timed rounds per size")
    parser.add_argument("--latency", type=int, default=0, help="injected upstream latency, ms")
    parser.add_argument("--output", default=str(ROOT / "docs" / "benchmarks.md"))
    args = parser.parse_args()

    sizes = [int(s) for s in args.sizes.split(",") if s] or (
        [50] if args.quick else [50, 500, 5000]
    )
    load_before = os.getloadavg()[0]
    results = []
    for n in sizes:
        iterations = args.iterations or (6 if args.quick else (15 if n >= 5000 else 30))
        soak = 10 if args.quick else (40 if n >= 5000 else 100)
        try:
            results.append(bench_size(n, iterations, soak, args.latency))
        except ServerError as error:
            sys.exit(str(error))
        print("\n".join(table(results[-1])), flush=True)
    text = report(results, args, f"{load_before:.1f} and {os.getloadavg()[0]:.1f}")
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(text + "\n")
    print(f"\nWrote {os.path.relpath(args.output)}")


if __name__ == "__main__":
    main()
