#!/usr/bin/env python
"""Fill the mirror with N contracts for the page benchmark, quickly and without HTTP.

The contracts are the sandbox's own answers (a capture made by fast_upstream.py). Those are
written through the mirror's store (`store.save_contract`, as the sync writes them); the rest, to
N, are clones of them with new contract and milestone ids and creation times, bulk-inserted: the
contract row from `store.contract_fields`, its milestone and budget rows copied from the clone's
template (save_contract one by one takes about 5 ms a contract: 4 minutes at 50,000). The
account is then marked as fully synced, as `opentrain_sync --full` would leave it.

    DATABASE_URL=... OT_API_TOKEN=... OT_API_BASE_URL=... python scripts/bench_fill.py CAPTURE N
"""

from __future__ import annotations

import copy
import json
import os
import re
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import transaction  # noqa: E402

from dashboard import opentrain, services  # noqa: E402
from dashboard.mirror import store, sync  # noqa: E402
from dashboard.mirror.models import BudgetSnapshot, Contract, Milestone  # noqa: E402
from dashboard.opentrain.transport import parse_json  # noqa: E402

IDS = re.compile(r'"((?:ctr|ms)_[A-Za-z0-9_]+)"')
CREATED = re.compile(r'"createdAt": "([^"]+)"')
START = datetime(2024, 1, 1, tzinfo=UTC)
BATCH = 1000


def renamed(text: str, i: int) -> str:
    """A captured answer as the i-th clone: ids suffixed, the contract created i minutes in."""
    text = IDS.sub(lambda m: f'"{m.group(1)}_c{i}"', text)
    created = (START + timedelta(minutes=i)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return CREATED.sub(f'"createdAt": "{created}"', text, count=1)


def main() -> None:
    capture = json.loads(Path(sys.argv[1]).read_text())
    n = int(sys.argv[2])
    account = sync.account_for(services.token_fingerprint(settings.OT_API_TOKEN), "OpenTrain")
    started = time.perf_counter()
    templates = []
    with transaction.atomic():
        for path, body in capture.items():
            if path.startswith("/contracts/"):
                contract = opentrain.Contract.from_api(parse_json(body.encode())["contract"])
                row = store.save_contract(account, contract)[0]
                # Read once: the clones copy these rows.
                row.ms_rows = list(row.milestone_rows.all())
                row.snapshot_rows = list(row.budget_history.all())
                templates.append(row)
    for first in range(len(templates), n, BATCH):
        with transaction.atomic():
            _copy(account, templates, range(first, min(n, first + BATCH)))
    account.record_success(full=True)
    account.bump()
    print(f"filled {n} contracts in {time.perf_counter() - started:.1f} s")


def _copy(account, templates: list[Contract], numbers: range) -> None:
    """Clones of the stored templates: the contract row from `store.contract_fields`, the
    milestone and budget rows copied from the template's."""
    contracts, milestones, snapshots = [], [], []
    for i in numbers:
        template = templates[i % len(templates)]
        data = json.loads(renamed(json.dumps(template.data), i))
        fields = store.contract_fields(opentrain.Contract.from_api(data), data)
        row = Contract(account=account, contract_id=data["id"], **fields)
        contracts.append(row)
        for ms in map(copy.copy, template.ms_rows):
            ms.pk, ms.contract = None, row
            ms.milestone_id, ms.data = (
                f"{ms.milestone_id}_c{i}",
                json.loads(renamed(json.dumps(ms.data), i)),
            )
            milestones.append(ms)
        for snapshot in map(copy.copy, template.snapshot_rows):
            snapshot.pk, snapshot.contract = None, row
            snapshots.append(snapshot)
    Contract.objects.bulk_create(contracts)
    Milestone.objects.bulk_create(milestones)
    BudgetSnapshot.objects.bulk_create(snapshots)


if __name__ == "__main__":
    main()
