#!/usr/bin/env python
"""Notifications, timed: `make bench` (or scripts/bench_notify.py) writes docs/benchmarks-notify.md.

- Latency: the sandbox and the dashboard served by gunicorn, the worker (`sync_worker`) in a
  process of its own, a real SMTP server (aiosmtpd) on this machine, three people with an e-mail
  address and the default choices. An editor logs work on a per-label contract in the sandbox
  (`POST /sandbox/contracts/<id>/usage/`, "Log usage"), which depletes its budget; each event is
  timed from that POST to each person's e-mail reaching the SMTP server. Once with the sandbox's
  webhook registered (as `make run` has it), once with the updates feed alone (the worker's
  OT_SYNC_POLL_SECONDS backstop, 30 s). Target: within 60 s, p95; no duplicate.
- The digest: a PM's daily digest (`emails.message` of a digest notice) on a mirror of 50,000
  contracts with about 1,000 open "Needs you" items (filled by `bench_fill.py` as the page
  benchmark fills one, its mix of problems thinned out), on SQLite and, given `--pg URL`,
  PostgreSQL. Target: built in 2 s or less, under 200 KB.
- The scan: one `watch.scan()` on that mirror, which the worker runs on every tick.

It prints the figures; it asserts nothing. The digest and the scan run in a process of their own
per database (this script again, with `--in-mirror`), set up as the dashboard on the filled mirror.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import httpx
from bench_pages import database_url, drop_schema, production_env
from bench_report import p95
from bench_sync import capture_sandbox
from pm_client import form_inputs, sign_in
from servers import ROOT, Server, ServerError, free_port, manage, sandbox_env

HISTORY = "## Earlier runs"
LATENCY_TARGET_S = 60
DIGEST_TARGET_S = 2.0
DIGEST_TARGET_BYTES = 200 * 1024
# bench_fill.py's mix gives 1,794 open items at 50,000 contracts from this capture (its seeded
# contracts, cloned every 1,011, bring some of their own); the PM has about 1,000, so each
# problem's period is stretched by this much (the same problems, fewer of them).
MIX_STRETCH = 2.8
EDITOR, PASSWORD = "bench-notify", "bench-pass-not-secret"
PEOPLE = ("ann@example.com", "ben@example.com", "cho@example.com")
PM_EMAIL = "pm@example.com"
FIRST_MAIL = "Budget depleted: Spanish Sentiment Labels (per label)"  # seeded depleted
DIGEST_ROUNDS = 5
SCAN_ROUNDS = 5
# With the feed alone, the events are spread over more than the worker's 30 s poll.
FEED_SPREAD_S = 41


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=20, help="budgets depleted, webhook on")
    parser.add_argument("--feed-events", type=int, default=10, help="the same, feed alone")
    parser.add_argument(
        "--contracts", type=int, default=50000, help="the digest's mirror (0: none)"
    )
    parser.add_argument("--capture", type=int, default=1000, help="sandbox contracts captured")
    parser.add_argument("--quick", action="store_true", help="5 events, 5,000 contracts")
    parser.add_argument("--pg", default=os.environ.get("MULTIHOST_DATABASE_URL", ""))
    parser.add_argument("--output", default=str(ROOT / "docs" / "benchmarks-notify.md"))
    parser.add_argument("--in-mirror", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--fill", nargs=2, metavar=("CAPTURE", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.in_mirror:
        print(json.dumps(_in_mirror()))
        return
    if args.fill:
        _fill(*args.fill)
        return
    if args.quick:
        args.events, args.feed_events, args.contracts = 5, 0, 5000
    load_before = os.getloadavg()[0]
    tmp = Path(tempfile.mkdtemp(prefix="bench-notify-"))
    figures = {"latency": [], "mirrors": [], "code": _code()}
    try:
        if args.events:
            print(f"Latency, webhook on: {args.events} budgets depleted ...", flush=True)
            figures["latency"].append(_latency(tmp, args.events, webhook=True))
        if args.feed_events:
            print(f"Latency, feed alone: {args.feed_events} budgets depleted ...", flush=True)
            figures["latency"].append(_latency(tmp, args.feed_events, webhook=False))
        kinds = ["sqlite"] + (["postgresql"] if args.pg else []) if args.contracts else []
        if kinds:
            print(f"Capturing {args.capture:,} contracts from the sandbox ...", flush=True)
            capture = capture_sandbox(args.capture, tmp)
        for kind in kinds:
            print(f"Digest and scan, {kind}, {args.contracts:,} contracts ...", flush=True)
            figures["mirrors"].append(_on_mirror(kind, args.contracts, tmp, capture, args.pg))
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


# --- latency: work logged in the sandbox -> e-mail at the SMTP server ---------------------------


class Arrivals:
    """A real SMTP server's handler: when each (recipient, subject) arrived, and how often."""

    def __init__(self):
        self.lock = threading.Lock()
        self.first: dict[tuple[str, str], float] = {}
        self.count: Counter = Counter()

    async def handle_DATA(self, server, session, envelope):
        arrived = time.monotonic()
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        subject = str(message["Subject"])
        with self.lock:
            for address in envelope.rcpt_tos:
                self.first.setdefault((address, subject), arrived)
                self.count[(address, subject)] += 1
        return "250 OK"

    def arrived(self, address: str, subject: str) -> float | None:
        with self.lock:
            return self.first.get((address, subject))


