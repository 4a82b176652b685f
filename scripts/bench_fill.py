#!/usr/bin/env python
"""Fill the mirror with N contracts for the page benchmark, quickly and without HTTP.

The contracts are the sandbox's own answers (a capture made by fast_upstream.py), the first N of
them, and past those, clones with new contract and milestone ids and creation times. Each is given
a realistic mix of what the inbox looks for (`realistic()`: a few depleted and low budgets, overdue
and long-unfunded milestones, work to review, contracts with nothing funded or over-committed; the
rest healthy), then written through the mirror's store in chunks (`store.save_contracts`, as the
sync writes them). One contract in 500 also has a milestone's funding invoice pending
(`store.save_pending_payments`, as the sync stores `GET /payments/pending`) and one in 500 a
funding approval waiting for a person (as the dashboard records the approval OpenTrain answers).
The account is then marked as fully synced, as `opentrain_sync --full` would leave it.

Issue 28's money over time comes next (`history()`): every active hourly and per-label contract
has used some of its budget, half of them in the last week; each such contract gets 12 months of
budget snapshots as the mirror keeps them after thinning (`BudgetSnapshot.objects.thin`), with its
consumption rising to today's: one a week for most, and for one in FULL_EVERY, and the contract
the benchmark's first "Contract page" row opens (printed as "chart contract: ID"), the whole thinned
history: one a day for 11 months, then one an hour for the last 30 days. The account's days get
six weeks of money used (`SpendDay`, the burn) and its last 12 months some money funded and paid
in each payment model (`SpendMonth`), so every bar of the spend page's chart is drawn.

    DATABASE_URL=... OT_API_TOKEN=... OT_API_BASE_URL=... python scripts/bench_fill.py CAPTURE N
"""

from __future__ import annotations

import json
import math
import os
import re
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.tasks import TaskResultStatus  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_tasks_db.models import DBTaskResult  # noqa: E402

from dashboard import opentrain, services  # noqa: E402
from dashboard.mirror import store, sync, tasks  # noqa: E402
from dashboard.mirror.models import (  # noqa: E402
    BudgetSnapshot,
    Contract,
    SpendDay,
    SpendMonth,
)
from dashboard.models import Approval  # noqa: E402
from dashboard.opentrain.transport import parse_json  # noqa: E402
from dashboard.opentrain.vocabulary import UNITS  # noqa: E402

IDS = re.compile(r'"((?:ctr|ms)_[A-Za-z0-9_]+)"')
CREATED = re.compile(r'"createdAt": "([^"]+)"')
START = datetime(2024, 1, 1, tzinfo=UTC)
NOW = datetime.now(UTC)
# One contract in every `period` gets the problem (at a position of its own within the period).
MIX = {
    "depleted": (500, 0),
    "low": (500, (1, 2, 3)),
    "overdue": (250, 4),
    "unfunded": (200, 5),
    "nothing_funded": (300, 6),
    "over_committed": (500, 7),
    "review": (400, 8),
    "payment": (500, 9),
    "approval": (500, 10),
}
# The budget history (issue 28): 12 months of it, thinned as the mirror thins it.
HISTORY = timedelta(days=365)
HOURLY = timedelta(days=30)  # kept one an hour; one a day before (BudgetSnapshot.objects.thin)
FULL_EVERY = 100  # one unit contract in 100 has the whole thinned history; the rest one a week
WEEK = timedelta(days=7)
SPEND_DAYS = 42
WRITE_CHUNK = 20000


