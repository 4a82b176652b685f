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

    DATABASE_URL=... OT_API_TOKEN=... OT_API_BASE_URL=... python scripts/bench_fill.py CAPTURE N
"""

from __future__ import annotations

import json
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

from dashboard import opentrain, services  # noqa: E402
from dashboard.mirror import store, sync  # noqa: E402
from dashboard.models import Approval  # noqa: E402
from dashboard.opentrain.transport import parse_json  # noqa: E402

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
    account.record_success(full=True)
    account.bump()
    # The planner's statistics, as a live database has them (PostgreSQL's autovacuum gathers them
    # a while after a bulk load; without them it reads every row where an index answers).
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"filled {n} contracts in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