def _latency(tmp: Path, events: int, webhook: bool) -> dict:
    from aiosmtpd.controller import Controller

    name = "webhook" if webhook else "feed"
    arrivals = Arrivals()
    smtp = Controller(arrivals, hostname="127.0.0.1", port=free_port())
    smtp.start()
    port = free_port()
    env = sandbox_env(
        f"sqlite:///{tmp / f'{name}.sqlite3'}",
        PORT=str(port),
        EMAIL_URL=f"smtp://127.0.0.1:{smtp.port}",
        SITE_URL=f"http://127.0.0.1:{port}",
        GUNICORN_ACCESS_LOG="",
        LOG_LEVEL="WARNING",
    )
    # Per-label bulk contracts (every third): one "Log usage" (2,000 labels) uses all 200 funded.
    manage(env, "migrate", "--noinput")
    manage(env, "seed_sandbox", "--contracts", str(3 * events))
    manage(env, "make_editors", EDITOR, "--password", PASSWORD)
    people = ", ".join(repr(address) for address in PEOPLE)
    listed = manage(
        env,
        "shell",
        "-c",
        "from django.contrib.auth.models import User\n"
        "from sandbox.models import Contract\n"
        f"for address in [{people}]:\n"
        "    User.objects.create_user(address.split('@')[0], email=address)\n"
        "rows = Contract.objects.filter(title__startswith='Bulk', payment_type='PAY_PER_LABEL')\n"
        "for row in rows.order_by('created_at'):\n"
        "    print(row.id, row.title, sep='\\t')\n",
    )
    contracts = [line.split("\t") for line in listed.splitlines() if "\t" in line][:events]
    server = Server.start(env, tmp / f"{name}-web.log")
    command = [sys.executable, "manage.py", "sync_worker"]
    if webhook:
        command += ["--register-webhook", f"{server.url}/webhooks/opentrain/"]
    with (tmp / f"{name}-worker.log").open("wb") as log:
        worker = subprocess.Popen(  # noqa: S603 (our own manage.py)
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        # The first sync sends what the seeded sandbox already has urgent; then it is quiet.
        if not _wait(lambda: all(arrivals.arrived(a, FIRST_MAIL) for a in PEOPLE), 120):
            raise ServerError(f"no first e-mail within 120 s:\n{_tail(tmp / f'{name}-worker.log')}")
        time.sleep(3)
        pm = sign_in(server.url, EDITOR, PASSWORD, timeout=60)
        started = {}
        for contract_id, title in contracts:
            subject = f"Budget depleted: {title}"
            started[subject] = _log_work(pm, contract_id)
            if webhook:  # one at a time: each event's own latency
                _wait(lambda s=subject: all(arrivals.arrived(a, s) for a in PEOPLE), 120)
                time.sleep(0.5)
            else:  # spread over more than one poll, so each meets the poll at another moment
                time.sleep(FEED_SPREAD_S / events)
        _wait(lambda: all(arrivals.arrived(a, s) for a in PEOPLE for s in started), 120)
        # More work on the same contracts, and a poll's syncs and ticks: nothing more must come.
        for contract_id, _ in contracts:
            _log_work(pm, contract_id)
        time.sleep(35)
    finally:
        worker.terminate()
        worker.wait(timeout=20)
        server.stop()
        smtp.stop()
    times, missing = [], 0
    for subject, at in started.items():
        for address in PEOPLE:
            arrived = arrivals.arrived(address, subject)
            if arrived is None:
                missing += 1
            else:
                times.append(arrived - at)
    duplicates = sum(n - 1 for n in arrivals.count.values() if n > 1)
    result = {
        "webhook": webhook,
        "events": len(started),
        "people": len(PEOPLE),
        "times": times,
        "missing": missing,
        "duplicates": duplicates,
    }
    print(f"  {_latency_line(result)}", flush=True)
    return result


def _log_work(pm: httpx.Client, contract_id: str) -> float:
    """ "Log usage" on the contract's sandbox page, as the AI trainer's work: when it was posted."""
    page = f"/sandbox/contracts/{contract_id}/usage/"
    token = form_inputs(pm.get(page).text)["csrfmiddlewaretoken"]
    posted = time.monotonic()
    response = pm.post(page, data={"csrfmiddlewaretoken": token})
    if response.status_code not in (200, 302):
        raise ServerError(f"Log usage answered {response.status_code}")
    return posted


def _wait(check, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False


def _tail(log: Path) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-30:])


