#!/usr/bin/env python
"""Measure the mirror: `make bench` (writes docs/benchmarks.md; see it for how).

python scripts/bench.py                  # pages at 500, 5,000, 50,000; reconcile 5,000
python scripts/bench.py --quick          # pages at 500, reconcile 200 (SQLite), 10 changes
python scripts/bench.py --pg URL         # PostgreSQL too (default: MULTIHOST_DATABASE_URL)
python scripts/bench.py --no-batch       # without the batch benchmark (bench_batch.py, its own doc)
python scripts/bench.py --only notify    # notifications alone (bench_notify.py, its own doc)
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_pages import bench_pages
from bench_report import LOAD_PMS, fmt_ms, median, p95, report
from bench_sync import bench_reconcile, bench_webhook, capture_sandbox
from fast_upstream import FastUpstream
from servers import ROOT, ServerError, free_port

NOT_MEASURED = [
    "- Pages under load below the largest size (`make load` adds writes and faults).",
    "- The live page's own poll (htmx every 1 s): the benchmark polls the stamp itself.",
    "- Webhook → visible on PostgreSQL, and with several web or worker processes.",
    "- A real OpenTrain: its latency and rate limits (the fast upstream answers at once).",
    "- Reconciliation of an already-full mirror (only changed contracts are read again).",
    "- The sandbox's own speed: it only provides the captured bytes and the deliveries.",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes only (~2 min)")
    parser.add_argument("--sizes", default="", help="page sizes, comma-separated")
    parser.add_argument("--reconcile", type=int, default=0, help="contracts to reconcile")
    parser.add_argument("--changes", type=int, default=0, help="webhook changes to time")
    parser.add_argument("--runs", type=int, default=0, help="reconciliation runs (default 2)")
    parser.add_argument(
        "--only",
        default="pages,reconcile,webhook,batch,notify",
        help="parts to run, comma-separated: pages, reconcile, webhook, batch, notify",
    )
    parser.add_argument("--capture", default="", help="reuse a capture file (fast_upstream.py)")
    parser.add_argument("--pg", default=os.environ.get("MULTIHOST_DATABASE_URL", ""))
    parser.add_argument("--output", default=str(ROOT / "docs" / "benchmarks.md"))
    parser.add_argument("--no-batch", action="store_true", help="leave out bench_batch.py")
    parser.add_argument(
        "--baseline",
        default="",
        help="another checkout (git worktree add DIR COMMIT) whose pages are served beside these",
    )
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s] or (
        [500] if args.quick else [500, 5000, 50000]
    )
    reconcile_n = args.reconcile or (200 if args.quick else 5000)
    changes = args.changes or (10 if args.quick else 50)
    kinds = ["sqlite"] + (["postgresql"] if args.pg else [])
    parts = set(args.only.split(","))
    not_measured = list(NOT_MEASURED)
    if not args.pg:
        not_measured.insert(0, "- PostgreSQL: no --pg URL (or MULTIHOST_DATABASE_URL) given.")
    if not parts & {"pages", "reconcile", "webhook"}:
        # Only the parts with docs of their own: no capture, and docs/benchmarks.md stays.
        _own_docs(parts, args)
        return
    load_before = os.getloadavg()[0]
    tmp = Path(tempfile.mkdtemp(prefix="bench-"))
    results = {"pages": [], "reconcile": [], "not_measured": not_measured}
    try:
        if args.capture:
            capture = Path(args.capture)
        else:
            print(f"Capturing {reconcile_n} contracts from the sandbox ...", flush=True)
            capture = capture_sandbox(reconcile_n, tmp)
        upstream = FastUpstream(capture, free_port())
        try:
            if "pages" in parts:
                codes = [("this code", ROOT)]
                if args.baseline:
                    commit = subprocess.run(  # noqa: S603
                        ["git", "-C", args.baseline, "rev-parse", "--short", "HEAD"],  # noqa: S607
                        capture_output=True,
                        text=True,
                        check=True,
                    ).stdout.strip()
                    codes.append((f"baseline {commit}", Path(args.baseline).resolve()))
                configs = [(kind, n, *code) for kind in kinds for n in sizes for code in codes]
                rounds = 10 if args.quick else 30
                pages = bench_pages(
                    configs, tmp, capture, upstream.url, args.pg, rounds, 5 if args.quick else 20
                )
                results["pages"] = pages
                for result in pages:
                    print(
                        f"Pages, {result['kind']}, {result['n']:,} contracts, {result['code']}:",
                        flush=True,
                    )
                    for row in result["rows"]:
                        print(
                            f"  {row.label}: median {fmt_ms(median(row.times))} ms, "
                            f"p95 {fmt_ms(p95(row.times))} ms",
                            flush=True,
                        )
                    if result["load"]:
                        load = result["load"]
                        print(
                            f"  {LOAD_PMS} PMs at once: {load['per_s']:.1f} pages/s, "
                            f"{load['errors']} errors, p95 {fmt_ms(p95(load['times']))} ms",
                            flush=True,
                        )
                        if spend := load.get("with_spend"):
                            per_s = spend["per_s"]
                            print(f"  with the spend pages: {per_s:.1f} pages/s", flush=True)
            # --quick: SQLite only, to stay near two minutes.
            for kind in (kinds[:1] if args.quick else kinds) if "reconcile" in parts else []:
                print(f"Reconciliation, {kind}, {reconcile_n:,} contracts ...", flush=True)
                runs = args.runs or 2
                results["reconcile"].append(
                    bench_reconcile(kind, reconcile_n, tmp, upstream.url, args.pg, runs)
                )
        finally:
            upstream.stop()
        if "webhook" in parts:
            print(f"Webhook delivered -> visible, {changes} changes ...", flush=True)
            results["webhook"] = bench_webhook(tmp, changes)
            hook = results["webhook"]
            print(
                f"  page shows it: median {median(hook['shown']):.2f} s, "
                f"p95 {p95(hook['shown']):.2f} s",
                flush=True,
            )
    except ServerError as error:
        sys.exit(str(error))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    text = report(results, args, f"{load_before:.1f} and {os.getloadavg()[0]:.1f}")
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(text + "\n")
    print(f"\nWrote {os.path.relpath(args.output)}")
    _own_docs(parts, args)


def _own_docs(parts: set[str], args) -> None:
    """The parts that write docs of their own, each in a process of its own."""
    if "batch" in parts and not args.no_batch:
        _bench_batches(args.quick)
    if "notify" in parts:
        _bench_notify(args.quick, args.pg)


def _bench_batches(quick: bool) -> None:
    """Batches of milestones: a process of its own (it sets up Django in-process), which writes
    docs/benchmarks-batch.md."""
    print("\nBatches (scripts/bench_batch.py) ...", flush=True)
    extra = ["--rows", "100", "--rounds", "1"] if quick else []
    script = str(ROOT / "scripts" / "bench_batch.py")
    subprocess.run([sys.executable, script, *extra], cwd=ROOT, check=True)  # noqa: S603


def _bench_notify(quick: bool, pg: str) -> None:
    """Notifications: end-to-end latency, the digest and the scan on a large mirror; a process of
    its own, which writes docs/benchmarks-notify.md."""
    print("\nNotifications (scripts/bench_notify.py) ...", flush=True)
    extra = ["--quick"] if quick else []
    script = str(ROOT / "scripts" / "bench_notify.py")
    subprocess.run([sys.executable, script, *extra, "--pg", pg], cwd=ROOT, check=True)  # noqa: S603


if __name__ == "__main__":
    main()
