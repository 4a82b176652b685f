#!/usr/bin/env python
"""Load test: many project managers at once, some double-clicking, some hitting OpenTrain faults.

    python scripts/loadtest.py                 # start servers, 25 PMs for 60 s (`make load`)
    python scripts/loadtest.py --short         # 20 PMs for 10 s (run by `make test`)
    python scripts/loadtest.py --users 40 --seconds 120
    python scripts/loadtest.py --url http://127.0.0.1:8000 --username pm --password ...

By default (`--serve`) it builds a throwaway SQLite database, seeds the sandbox, creates one
editor per simulated PM, and starts two gunicorn servers from gunicorn.conf.py: the sandbox API
(standing in for OpenTrain, on its own port as OpenTrain is on its own host) and the dashboard
pointed at it with OT_API_TIMEOUT=2; then it syncs the mirror once (`opentrain_sync --full`).
With `--url` it drives a dashboard that is already running on the sandbox, signed in as one
existing editor; faults are then not injected.

Each simulated PM signs in and, until time is up, lists contracts (sometimes filtered, sometimes as
an htmx partial), opens contracts, opens the approvals page and creates milestones. Some creations
are double clicks: the same form, with the same one-time submission key, posted twice at once.
When a creation comes back unclear, the PM presses "Submit again" on the form that came back.

Faults: a header on the dashboard request would not reach OpenTrain, so faults are set where the
sandbox reads them, on a demo account (`Account.fault`, see sandbox/faults.py). One PM
in four switches the dashboard to the "nobilling" demo account with the dashboard's own account
switcher; while the test runs, a controller thread rotates that account's fault through latency,
hangs past the timeout, 500/502/503, 429, HTML error pages, bodies that are not JSON, truncated
bodies and dropped connections. The other PMs use the fault-free "owner" account.

Every milestone carries a unique marker in its description. At the end the script reads every
demo account's contracts from the sandbox API and counts markers seen more than once: duplicate
milestones, which must be 0. A sync worker runs beside the servers (`sync_worker`, as the
Procfile's `worker:`), following the updates feed every 2 s: every write OpenTrain carried out
after the dashboard stopped waiting must be settled by it, so no submission whose milestone
exists may still be unclear SETTLE_SECONDS after the run (`unclear_submissions`). It prints
requests served, errors by kind, p50/p95 latency and those counts, and exits 1 on any duplicate,
any write left unclear that OpenTrain carried out, any 500 from the dashboard, or a PM that could
not work.
LOADTEST_KEEP=1 keeps the throwaway database and the servers' logs for a look afterwards.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
from load_pms import FAULTY_ACCOUNT, Stats, drive
from servers import ROOT, Server, ServerError, free_port, manage, sandbox_env

API_PREFIX = "/sandbox/api/public/v1"
PASSWORD = "load-pass-" + secrets.token_hex(6)
API_TIMEOUT = 2.0  # the dashboard's OT_API_TIMEOUT under --serve: hangs resolve quickly
FAULTS = [
    "POST:drop",
    "GET:503,times=2",
    "latency=400",
    "POST:notjson",
    "429=30",
    "POST:500",
    "html",
    "POST:truncated",
    f"hang={int(API_TIMEOUT) + 1}",
    # The write is carried out after the dashboard gave up: only the sync can settle it.
    f"POST:late={int(API_TIMEOUT) + 1}",
    "POST:503",
    "",
]
KEEP = bool(os.environ.get("LOADTEST_KEEP"))
WORKER_POLL_SECONDS = 2
SETTLE_SECONDS = 15  # after the run: two feed polls, and the worker's sync of every account


# --- servers ---------------------------------------------------------------------------------


def base_env(db: Path) -> dict:
    return sandbox_env(
        f"sqlite:///{db}",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_HTTPS="false",
        WEB_CONCURRENCY="2",
        GUNICORN_ACCESS_LOG="",
    )


def prepare(env: dict, names: list[str]) -> dict[str, str]:
    """Migrate, seed, and make an editor per name; username -> a signed-in session key, made
    here because 20 password checks at once would take the test's first seconds."""
    manage(env, "migrate", "--noinput", "--verbosity", "0")
    manage(env, "seed_sandbox", "--verbosity", "0")
    output = manage(env, "make_editors", *names, "--password", PASSWORD, "--sessions")
    return dict(re.findall(r"^session (\S+) (\S+)$", output, re.MULTILINE))