def _latency_line(r: dict) -> str:
    times = r["times"] or [float("nan")]
    return (
        f"{r['events']} events x {r['people']} people: median {statistics.median(times):.2f} s, "
        f"p95 {p95(times):.2f} s, max {max(times):.2f} s; missing {r['missing']}, "
        f"duplicates {r['duplicates']}"
    )


# --- the digest and the scan on a large mirror --------------------------------------------------


def _on_mirror(kind: str, n: int, tmp: Path, capture: Path, pg_url: str) -> dict:
    """A database of its own filled as the page benchmark fills one (`bench_fill.py`), with
    the mix stretched; then the measurement in a process set up on it."""
    schema = f"bench_notify_{n}_{os.getpid()}"
    # No upstream is called: the mirror is filled from the capture, the rest only reads it.
    env = production_env(database_url(kind, tmp, schema, pg_url), "http://127.0.0.1:9", 9)
    env.update(
        # E-mail on (nothing is sent here: the messages are built, not sent).
        EMAIL_URL="smtp://127.0.0.1:9",
        SITE_URL="https://dashboard.example.com",
        LOG_LEVEL="WARNING",
    )
    try:
        manage(env, "migrate", "--noinput")
        started = time.perf_counter()
        _run_self(env, "--fill", str(capture), str(n))
        fill_s = time.perf_counter() - started
        figures = json.loads(_run_self(env, "--in-mirror").strip().splitlines()[-1])
    finally:
        drop_schema(kind, schema, pg_url)
    figures.update(kind=kind, n=n, fill_s=fill_s)
    print(
        f"  {figures['open_items']:,} open items; digest median "
        f"{statistics.median(figures['digest_s']) * 1000:.0f} ms (first "
        f"{figures['digest_first_s'] * 1000:.0f} ms), {figures['digest_bytes'] / 1024:.1f} KB; "
        f"scan first {figures['scan_first_s'] * 1000:.0f} ms, then median "
        f"{statistics.median(figures['scan_s']) * 1000:.0f} ms",
        flush=True,
    )
    return figures


