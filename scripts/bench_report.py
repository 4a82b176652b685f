"""The benchmark's figures and how they are written up: one `Row` per kind of request, the
targets, and the Markdown of docs/benchmarks.md. No measuring here.
"""

from __future__ import annotations

import os
import platform
import re
import statistics
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

# A person notices none of these; past them, look at the data's shape, not at the framework.
PAGE_TARGET_MS = 25
CONTRACT_TARGET_MS = 30  # issue 28: the contract page draws its budget chart (20 before it)
INBOX_TARGET_MS = 40
SPEND_TARGET_MS = 100  # issue 28: /spend/, its totals, months, burn and "runs out first"
LOAD_PMS = 25
LOAD_TARGET_PER_S = 50
VISIBLE_TARGET_S = 2
RECONCILE_TARGET = 1.5


def median(values: list[float]) -> float:
    if not values:
        return float("nan")  # a page the checkout measured does not have
    return statistics.median(values)


def p95(values: list[float]) -> float:
    if not values:
        return float("nan")
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=20, method="inclusive")[18]


@dataclass
class Row:
    label: str
    request: str
    times: list[float] = field(default_factory=list)
    calls: list[int] = field(default_factory=list)
    target: float = PAGE_TARGET_MS
    queries: int | None = None  # database queries of one request (the process's caches warm)
    served: bool = True  # False: the checkout measured has no such page


def fmt_ms(value: float) -> str:
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


def yes_no(ok: bool) -> str:
    return "yes" if ok else "**no**"


