#!/usr/bin/env python
"""Measure the dashboard against the OpenTrain API alone: `make bench` (writes docs/benchmarks.md).

For each account size N it builds a throwaway SQLite database, seeds the sandbox with N bulk
contracts (three milestones each), starts gunicorn with gunicorn.conf.py (one worker, threads) and
times, request by request and interleaved so both sides see the same machine:

- the API alone, straight to the sandbox with httpx: GET /contracts (fetch and JSON parse),
  GET /contracts/{id}, POST /contracts/{id}/milestones;
- the dashboard, signed in through its login form: the list (first view, repeat view, filtered),
  the contract page, the payment-fields swap and a milestone submission.

Upstream calls are counted from the server's own log (JSON lines; the client's records on logger
"dashboard.opentrain" carry `ot_method`, `ot_route`, `ot_ms`), read back after each request;
memory from /proc/<worker>/status.

    python scripts/bench.py                 # N = 50, 500, 5000
    python scripts/bench.py --quick         # N = 50, a few iterations (under a minute)
    python scripts/bench.py --latency 50    # every upstream call answered 50 ms later
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import httpx
from bench_report import Row, report, table
from pm_client import SignInError, milestone_data, sign_in
from servers import ROOT, Server, ServerError, free_port, manage, sandbox_env

from sandbox.demo import OWNER_TOKEN

API_PREFIX = "/sandbox/api/public/v1"
USERNAME, PASSWORD = "bench", "bench-pass-" + secrets.token_hex(6)


# --- the server --------------------------------------------------------------------------------


def server_env(tmp: Path, port: int) -> dict:
    return sandbox_env(
        f"sqlite:///{tmp / 'bench.sqlite3'}",
        PORT=str(port),
        WEB_CONCURRENCY="1",
        GUNICORN_THREADS="8",
        GUNICORN_ACCESS_LOG="",
    )


def prepare(n: int, env: dict, latency_ms: int) -> None:
    manage(env, "migrate", "--noinput")
    manage(env, "seed_sandbox", "--contracts", str(n))  # seeding clears every account's fault
    manage(env, "make_editors", USERNAME, "--password", PASSWORD)
    if latency_ms:
        manage(env, "sandbox_fault", "owner", f"latency={latency_ms}")


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
    env = server_env(tmp, port)
    print(f"\nN = {n}: seeding {n} contracts ...", flush=True)
    prepare(n, env, latency_ms)
    server = Server.start(env, tmp / "server.log")
    try:
        return run_size(server, n, iterations, soak)
    finally:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def run_size(server: Server, n: int, iterations: int, soak: int) -> dict:
    api = api_client(server.url)
    try:
        web = sign_in(server.url, USERNAME, PASSWORD, timeout=120)
    except SignInError as error:
        sys.exit(str(error))
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
        form.update(
            milestone_data(
                response.text,
                name="Bench batch",
                description="A milestone the benchmark submits.",
                due_date="2030-01-31",
                amount_usd="500",
            )
        )

    def post_milestone() -> httpx.Response:
        return web.post(f"/contracts/{write_id}/milestones/new/", data=form)

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