def _run_self(env: dict, *args: str) -> str:
    """This script again, in a process set up as the dashboard with `env`: its output."""
    result = subprocess.run(  # noqa: S603 (this script)
        [sys.executable, __file__, *args],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "dashboard.settings"},
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        raise ServerError(f"bench_notify.py {args[0]} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def _fill(capture: str, n: str) -> None:
    """bench_fill.py's fill (it sets Django up as it is imported), its mix stretched."""
    import bench_fill

    for problem, (period, positions) in bench_fill.MIX.items():
        bench_fill.MIX[problem] = (round(period * MIX_STRETCH), positions)
    sys.argv = ["bench_fill.py", capture, n]
    bench_fill.main()


def _in_mirror() -> dict:
    """In this process, set up as the dashboard on the filled mirror: the open items, the scan's
    first run and SCAN_ROUNDS more, and the digest built DIGEST_ROUNDS times after a first
    (cold) build."""
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    import logging

    from django.contrib.auth.models import User
    from django.utils import timezone

    from dashboard import inbox
    from dashboard.mirror import accounts
    from dashboard.notify import emails, watch
    from dashboard.notify.models import Alert, Notice

    logging.disable(logging.INFO)
    account = accounts.followed().get()
    pm = User.objects.create_user("digest-pm", email=PM_EMAIL)
    found = inbox.collect(account, set(), limit=0)
    groups = {kind: f.total for kind, f in found.items() if f.total}
    setup = len(inbox.setup_items(account))
    # The first scan of the day: it opens the alerts and, past the PM's digest hour, queues the
    # digest; the later ones are what every worker tick costs.
    started = time.perf_counter()
    opened = watch.scan()
    scan_first_s = time.perf_counter() - started
    later_opened, scan_s = 0, []
    for _ in range(SCAN_ROUNDS):
        started = time.perf_counter()
        later_opened += watch.scan()["opened"]
        scan_s.append(time.perf_counter() - started)
    notice = Notice.objects.filter(kind=Notice.Kind.DIGEST, user=pm).first()
    if notice is None:  # before the digest hour: the notice the scan would queue, made here
        notice = Notice.objects.create(
            kind=Notice.Kind.DIGEST,
            user=pm,
            account=account,
            address=pm.email,
            digest_day=timezone.localdate(),
            subject="digest",
        )

    def build() -> tuple[float, bytes]:
        started = time.perf_counter()
        message = emails.message(notice)
        took = time.perf_counter() - started
        if message is None:
            raise SystemExit("emails.message gave no digest")
        return took, message.message().as_bytes()

    first_s, _ = build()
    digest_s, body = [], b""
    for _ in range(DIGEST_ROUNDS):
        took, body = build()
        digest_s.append(took)
    parsed = email.message_from_bytes(body, policy=email.policy.default)
    html = parsed.get_body(("html",))
    text = parsed.get_body(("plain",))
    return {
        "open_items": sum(groups.values()) + setup,
        "groups": groups,
        "setup_items": setup,
        "digest_first_s": first_s,
        "digest_s": digest_s,
        "digest_bytes": len(body),
        "html_bytes": len(html.get_content().encode()) if html else 0,
        "text_bytes": len(text.get_content().encode()) if text else 0,
        "subject": str(parsed["Subject"]),
        "scan_first": opened,
        "scan_first_s": scan_first_s,
        "scan_s": scan_s,
        "scan_later_opened": later_opened,
        "alerts_open": Alert.objects.filter(closed_at=None).count(),
    }


# --- the report ---------------------------------------------------------------------------------


def _code() -> str:
    """The commit measured, and whether the notifications' files had changes not committed."""

    def git(*words: str) -> str:
        command = ["git", "-C", str(ROOT), *words]
        run = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
        return run.stdout.strip()

    head = git("rev-parse", "--short", "HEAD")
    changed = git("status", "--porcelain", "--", "dashboard/notify", "templates/notify")
    return (
        f"{head}, with changes not yet committed under dashboard/notify/ or templates/notify/"
        if changed
        else head
    )


def _digests_queued(n: int) -> str:
    if n:
        return f"{n} digest (the PM's digest hour had passed; that digest is the one built)"
    return "no digest (before the PM's digest hour: the digest built is the one it would queue)"


def _command(args) -> str:
    words = ["python scripts/bench_notify.py"]
    if args.quick:
        words.append("--quick")
    if args.pg:
        words.append("--pg URL")
    return " ".join(words)


def _report(f: dict, args) -> str:
    lines = [
        "# Notifications benchmark",
        "",
        f"Generated by `make bench` (`scripts/bench_notify.py`) on "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M UTC}: `{_command(args)}` (also "
        "`python scripts/bench.py --only notify`; `--quick` for 5 events and 5,000 contracts).",
        "",
        f"Code: {f['code']}. It prints the figures and asserts nothing; the tests time nothing.",
        "",
        f"**Noisy figures.** {os.cpu_count()} cores shared with other agents' builds and tests "
        f"while this ran; load average (1 min) before and after: {f['load']}. The web server, the "
        "worker, the sandbox, the SMTP server and the client share those cores.",
        "",
        "## Budget depleted → e-mail, end to end",
        "",
        "gunicorn serves the dashboard and its sandbox; the worker (`manage.py sync_worker`) runs "
        f"in a process of its own; an aiosmtpd server on this machine receives the mail. "
        f"{len(PEOPLE)} people have an e-mail address and the default choices (every urgent kind "
        'and the digest). For each event an editor clicks "Log usage" on a per-label contract '
        "in the sandbox (`POST /sandbox/contracts/<id>/usage/`), which uses its whole funded "
        "volume: a budget depleted. The time is from that POST to the e-mail reaching the SMTP "
        "server, for each person. Duplicates are counted over the whole run, after the last "
        "e-mail and further syncs and ticks.",
        "",
        "| Path | Events x people | Median (s) | p95 (s) | Max (s) | Missing | Duplicates "
        f"| p95 ≤ {LATENCY_TARGET_S} s, no duplicate |",
        "|---|---|---:|---:|---:|---:|---:|---|",
    ]
    for r in f["latency"]:
        path = (
            "Webhook (as `make run`: the sandbox's signed webhook, poll backstop 30 s)"
            if r["webhook"]
            else "Updates feed alone (no webhook; the worker's poll every 30 s)"
        )
        times = r["times"] or [float("nan")]
        met = p95(times) <= LATENCY_TARGET_S and not r["duplicates"] and not r["missing"]
        lines.append(
            f"| {path} | {r['events']} x {r['people']} | {statistics.median(times):.2f} "
            f"| {p95(times):.2f} | {max(times):.2f} | {r['missing']} | {r['duplicates']} "
            f"| {'met' if met else '**missed**'} |"
        )
    lines += [
        "",
        "With the webhook, events go one at a time (the next once every person has the last). "
        "With the feed alone they are spread over more than one poll, so each meets the worker's "
        "30 s poll at another moment: the time is mostly the wait for the next poll.",
        "",
    ]
    for m in f["mirrors"]:
        groups = ", ".join(f"{kind} {count:,}" for kind, count in m["groups"].items())
        digest = statistics.median(m["digest_s"])
        digest_met = digest <= DIGEST_TARGET_S and m["digest_bytes"] < DIGEST_TARGET_BYTES
        lines += [
            f"## The digest and the scan, {m['kind']}, {m['n']:,} contracts",
            "",
            f"The mirror filled by `bench_fill.py` as the page benchmark fills it (from a "
            f"capture of {args.capture:,} sandbox contracts), with each problem's period "
            f"stretched {MIX_STRETCH}x, in {m['fill_s']:.0f} s: **{m['open_items']:,} open "
            f'"Needs you" items** ({groups}; setup {m["setup_items"]}), counted with '
            "`inbox.collect(account, set(), limit=0)`. A PM with an e-mail address and nothing "
            "snoozed.",
            "",
            "| What | Median | First | Target | Met |",
            "|---|---:|---:|---|---|",
            f"| The digest e-mail built (`emails.message` of a digest notice), "
            f"{DIGEST_ROUNDS} runs | {digest * 1000:.0f} ms | {m['digest_first_s'] * 1000:.0f} ms "
            f"| ≤ {DIGEST_TARGET_S:.0f} s | {'met' if digest <= DIGEST_TARGET_S else '**no**'} |",
            f"| Its size (`message().as_bytes()`) | {m['digest_bytes'] / 1024:.1f} KB | | "
            f"< {DIGEST_TARGET_BYTES // 1024} KB "
            f"| {'met' if m['digest_bytes'] < DIGEST_TARGET_BYTES else '**no**'} |",
            f"| `watch.scan()`: median of {SCAN_ROUNDS} ticks with nothing new; first: the one "
            "opening the alerts "
            f"| {statistics.median(m['scan_s']) * 1000:.0f} ms | {m['scan_first_s'] * 1000:.0f} ms "
            "| (none; a regression shows) | |",
            "",
            f"Digest target {'met' if digest_met else '**missed**'}. Its subject: "
            f"“{m['subject']}”; HTML part {m['html_bytes'] / 1024:.1f} KB, plain text "
            f"{m['text_bytes'] / 1024:.1f} KB. The digest's first build in the process also "
            "compiles its templates. The first scan is the process's first work on the mirror: "
            f"it opened {m['scan_first']['opened']:,} alerts (one transaction each; "
            f"{m['alerts_open']:,} open after), queued {m['scan_first']['notices']:,} notices "
            f"and {_digests_queued(m['scan_first']['digests'])}. "
            f"The {SCAN_ROUNDS} later scans, each a worker tick's with nothing new, opened "
            f"{m['scan_later_opened']}.",
            "",
        ]
    not_measured = [
        "- Team channels: the chat webhook's message (tests/notify/test_worker_notifies.py "
        "checks it arrives once).",
        "- Several web or worker processes, and PostgreSQL for the end-to-end latency.",
        "- A real mail relay: aiosmtpd on this machine answers at once.",
    ]
    if not args.pg:
        not_measured.append("- PostgreSQL for the digest and the scan: no --pg URL given.")
    return "\n".join([*lines, "## Not measured", "", *not_measured, ""])


if __name__ == "__main__":
    main()