def renamed(text: str, i: int) -> str:
    """A captured answer as the i-th clone: ids suffixed, the contract created i minutes in."""
    text = IDS.sub(lambda m: f'"{m.group(1)}_c{i}"', text)
    created = (START + timedelta(minutes=i)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return CREATED.sub(f'"createdAt": "{created}"', text, count=1)


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def has(i: int, problem: str) -> bool:
    period, positions = MIX[problem]
    return i % period in (positions if isinstance(positions, tuple) else (positions,))


def realistic(data: dict, i: int) -> dict:
    """The i-th contract healthy (milestones recent, funded, within the estimate), unless MIX
    gives it a problem. Only active contracts with milestones are changed."""
    milestones = data.get("milestones") or []
    if data.get("status") != "active" or not milestones:
        return data
    for milestone in milestones:
        if milestone.get("status") == "NOT_FUNDED":
            days = 5 if has(i, "unfunded") else 0
            milestone["createdAt"] = stamp(NOW - timedelta(days=days, hours=2))
        if milestone.get("status") == "ACTIVE_FUNDED":
            if has(i, "nothing_funded"):
                milestone["status"] = "PAID"
            elif has(i, "overdue"):
                milestone["dueDate"] = stamp(NOW - timedelta(days=10))
            elif has(i, "review"):
                milestone["needsReview"] = True
    total = sum(Decimal(str(m.get("amountUsd") or 0)) for m in milestones)
    data["estimatedTotalUsd"] = total / 2 if has(i, "over_committed") else total * 2
    budget = data.get("budget")
    funded = budget and Decimal(str(budget.get("fundedVolume") or 0))
    if funded and (has(i, "depleted") or has(i, "low")):
        share = Decimal(1) if has(i, "depleted") else Decimal("0.85")
        budget["state"] = "DEPLETED" if share == 1 else "LOW"
        budget["consumedVolume"] = funded * share
        budget["remainingVolume"] = funded - funded * share
        budget["consumedFraction"] = share
    elif funded and data.get("paymentType") in UNITS:
        # Some of every hourly and per-label budget used (5% to 64%), so "used", the burn and
        # the forecasts have something to reckon with.
        share = Decimal(5 + i * 37 % 60) / 100
        budget["consumedVolume"] = funded * share
        budget["remainingVolume"] = funded - funded * share
        budget["consumedFraction"] = share
    if funded and data.get("paymentType") in UNITS:
        # Half were used in the last week (the "runs out first" table weighs those), the rest
        # from a week to ten months ago.
        ago = timedelta(hours=i % 168) if i % 2 == 0 else timedelta(days=8 + i % 300)
        budget["lastUsageAt"] = stamp(NOW - ago)
    return data


def waiting_on_people(data: dict, i: int, fingerprint: str, payments: list) -> None:
    """The i-th contract's pending invoice or waiting approval, when MIX gives it one: for its
    first milestone, as the sandbox would answer them."""
    milestones = data.get("milestones") or []
    if data.get("status") != "active" or not milestones:
        return
    milestone = milestones[0]
    if has(i, "payment"):
        payments.append(
            {
                "id": f"pay_bench_{i}",
                "status": "PENDING_FUNDING",
                "invoiceKind": "FUNDING",
                "viewerRole": "EMPLOYER",
                "amountUsd": milestone.get("amountUsd"),
                "createdAt": stamp(NOW - timedelta(days=1)),
                "invoiceNumber": f"INV-BENCH-{i}",
                "job": {"id": data.get("jobId"), "title": data.get("title")},
                "milestone": {"id": milestone["id"], "name": milestone.get("name")},
            }
        )
    if has(i, "approval"):
        approval = {
            "id": f"apr_bench_{i}",
            "type": "milestone_fund",
            "status": "pending",
            "contractId": data["id"],
            "milestoneId": milestone["id"],
            "approvalUrl": f"https://app.opentrain.ai/approvals/apr_bench_{i}",
            "createdAt": stamp(NOW - timedelta(hours=3)),
            "expiresAt": stamp(NOW + timedelta(days=6)),
        }
        labels = {"contract_title": data.get("title") or "", "milestone_label": "#1"}
        Approval.objects.record(
            opentrain.Approval.from_api(approval),
            labels=labels,
            requested_by=None,
            token_fingerprint=fingerprint,
        )


def snapshot_times(start: datetime, end: datetime, full: bool) -> list[datetime]:
    """When a contract used from `start` to `end` was seen: a week apart, or as the mirror keeps
    a contract seen every hour (one an hour for the last 30 days, the day's last before); the
    last at `end`, its last use, with today's consumption."""
    if not full:
        return [end - WEEK * j for j in range(51, -1, -1) if end - WEEK * j >= start]
    hourly_from = (NOW - HOURLY).replace(minute=0, second=0, microsecond=0)
    times = []
    day = start.replace(hour=23, minute=0, second=0, microsecond=0)
    while day < min(end, hourly_from):
        times.append(day)
        day += timedelta(days=1)
    hour = max(hourly_from, start)
    while hour < end:
        times.append(hour)
        hour += timedelta(hours=1)
    return [*times, end]


def snapshot(pk: int, at: datetime, share: Decimal, state: str, funded, consumed):
    """The contract's budget at `at`, `share` of the way from nothing used to today: consumption
    rising evenly, funding in four steps, never below what was used."""
    volume = (consumed * share).quantize(Decimal("0.0001"))
    steps = Decimal(max(math.ceil(share * 4), 1)) / 4  # the quarter `share` rounds up to
    level = max((funded * steps).quantize(Decimal("0.0001")), volume)
    return BudgetSnapshot(
        contract_id=pk,
        observed_at=at,
        state=state,
        funded_volume=level,
        consumed_volume=volume,
        consumed_fraction=(volume / level).quantize(Decimal("0.0001")) if level else None,
    )


def history(account) -> dict:
    """12 months of budget snapshots for every hourly and per-label contract that used some of
    its budget (see the module's docstring), written in chunks; what was written."""
    today = BudgetSnapshot.objects.filter(
        contract__account=account,
        contract__payment_type__in=list(UNITS),
        consumed_volume__gt=0,
        contract__last_activity_at__isnull=False,
    ).order_by("contract_id")
    rows = list(
        today.values_list(
            "contract_id",
            "contract__contract_id",
            "contract__status",
            "contract__payment_type",
            "contract__last_activity_at",
            "state",
            "funded_volume",
            "consumed_volume",
        )
    )
    # The contract page the benchmark times: an active hourly contract used within the last few
    # hours, with budget left (so its chart has a forecast), the whole thinned history.
    chart = next(
        (
            row
            for row in rows
            if row[2] == "active"
            and row[3] == "PAY_PER_HOUR"
            and row[4] >= NOW - timedelta(hours=3)
            and row[6] > row[7]
        ),
        None,
    )
    start = NOW - HISTORY
    written = {"weekly": 0, "full": 0, "snapshots": 0, "chart": chart[1] if chart else ""}
    written["weekly chart"] = next(
        (
            row[1]
            for k, row in enumerate(rows)
            if k % FULL_EVERY
            and row[0] != (chart and chart[0])
            and row[2] == "active"
            and row[3] == "PAY_PER_HOUR"
            and row[4] >= NOW - timedelta(hours=3)
            and row[6] > row[7]
        ),
        "",
    )
    pending = []
    for k, (pk, _, _, _, last_used, state, funded, consumed) in enumerate(rows):
        end = min(last_used, NOW)
        if end - start < WEEK:
            continue
        full = k % FULL_EVERY == 0 or (chart is not None and pk == chart[0])
        written["full" if full else "weekly"] += 1
        span = (end - start).total_seconds()
        for at in snapshot_times(start, end, full):
            share = Decimal((at - start).total_seconds() / span)
            pending.append(snapshot(pk, at, share, state, funded or consumed, consumed))
        if len(pending) >= WRITE_CHUNK:
            BudgetSnapshot.objects.bulk_create(pending, batch_size=2000)
            written["snapshots"] += len(pending)
            pending = []
    BudgetSnapshot.objects.bulk_create(pending, batch_size=2000)
    written["snapshots"] += len(pending)
    return written


def thinned_today() -> None:
    """The day's thinning recorded as done (the history above is already thinned), as the worker
    leaves it after the day's first tick: otherwise the benchmark's worker thins first thing,
    and over 1.6 million snapshots on SQLite that held the database's write lock for about five
    minutes, so the sign-ins failed ("database is locked"; docs/benchmarks-spend.md)."""
    now = timezone.now()
    DBTaskResult.objects.create(
        status=TaskResultStatus.SUCCESSFUL,
        task_path=tasks.thin_budget_history.module_path,
        args_kwargs={"args": [], "kwargs": {}},
        backend_name="default",
        run_after=now,
        started_at=now,
        finished_at=now,
        return_value=0,
        exception_class_path="",
        traceback="",
    )


def money_over_time(account) -> int:
    """Six weeks of money used a day (the burn), and money funded and paid in each of the last
    12 months, per payment model, for the active contracts: what the spend page sums."""
    today = NOW.date()
    rows = 0
    for kind in ("FIXED_PRICE", "PAY_PER_HOUR", "PAY_PER_LABEL"):
        base = Decimal(150 + 40 * len(kind))
        if kind in UNITS:
            for d in range(SPEND_DAYS):
                SpendDay.objects.update_or_create(
                    account=account,
                    day=today - timedelta(days=d),
                    payment_type=kind,
                    contract_status="active",
                    defaults={"used_usd": base * (8 + d * 7 % 5) / 10},
                )
                rows += 1
        month = today.replace(day=1)
        for _ in range(12):
            row, _ = SpendMonth.objects.get_or_create(
                account=account, month=month, payment_type=kind, contract_status="active"
            )
            SpendMonth.objects.filter(pk=row.pk).update(
                funded_usd=row.funded_usd + base * 30, paid_usd=row.paid_usd + base * 24
            )
            rows += 1
            month = (month - timedelta(days=1)).replace(day=1)
    return rows


def main() -> None:
    capture = json.loads(Path(sys.argv[1]).read_text())
    n = int(sys.argv[2])
    fingerprint = services.token_fingerprint(settings.OT_API_TOKEN)
    account = sync.account_for(fingerprint, "OpenTrain")
    payments = []
    started = time.perf_counter()
    captured = [body for path, body in capture.items() if path.startswith("/contracts/")]
    for first in range(0, n, store.CHUNK):
        contracts = []
        for i in range(first, min(n, first + store.CHUNK)):
            text = captured[i % len(captured)]
            if i >= len(captured):
                text = renamed(text, i)
            data = realistic(parse_json(text.encode())["contract"], i)
            waiting_on_people(data, i, fingerprint, payments)
            contracts.append(opentrain.Contract.from_api(data))
        store.save_contracts(account, contracts)
    store.save_pending_payments(account, payments)
    filled_s = time.perf_counter() - started
    written = history(account)
    money_rows = money_over_time(account)
    thinned_today()
    account.record_success(full=True)
    account.bump()
    # The planner's statistics, as a live database has them (PostgreSQL's autovacuum gathers them
    # a while after a bulk load; without them it reads every row where an index answers), and on
    # PostgreSQL the visibility map its autovacuum keeps, without which an index-only read (the
    # spend page's totals) still visits every row; done now, it does not run during the timing.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    units = Contract.objects.for_account(account).filter(payment_type__in=list(UNITS)).count()
    print(f"filled {n} contracts in {filled_s:.1f} s ({units} hourly or per-label)")
    print(
        f"budget history: {written['snapshots']:,} snapshots over 12 months, "
        f"{written['weekly']:,} contracts one a week, {written['full']:,} one an hour for 30 "
        f"days and one a day before; spend months and days: {money_rows} rows; "
        f"{BudgetSnapshot.objects.count():,} snapshots in all; "
        f"{time.perf_counter() - started:.1f} s in all"
    )
    print(f"chart contract: {written['chart']}")
    print(f"weekly chart contract: {written['weekly chart']}")


if __name__ == "__main__":
    main()
