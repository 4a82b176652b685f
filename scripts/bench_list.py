#!/usr/bin/env python
"""The contracts list alone, timed: what each filter, sort, search and page change asks for (the
results fragment htmx swaps in), at N contracts on SQLite and PostgreSQL.

    python scripts/bench_list.py --sizes 5000,50000 [--pg URL] [--rounds 30] [--capture FILE]

`make bench` (scripts/bench.py) times whole pages, whose navigation also counts the inbox's open
items; this leaves that count out, so the list's own cost shows. The set-up is the page
benchmark's (scripts/bench_pages.py): the mirror filled by bench_fill.py from contracts captured
from the sandbox, gunicorn as in production, a signed-in client over loopback.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench_pages import (
    PAGES,
    PASSWORD,
    USERNAME,
    drop_schema,
    filled_mirror,
)
from bench_report import fmt_ms, median, p95
from bench_sync import capture_sandbox
from pm_client import sign_in
from servers import Server

LIST_PAGES = [(label, path) for label, path in PAGES if label.startswith("List")]


def bench_list(kind: str, n: int, tmp: Path, capture: Path, pg_url: str, rounds: int) -> list:
    env, schema, _ = filled_mirror(
        "bench_list", kind, n, tmp, capture, "http://127.0.0.1:9/", pg_url
    )
    server = Server.start(env, tmp / f"web-{kind}-{n}.log")
    try:
        web = sign_in(server.url, USERNAME, PASSWORD, timeout=120)
        times = {label: [] for label, _ in LIST_PAGES}
        for round_ in range(rounds + 3):  # three warm-up rounds
            for label, path in LIST_PAGES:
                started = time.perf_counter()
                response = web.get(path, headers={"HX-Request": "true"})
                elapsed = (time.perf_counter() - started) * 1000
                if response.status_code != 200 or 'id="results"' not in response.text:
                    sys.exit(f"{label}: {response.status_code}\n{response.text[:2000]}")
                if round_ >= 3:
                    times[label].append(elapsed)
    finally:
        server.stop()
        drop_schema(kind, schema, pg_url)
    return [(label, path, times[label]) for label, path in LIST_PAGES]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="5000,50000")
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--pg", default=os.environ.get("MULTIHOST_DATABASE_URL", ""))
    parser.add_argument("--capture", default="", help="a capture made by fast_upstream.py")
    parser.add_argument("--kinds", default="sqlite,postgresql", help="databases to time")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-list-"))
    try:
        capture = Path(args.capture) if args.capture else capture_sandbox(100, tmp)
        kinds = [k for k in args.kinds.split(",") if k == "sqlite" or args.pg]
        for kind in kinds:
            for n in [int(s) for s in args.sizes.split(",") if s]:
                print(f"\nList results, {kind}, {n:,} contracts", flush=True)
                print("| Request | Median ms | p95 ms | Median ≤ 15 ms |\n|---|---:|---:|---|")
                for label, path, times in bench_list(kind, n, tmp, capture, args.pg, args.rounds):
                    ok = "yes" if median(times) <= 15 else "**no**"
                    row = f"| {label} (`{path}`) | {fmt_ms(median(times))} | {fmt_ms(p95(times))}"
                    print(f"{row} | {ok} |", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