def pages_table(result: dict) -> list[str]:
    lines = [
        f"| Request | Median ms | p95 ms | Queries | Upstream calls | Median ≤ target "
        f"({PAGE_TARGET_MS} ms; contract {CONTRACT_TARGET_MS}, inbox {INBOX_TARGET_MS}, "
        f"spend {SPEND_TARGET_MS}) |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for row in result["rows"]:
        if not row.served:
            lines.append(f"| {row.label} (`{row.request}`) | not served | | | | |")
            continue
        queries = "" if row.queries is None else str(row.queries)
        lines.append(
            f"| {row.label} (`{row.request}`) | {fmt_ms(median(row.times))} "
            f"| {fmt_ms(p95(row.times))} | {queries} | {sum(row.calls)} "
            f"| {yes_no(median(row.times) <= row.target)} |"
        )
    readings = result["memory"]["readings"]

    def mib(process: str) -> str:
        return " → ".join(f"{reading[process] / 1024:.0f}" for reading in readings)

    lines += [
        "",
        f"Memory (RSS) before and after each of {len(readings) - 1} rounds of 1,000 more "
        f"requests: web (the gunicorn worker) {mib('web')} MiB, sync worker {mib('worker')} MiB. "
        f"Mirror filled in {result['fill_s']:.0f} s.",
    ]
    if result.get("filled"):
        lines += ["", "What the fill wrote (`scripts/bench_fill.py`):", ""]
        lines += [f"    {line}" for line in result["filled"].strip().splitlines()]
    load = result.get("load")
    if load:
        lines += [
            "",
            f"{LOAD_PMS} PMs reading at once, no think time, for {load['seconds']:.0f} s "
            "(the list, the contract pages and the inbox in turn, each PM signed in with a "
            f"session of its own), one web process: **{load['per_s']:.1f} pages/s** (target ≥ "
            f"{LOAD_TARGET_PER_S}: {yes_no(load['per_s'] >= LOAD_TARGET_PER_S)}), "
            f"{load['errors']} errors, median {fmt_ms(median(load['times']))} ms, "
            f"p95 {fmt_ms(p95(load['times']))} ms (mostly queueing: 25 clients, 8 threads).",
        ]
        if spend := load.get("with_spend"):
            lines += [
                "",
                f"The same with the spend pages in the turn (issue 28's, not in issue 25's mix): "
                f"{spend['per_s']:.1f} pages/s, {spend['errors']} errors, median "
                f"{fmt_ms(median(spend['times']))} ms, p95 {fmt_ms(p95(spend['times']))} ms.",
            ]
    return lines


def comparison_table(pages: list[dict]) -> list[str]:
    """Each page's median, this code beside the baseline, per database and size."""
    mine = {(r["kind"], r["n"]): r for r in pages if r["code"] == "this code"}
    theirs = {(r["kind"], r["n"]): r for r in pages if r["code"] != "this code"}
    keys = [key for key in mine if key in theirs]
    lines = [
        "| Request | " + " | ".join(f"{kind} {n:,}: this / base" for kind, n in keys) + " |",
        "|---|" + "---:|" * len(keys),
    ]
    for i, row in enumerate(mine[keys[0]]["rows"]):
        cells = [
            f"{fmt_ms(median(mine[key]['rows'][i].times))} / "
            f"{fmt_ms(median(theirs[key]['rows'][i].times))}"
            for key in keys
        ]
        lines.append(f"| {row.label} | " + " | ".join(cells) + " |")
    loads = [(mine[key].get("load"), theirs[key].get("load")) for key in keys]
    if any(a and b for a, b in loads):
        cells = [f"{a['per_s']:.0f} / {b['per_s']:.0f}" if a and b else "" for a, b in loads]
        lines.append(f"| {LOAD_PMS} PMs at once, pages/s | " + " | ".join(cells) + " |")
    return lines


def reconcile_table(result: dict) -> list[str]:
    alone = median(result["alone"])
    wall = median([s["wall"] for s in result["synced"]])
    startup = median([s["startup"] for s in result["synced"]])
    own = wall - startup
    cpu = median([s.get("cpu", 0) for s in result["synced"]])
    database_cpu = median([s.get("database_cpu", 0) for s in result["synced"]])
    return [
        "| Measure | Median s | Runs |",
        "|---|---:|---:|",
        f"| API alone: 1 list + {result['n']:,} detail reads | {alone:.2f} "
        f"| {len(result['alone'])} |",
        f"| `opentrain_sync --full` (process wall time) | {wall:.2f} | {len(result['synced'])} |",
        f"| of which Python + Django start-up (`manage.py version`) | {startup:.2f} | |",
        f"| CPU of the sync (its reader thread included) | {cpu:.2f} | |",
        *(
            [f"| CPU of the PostgreSQL server meanwhile (same two cores) | {database_cpu:.2f} | |"]
            if database_cpu
            else []
        ),
        "",
        f"Ratio: {wall / alone:.2f}x the API alone with start-up, {own / alone:.2f}x without; "
        f"target ≤ {RECONCILE_TARGET}x: {yes_no(own / alone <= RECONCILE_TARGET)} "
        f"(without start-up), {yes_no(wall / alone <= RECONCILE_TARGET)} (with).",
    ]


def webhook_table(result: dict) -> list[str]:
    lines = [
        "| From the API write to … | Median s | p95 s | Max s | p95 ≤ 2 s |",
        "|---|---:|---:|---:|---|",
    ]
    for label, values in (
        ("the version stamp answers 200 (changed)", result["stamp"]),
        ("the contract page shows the new milestone", result["shown"]),
    ):
        lines.append(
            f"| {label} | {median(values):.2f} | {p95(values):.2f} | {max(values):.2f} "
            f"| {yes_no(p95(values) <= VISIBLE_TARGET_S)} |"
        )
    return lines


def machine() -> str:
    cpu = re.search(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.M)
    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs"
        f"{f' ({cpu.group(1)})' if cpu else ''}, Python {platform.python_version()}"
    )