class FaultController:
    """Rotates the faulty demo account's fault, through one long-lived `sandbox_fault --stdin`."""

    def __init__(self, env: dict, every: float):
        self.every = every
        self.applied: list[str] = []
        self._stop = threading.Event()
        self._shell = subprocess.Popen(  # noqa: S603 (our own manage.py, fixed arguments)
            [sys.executable, "manage.py", "sandbox_fault", FAULTY_ACCOUNT, "--stdin"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self._thread = threading.Thread(target=self._run, daemon=True)

    def set(self, spec: str) -> None:
        self._shell.stdin.write(spec + "\n")
        self._shell.stdin.flush()
        self._shell.stdout.readline()

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        for spec in _cycle(FAULTS):
            self.set(spec)
            self.applied.append(spec or "(none)")
            if self._stop.wait(self.every):
                return

    def stop(self) -> None:
        if self._shell.stdin.closed:
            return
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        self.set("")
        self._shell.stdin.close()
        self._shell.wait(timeout=10)


def _cycle(items):
    while True:
        yield from items


def upstream_markers(api_url: str, markers: set[str]) -> Counter:
    """How many milestones on the sandbox carry each of these markers."""
    with httpx.Client(base_url=api_url, timeout=30) as api:
        accounts = api.get("/_sandbox/accounts").json()["accounts"]
        seen: Counter = Counter()
        for account in accounts:
            headers = {"Authorization": f"Bearer {account['token']}"}
            for contract in api.get("/contracts", headers=headers).json()["contracts"]:
                for milestone in contract.get("milestones", []):
                    for marker in re.findall(r"load-[0-9a-f-]{36}", milestone["description"]):
                        if marker in markers:
                            seen[marker] += 1
    return seen


def duplicates(api_url: str, markers: set[str]) -> tuple[int, int]:
    """(milestones found carrying a marker, extra copies beyond one per marker)."""
    seen = upstream_markers(api_url, markers)
    for marker, n in seen.items():
        if n > 1:
            print(f"duplicate: {marker} x{n}")
    return sum(seen.values()), sum(n - 1 for n in seen.values() if n > 1)


def unclear_but_created(env: dict, api_url: str, markers: set[str]) -> tuple[int, list[str]]:
    """(submissions still unclear, those among them whose milestone OpenTrain holds), once the
    worker has had SETTLE_SECONDS to settle them: the second must be empty."""
    deadline = time.monotonic() + SETTLE_SECONDS
    while True:
        lines = manage(env, "unclear_submissions").splitlines()
        unclear = {m: line for line in lines for m in re.findall(r"load-[0-9a-f-]{36}", line)}
        created = upstream_markers(api_url, set(unclear) & markers)
        unsettled = [unclear[marker] for marker in created]
        if not unsettled or time.monotonic() > deadline:
            return len(lines), unsettled
        time.sleep(1)


# --- the run ---------------------------------------------------------------------------------


def percentile(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def report(
    stats: Stats, elapsed: float, users: int, found: int, extra: int, faults, unclear=None
) -> bool:
    served = len(stats.latencies)
    ms = sorted(s * 1000 for s in stats.latencies)
    crashes = sum(n for kind, n in stats.errors.items() if kind == "HTTP 500")
    print(f"simulated PMs        {users}, for {elapsed:.0f} s")
    print(f"requests served      {served} ({served / max(elapsed, 0.001):.1f}/s)")
    print(
        f"latency              p50 {percentile(ms, 50):.0f} ms, p95 {percentile(ms, 95):.0f} ms,"
        f" max {ms[-1] if ms else 0:.0f} ms"
    )
    print("requests by action   " + ", ".join(f"{k} {v}" for k, v in stats.actions.most_common()))
    errors = ", ".join(f"{k}: {v}" for k, v in stats.errors.most_common()) or "none"
    print(f"errors by kind       {errors}")
    problems = ", ".join(f"{k}: {v}" for k, v in stats.problems.most_common()) or "none"
    print(f"problems explained   {problems}")
    print(f"faults injected      {' -> '.join(faults) if faults else 'none (--url)'}")
    print(
        f"milestones           {len(stats.markers)} intended, {found} found on the sandbox,"
        f" {stats.double_clicks} double clicks, {stats.resubmits} resubmits"
    )
    print(f"duplicate milestones {extra}")
    unsettled = []
    if unclear is not None:
        left, unsettled = unclear
        print(
            f"unclear writes       {left} still not known (OpenTrain holds none of them),"
            f" {len(unsettled)} carried out but not settled by the sync"
        )
        for line in unsettled:
            print(f"problem: not settled: {line}")
    for line in stats.stuck:
        print(f"problem: {line}")
    if not stats.markers:  # nothing money-adjacent was tried: the duplicate count proves nothing
        print("problem: no PM reached the milestone form")
    ok = extra == 0 and crashes == 0 and not stats.stuck and served > 0 and bool(stats.markers)
    ok = ok and not unsettled
    print("RESULT: " + ("OK" if ok else "FAILED"))
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=25)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--short", action="store_true", help="20 PMs for 10 s (make test)")
    parser.add_argument("--url", help="a running dashboard on the sandbox (default: start one)")
    parser.add_argument("--username", help="with --url: an editor every simulated PM signs in as")
    parser.add_argument("--password", help="with --url: that editor's password")
    args = parser.parse_args()
    if args.short:
        args.users, args.seconds = 20, 10
    if args.url:
        if not (args.username and args.password):
            parser.error("--url needs --username and --password (an editor)")
        url = args.url.rstrip("/")
        names = [args.username] * args.users
        credentials = {args.username: {"password": args.password}}
        stats, elapsed, users = drive(url, names, credentials, args.seconds, faults=False)
        found, extra = duplicates(url + API_PREFIX, stats.markers)
        return 0 if report(stats, elapsed, users, found, extra, []) else 1
    try:
        return serve_and_drive(args.users, args.seconds)
    except ServerError as error:
        sys.exit(str(error))


def serve_and_drive(users: int, seconds: float) -> int:
    with tempfile.TemporaryDirectory(prefix="loadtest-", delete=not KEEP) as tmp:
        env = base_env(Path(tmp) / "load.sqlite3")
        names = [f"pm{i:02d}" for i in range(users)]
        started = time.monotonic()
        sessions = prepare(env, names)

        api_port, web_port = free_port(), free_port()
        api_env = env | {"PORT": str(api_port), "GUNICORN_THREADS": "16"}
        web_env = env | {
            "PORT": str(web_port),
            "GUNICORN_THREADS": str(max(16, users)),
            "OT_API_BASE_URL": f"http://127.0.0.1:{api_port}{API_PREFIX}",
            "OT_API_TIMEOUT": str(API_TIMEOUT),
        }
        api = Server(api_env, Path(tmp) / "api.log", "sandbox API")
        web = Server(web_env, Path(tmp) / "web.log", "dashboard")
        api.wait_until_up()
        web.wait_until_up()
        # Pages read the mirror: fill it once from the sandbox (the worker's job in production),
        # or the list would show no contract and no PM would ever reach the milestone form.
        manage(web_env, "opentrain_sync", "--full", "--verbosity", "0")
        worker = subprocess.Popen(
            [sys.executable, "manage.py", "sync_worker"],
            cwd=ROOT,
            env=web_env | {"OT_SYNC_POLL_SECONDS": str(WORKER_POLL_SECONDS)},
            stdout=subprocess.DEVNULL,
            stderr=(Path(tmp) / "worker.log").open("w"),
        )
        controller = FaultController(env, every=max(1.0, seconds / (2 * len(FAULTS))))
        try:
            print(f"dashboard {web.url}, sandbox API {api.url}{API_PREFIX}")
            print(f"set up in {time.monotonic() - started:.0f} s")
            controller.start()
            stats, elapsed, ready = drive(web.url, names, sessions, seconds, faults=True)
            controller.stop()
            # Let requests still hung in the sandbox finish before counting.
            time.sleep(API_TIMEOUT + 1.5)
            found, extra = duplicates(api.url + API_PREFIX, stats.markers)
            unclear = unclear_but_created(web_env, api.url + API_PREFIX, stats.markers)
            ok = report(stats, elapsed, ready, found, extra, controller.applied, unclear)
            if not ok:
                print("--- dashboard log (tail) ---")
                print("\n".join(web.log.read_text(errors="replace").splitlines()[-40:]))
            return 0 if ok else 1
        finally:
            controller.stop()
            worker.terminate()
            worker.wait(timeout=30)
            web.stop()
            api.stop()


if __name__ == "__main__":
    sys.exit(main())
