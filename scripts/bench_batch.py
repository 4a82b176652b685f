#!/usr/bin/env python
"""Batches, timed: `make bench` (or scripts/bench_batch.py) writes docs/benchmarks-batch.md.

- The run: a confirmed batch of 500 rows (Monday's: the template CSV, one row a contract, on
  500 bulk contracts) sent by the worker's task against the sandbox (a gunicorn server of its
  own) with 50 ms of latency on every API request (the sandbox's `latency` fault), beside the
  same 500 `POST /contracts/{id}/milestones` made alone, one after another, with the dashboard's
  own client. Target: the batch within 1.2x of the calls alone.
- The preview: a 500-row CSV uploaded to `/milestones/import/` (read, checked, saved, redirected)
  and the preview page it leads to. Target: within 1 s.

It prints the figures; it asserts nothing. The task runs in this process, as the worker's
`db_worker` would run it (without the worker's polling for the next task); the sandbox has a
database of its own, as OpenTrain does (sharing SQLite's one write lock would slow both).
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from servers import ROOT, Server, ServerError, free_port, manage, sandbox_env

SANDBOX_API = "/sandbox/api/public/v1"
RUN_TARGET = 1.2
HISTORY = "## Earlier runs"
PREVIEW_TARGET_S = 1.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=500)
    parser.add_argument("--latency", type=int, default=50, help="ms on every API request")
    parser.add_argument("--rounds", type=int, default=3, help="batch and calls alone, each")
    parser.add_argument("--output", default=str(ROOT / "docs" / "benchmarks-batch.md"))
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-batch-"))
    load_before = os.getloadavg()[0]
    try:
        server, sandbox = _sandbox(tmp, args.rows)
        try:
            figures = _measure(sandbox, args)
        finally:
            server.stop()
    except ServerError as error:
        sys.exit(str(error))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    figures["load"] = f"{load_before:.1f} and {os.getloadavg()[0]:.1f}"
    text = _report(figures, args)
    output = Path(args.output)
    if output.exists() and HISTORY in output.read_text():
        # Earlier figures written by hand (a before/after) stay under the new ones.
        text += "\n" + HISTORY + output.read_text().split(HISTORY, 1)[1]
    output.write_text(text)
    print(f"\nWrote {os.path.relpath(args.output)}")


def _sandbox(tmp: Path, contracts: int) -> tuple[Server, dict]:
    """A seeded sandbox on its own port and database (OpenTrain does not share the dashboard's),
    and this process set up as the dashboard with a database of its own; returns the server and
    the sandbox's environment (for `sandbox_fault`)."""
    env = sandbox_env(f"sqlite:///{tmp / 'sandbox.sqlite3'}", PORT=str(free_port()))
    env.update(WEB_CONCURRENCY="1", GUNICORN_ACCESS_LOG="", LOG_FORMAT="plain")
    print("Seeding a sandbox ...", flush=True)
    manage(env, "migrate", "--noinput")
    manage(env, "seed_sandbox", "--contracts", str(contracts))
    server = Server.start(env, tmp / "sandbox.log")
    dashboard = sandbox_env(
        f"sqlite:///{tmp / 'dashboard.sqlite3'}",
        OT_API_BASE_URL=server.url + SANDBOX_API,
        ALLOWED_HOSTS="testserver",
        DJANGO_SETTINGS_MODULE="dashboard.settings",
        LOG_FORMAT="plain",
    )
    manage(dashboard, "migrate", "--noinput")
    os.environ.update(dashboard)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    return server, env


def _measure(sandbox: dict, args) -> dict:
    import logging

    from django.contrib.auth.models import User
    from django.test import Client

    from dashboard import opentrain, services
    from dashboard.batches.models import Batch
    from dashboard.batches.tasks import send_batch
    from dashboard.mirror import sync
    from dashboard.opentrain import transport
    from sandbox import demo

    logging.disable(logging.INFO)
    token = demo.OWNER_TOKEN
    account = sync.account_for(services.token_fingerprint(token), "bench")
    sync.sync_account(account, token, full=True)
    user = User.objects.create_superuser("bench", password="bench-pass-123")
    client = Client()
    client.force_login(user)
    # Monday's batch: the template CSV, every active contract with its last milestone again.
    template = client.get("/milestones/import/template.csv")
    text = b"".join(template.streaming_content).decode()
    # Contracts without a milestone to copy leave the description empty: the preview refuses
    # those, and the batch sends only the others; the same calls are made alone.
    rows = [r for r in csv.DictReader(io.StringIO(text)) if r["description"]][: args.rows]
    print(f"{len(rows)} rows, one a contract, from the template CSV", flush=True)

    print(f"Preview of a {len(rows)}-row CSV, 5 times ...", flush=True)
    upload_s, page_s, batches = [], [], []
    for _ in range(5):
        started = time.perf_counter()
        response = client.post("/milestones/import/", {"file": _csv(rows)})
        upload_s.append(time.perf_counter() - started)
        if response.status_code != 302:
            raise ServerError(f"the upload answered {response.status_code}")
        started = time.perf_counter()
        page = client.get(response.url)
        page_s.append(time.perf_counter() - started)
        if page.status_code != 200:
            raise ServerError(f"the preview answered {page.status_code}")
        batches.append(Batch.objects.get(pk=response.url.strip("/").split("/")[-1]))
    print(f"  upload + check + save: median {_ms(upload_s)} ms, max {_ms(upload_s, max)} ms")
    print(f"  the preview page:      median {_ms(page_s)} ms, max {_ms(page_s, max)} ms")

    manage(sandbox, "sandbox_fault", demo.OWNER, f"latency={args.latency}")
    # Time spent waiting on OpenTrain, from each request sent to its answer's headers: the rest of
    # a run's wall time is the dashboard's own (or the machine's load).
    upstream = UpstreamClock()
    transport.use_client(
        transport.build_client(
            event_hooks={"request": [upstream.sent], "response": [upstream.answered]}
        )
    )
    alone_s, batch_s, alone_cpu, batch_cpu, alone_wait, batch_wait = [], [], [], [], [], []
    for round_ in range(args.rounds):
        print(f"Round {round_ + 1}: {len(rows)} POST milestones alone ...", flush=True)
        started, cpu, waited = time.perf_counter(), time.process_time(), upstream.total
        for row in rows:
            opentrain.create_milestone(token, row["contract_id"], **_fields(row))
        alone_s.append(time.perf_counter() - started)
        alone_cpu.append(time.process_time() - cpu)
        alone_wait.append(upstream.total - waited)
        print(f"  {alone_s[-1]:.2f} s (this process's CPU: {alone_cpu[-1]:.2f} s)", flush=True)
        print(f"Round {round_ + 1}: the batch of {len(rows)} in the worker's task ...", flush=True)
        batch = batches[round_]
        batch.confirm()
        started, cpu, waited = time.perf_counter(), time.process_time(), upstream.total
        summary = send_batch.call(batch_id=str(batch.pk))
        batch_s.append(time.perf_counter() - started)
        batch_cpu.append(time.process_time() - cpu)
        batch_wait.append(upstream.total - waited)
        print(f"  {batch_s[-1]:.2f} s ({summary}; CPU: {batch_cpu[-1]:.2f} s)", flush=True)
    ratios = [b / a for a, b in zip(alone_s, batch_s, strict=True)]
    print(f"Batch / alone: {', '.join(f'{r:.3f}' for r in ratios)} (target <= {RUN_TARGET})")
    return {
        "upload": upload_s,
        "page": page_s,
        "alone": alone_s,
        "batch": batch_s,
        "alone_cpu": alone_cpu,
        "batch_cpu": batch_cpu,
        "alone_wait": alone_wait,
        "batch_wait": batch_wait,
        "rows": len(rows),
    }


class UpstreamClock:
    """Adds up the seconds between each request and its answer (httpx event hooks)."""

    def __init__(self):
        self.total, self.started = 0.0, {}

    def sent(self, request) -> None:
        self.started[id(request)] = time.perf_counter()

    def answered(self, response) -> None:
        self.total += time.perf_counter() - self.started.pop(id(response.request))


def _csv(rows: list[dict]) -> io.BytesIO:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    upload = io.BytesIO(out.getvalue().encode())
    upload.name = "bench.csv"
    return upload


def _fields(row: dict) -> dict:
    fields = {
        "description": row["description"],
        "name": row["name"] or None,
        "due_date": row["due_date"] or None,
    }
    for name in ("amount_usd", "volume"):
        if row.get(name):
            fields[name] = Decimal(row[name])
    return fields


def _ms(values: list[float], how=statistics.median) -> str:
    return f"{how(values) * 1000:.0f}"


def _report(f: dict, args) -> str:
    ratios = [b / a for a, b in zip(f["alone"], f["batch"], strict=True)]
    middle = statistics.median(ratios)
    together = [u + p for u, p in zip(f["upload"], f["page"], strict=True)]
    preview = statistics.median(together)
    lines = [
        "# Batch benchmark",
        "",
        f"Generated by `make bench` (`scripts/bench_batch.py`) on "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M UTC}.",
        "",
        f"**Noisy figures.** {os.cpu_count()} cores shared with other agents' builds and tests "
        f"while this ran; load average (1 min) before and after: {f['load']}. The sandbox, the "
        "worker's task and the client share those cores, so the wall times move from run to run "
        "by more than the dashboard's own work (see the CPU columns).",
        "",
        f"## A {f['rows']}-row batch, {args.latency} ms upstream latency",
        "",
        'The sandbox (gunicorn, one process) adds the latency to every API request. "Alone" is '
        f"the same {f['rows']} `POST /contracts/{{id}}/milestones` made one after another with "
        "the dashboard's client; \"batch\" is the worker's task sending a confirmed batch (the "
        'ledger, the one-time keys, one sync queued at the end). "CPU here" is this process\'s '
        "CPU time (the dashboard's side), which the machine's load changes far less than the "
        'wall time. "Own time" is the wall time less the time spent waiting for OpenTrain\'s '
        "answers: the dashboard's own work plus whatever the machine's load added.",
        "",
        "| Round | Alone (s) | Batch (s) | Batch / alone | Own time: alone (s) | batch (s) "
        "| CPU here: alone (s) | batch (s) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for i in range(len(ratios)):
        own_alone = f["alone"][i] - f["alone_wait"][i]
        own_batch = f["batch"][i] - f["batch_wait"][i]
        lines.append(
            f"| {i + 1} | {f['alone'][i]:.2f} | {f['batch'][i]:.2f} | {ratios[i]:.3f} "
            f"| {own_alone:.2f} | {own_batch:.2f} "
            f"| {f['alone_cpu'][i]:.2f} | {f['batch_cpu'][i]:.2f} |"
        )
    lines += [
        "",
        f"Target ≤ {RUN_TARGET}x: {'met' if middle <= RUN_TARGET else 'missed'} by the median "
        f"round ({middle:.3f}; worst {max(ratios):.3f}).",
        "",
        f"## Preview of a {f['rows']}-row CSV",
        "",
        "| Step | Median (ms) | Max (ms) |",
        "|---|---|---|",
        f"| Upload: read, check every row, save, redirect | {_ms(f['upload'])} | "
        f"{_ms(f['upload'], max)} |",
        f"| The preview page | {_ms(f['page'])} | {_ms(f['page'], max)} |",
        "",
        f"Target ≤ {PREVIEW_TARGET_S:.0f} s for both together: "
        f"{'met' if preview <= PREVIEW_TARGET_S else 'missed'} (median {preview * 1000:.0f} ms "
        f"of {len(together)}; worst {max(together) * 1000:.0f} ms). The first upload of a "
        "process also compiles the templates.",
        "",
        "## Not measured",
        "",
        "- 429s: the sandbox sets no rate limit of its own; the worker waits `Retry-After` and no "
        "longer (tests/test_batch_run.py), so a rate-limited run is paced by OpenTrain alone.",
        "- The sync queued after the run (the mirror catching up with the new milestones).",
        "- The worker's own polling for the next task (django-tasks-db's `db_worker`).",
        "- PostgreSQL: the dashboard's database here is SQLite (WAL).",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