HOW = """\
How it is measured (`make bench`, `scripts/bench.py`; `make bench BENCH_ARGS=--quick` for small
sizes in two to three minutes; `--pg URL` or MULTIHOST_DATABASE_URL adds PostgreSQL, in schemas of
the benchmark's own that it drops afterwards):

- **The fast upstream** (`scripts/fast_upstream.py`): the sandbox is seeded with N bulk contracts
  (three milestones each) and every path the sync reads is captured once from it over HTTP (the
  list, each contract, `/updates`, `/payments/pending`, `/auth/me`, the capabilities). A
  ThreadingHTTPServer in a process of its own then answers each GET with those bytes from memory,
  bearer token ignored. The "API alone" floor is read from it, never from the sandbox.
- **Pages**: the dashboard runs as in production (OT_API_TOKEN set, no sandbox app) under gunicorn
  (`gunicorn.conf.py`, 1 worker x 8 threads) with its sync worker beside it. The mirror is filled
  by `scripts/bench_fill.py`: the first N captured contracts, then clones of them with new ids and
  creation times, each given a realistic mix of what the inbox looks for (about 2.5% of contracts
  with a problem: depleted or low budgets, overdue or long-unfunded milestones, work to review,
  nothing funded, over-committed), written with `store.save_contracts` in chunks of 200; one
  contract in 500 also has a funding invoice pending and one in 500 an approval waiting. Every
  active hourly and per-label budget is partly used (half of them in the last week), with 12
  months of budget snapshots as the mirror keeps them after thinning: one a week for most, and
  for one in 100, and the contract whose page is timed, one a day for 11 months and one an hour
  for the last 30 days; six weeks of money used a day and 12 months funded and paid (issue 28).
  The inbox (`/`) has a 40 ms target, the contract page (with its budget chart) 30 ms, the spend
  page 100 ms, the rest 25 ms; the inbox's items are
  read afresh on every view, and only the HTML of an unchanged item (or list row) is kept, in the
  process's fragment cache, as in production;
  every page's navigation shows its open count. The planner's statistics are gathered after the
  fill (`ANALYZE`), as a live database has them. *Server median*: time from sending the request to
  reading the full response, measured by the client over loopback on the same machine, signed
  in, on one kept-alive `http.client` connection per server (httpx, which signs in, added 1-3 ms
  of its own to each request). Every database and size is filled and served at once, and each
  round asks every page of every one of them in turn, request by request: the host's speed moves
  during a run, and so it moves all their figures alike. *Upstream
  calls*: counted from the server's log; every page must make none. *Queries*: the database
  queries of one request, counted afterwards in a process of its own (Django's test client on the
  same database, the second of two requests).
- **Under load**: at the largest size, 25 PMs at once (a thread each, signed in with a session of
  its own, one kept-alive connection each) ask the list pages, the contract page and the inbox in
  turn with no think time; pages a second, errors and the latency's median and p95.
- **Memory**: RSS of the gunicorn worker and of `sync_worker`, before and after each of three
  rounds of 1,000 more requests (the pages in turn, every 10th a POST to Sync now, so the worker
  runs 100 sync tasks a round, each a read of the updates feed). The web server's 8 threads each
  keep a database connection whose caches fill as they read (SQLite keeps about 2 MiB of pages per
  connection): memory that grows in the first round and stays after is that; a leak grows in
  every round.
- **Reconciliation**: `manage.py opentrain_sync --full` into an empty mirror against the fast
  upstream, beside the same reads made alone from the benchmark (1 list + N detail reads, one
  after another, one pooled httpx client with the dashboard's limits, headers and timeout, JSON
  parsed with exact decimals), interleaved run by run. The sync also reads the feed, pending
  payments and the token probes (four more calls), which the floor leaves out.
- **Webhook delivered → visible**: gunicorn serving the dashboard and its sandbox, and a real
  `sync_worker` process that registered the sandbox's webhook (poll backstop 300 s, so changes
  arrive by webhook). Each change is a milestone created through the sandbox API; the clock starts
  before that write. The benchmark looks every 50 ms at the version stamp
  (`GET /sync/version/?v=N`) and then at the contract page until the milestone's name is on it.
  An open page polls the stamp every 1 s, so a person sees it up to 1 s later than this.
"""


def report(results: dict, args, load: str) -> str:
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    out = [
        "# Benchmarks: the mirror",
        "",
        f"Generated by `make bench` (`scripts/bench.py{' --quick' if args.quick else ''}`) "
        f"on {now}.",
        "",
        f"**Noisy figures.** Machine: {machine()}, shared with several other agents' builds and "
        f"tests while this ran; load average (1 min) before and after: {load}. Client, servers "
        "and databases all share the two cores, so the p95s especially move from run to run.",
        "",
        HOW,
    ]
    baseline = [result for result in results["pages"] if result["code"] != "this code"]
    if baseline:
        out += [f"## This code beside the {baseline[0]['code']}: median ms", ""]
        out += [*comparison_table(results["pages"]), ""]
    for result in results["pages"]:
        heading = f"## Pages from the mirror: {result['n']:,} contracts, {result['kind']}"
        out += [f"{heading}, {result['code']}", "", *pages_table(result), ""]
    for result in results["reconcile"]:
        heading = f"## Full reconciliation: {result['n']:,} contracts, {result['kind']}"
        out += [heading, "", *reconcile_table(result), ""]
    if results.get("webhook"):
        changes = results["webhook"]["changes"]
        out += [f"## Webhook delivered → visible ({changes} changes, SQLite)", ""]
        out += [*webhook_table(results["webhook"]), ""]
    out += ["## Not measured", "", *results["not_measured"], ""]
    return "\n".join(out)
