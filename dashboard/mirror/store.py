"""Writing OpenTrain's answers into the mirror. Idempotent: the same answer twice changes nothing.

No HTTP here: callers pass what `dashboard.opentrain` returned.
"""

from __future__ import annotations

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from dashboard import opentrain, submissions
from dashboard.mirror import attention, money
from dashboard.mirror.models import (
    Account,
    BudgetSnapshot,
    Contract,
    InboxItem,
    Milestone,
    PendingPayment,
)
from dashboard.opentrain.results import as_decimal


def _plain(data: dict) -> dict:
    """The JSON as the database will give it back (Decimals as strings), for comparisons."""
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def contract_fields(contract: opentrain.Contract, data: dict) -> dict:
    budget = contract.budget
    freelancer = contract.freelancer
    latest = contract.latest_milestone
    activity = [contract.updated_at, budget.last_usage_at if budget else ""]
    return {
        "title": contract.title[:500],
        "status": contract.status[:40],
        "payment_type": contract.payment_type[:40],
        "rate_usd": contract.rate_usd,
        "estimated_total_usd": contract.estimated_total_usd,
        "freelancer_name": freelancer.display_name[:200],
        "freelancer_country": freelancer.country[:100],
        "search_text": " ".join(
            (contract.title, freelancer.display_name, freelancer.country)
        ).casefold()[:SEARCH_TEXT_CAP],
        "budget_state": (budget.state if budget else "")[:20],
        "consumed_fraction": budget.consumed_fraction if budget else None,
        "remaining_volume": budget.remaining_volume if budget else None,
        "upstream_created_at": opentrain.parse_timestamp(contract.created_at),
        "upstream_updated": contract.updated_at[:40],
        "has_budget": budget is not None,
        "remaining_usd": attention.remaining_usd(contract),
        "last_activity_at": max(
            filter(None, map(opentrain.parse_timestamp, activity)), default=None
        ),
        "milestone_count": len(contract.milestones_data),
        "latest_milestone_status": latest.status[:40] if latest else "",
        **attention.columns(contract),
        **money.columns(contract),
        "data": data,
    }


def milestone_fields(milestone: opentrain.Milestone) -> dict:
    """A milestone's columns. Its JSON as received stays in its contract's `data` only."""
    return {
        "number": milestone.number,
        "name": milestone.name[:500],
        "status": milestone.status[:40],
        "amount_usd": milestone.amount_usd,
        "volume": milestone.volume,
        "due_date": opentrain.parse_timestamp(milestone.due_date),
        "needs_review": milestone.needs_review,
        "pending_approval": milestone.pending_approval,
        "upstream_created_at": opentrain.parse_timestamp(milestone.created_at),
    }


CHUNK = 200  # contracts a transaction, when many are written at once
# The search text's length at most: it is a b-tree index's key (mirror_contract_search), whose
# entries PostgreSQL keeps under 2,704 bytes (600 characters of up to 4 bytes each, and the rest).
SEARCH_TEXT_CAP = 600


def save_contract(account: Account, contract: opentrain.Contract) -> bool:
    """Upsert a contract read from `GET /contracts/{id}`; True when it changed."""
    return bool(save_contracts(account, [contract]))


def save_contracts(account: Account, contracts: list[opentrain.Contract]) -> int:
    """Upsert contracts read from `GET /contracts/{id}` in one transaction: a few statements for
    the lot, not a few per contract. Returns how many changed (an answer equal to the stored one
    is left alone, so the same answers twice change nothing)."""
    latest = {contract.id: contract for contract in contracts}  # one row per ID, the last read
    stored = _stored(account, list(latest))
    now = timezone.now()
    rows, changed = [], []
    for contract_id, contract in latest.items():
        before = stored.get(contract_id)
        if before is not None and before.data == _plain(contract.raw):
            continue
        # The raw answer as it is: the field's encoder writes its Decimals as _plain() would.
        fields = contract_fields(contract, contract.raw)
        rows.append({"account_id": account.pk, "contract_id": contract_id, **fields})
        rows[-1]["synced_at"] = now
        changed.append((contract, before))
    if not rows:
        return 0
    with transaction.atomic():
        held = _held(account, [row["contract_id"] for row in rows])
        _upsert(Contract, rows, conflict=["account_id", "contract_id"])
        pks = dict(
            Contract.objects.filter(
                account=account, contract_id__in=[r["contract_id"] for r in rows]
            ).values_list("contract_id", "pk")
        )
        changed = [(pks[contract.id], contract, before) for contract, before in changed]
        ledger = money.Ledger(account.pk)
        for row in rows:
            if row["contract_id"] in held:
                _, used = held[row["contract_id"]]
                ledger.used(_kind(row), used, row["used_usd"], now)
        _save_milestones(changed, now, ledger, held)
        ledger.apply()
        _save_inbox_items(account, changed)
        _observe_budgets(changed, now)
    # A milestone the dashboard sent without hearing back may be among the new ones.
    submissions.settle([contract for _, contract, _ in changed])
    return len(changed)


def _held(account: Account, contract_ids: list[str]) -> dict[str, tuple]:
    """The stored contracts' payment model, status and used money, read under their rows' locks
    (PostgreSQL; SQLite's transactions take the write lock as they begin): a write that raced
    this one has committed by then, so the months and days move by the difference from it and
    never count the same money twice."""
    rows = (
        Contract.objects.select_for_update()
        .filter(account=account, contract_id__in=contract_ids)
        .order_by("pk")
        .values_list("contract_id", "payment_type", "status", "used_usd")
    )
    return {contract_id: ((kind, status), used) for contract_id, kind, status, used in rows}


def _stored(account: Account, contract_ids: list[str]) -> dict[str, Contract]:
    """The stored rows among these IDs, each with its last budget snapshot, in one query."""
    last = BudgetSnapshot.objects.filter(contract=OuterRef("pk")).order_by("-observed_at", "-id")
    rows = (
        Contract.objects.filter(account=account, contract_id__in=contract_ids)
        .only("contract_id", "data", "payment_type", "status", "used_usd")
        .annotate(
            last_observed=Subquery(last.values("observed_at")[:1]),
            last_state=Subquery(last.values("state")[:1]),
            last_consumed=Subquery(last.values("consumed_volume")[:1]),
            last_snapshot=Subquery(last.values("pk")[:1]),
        )
    )
    return {row.contract_id: row for row in rows}


def _kind(row: dict) -> tuple[str, str]:
    """A contract's payment model and status, as the months and days file its money."""
    return row["payment_type"], row["status"]


def _save_milestones(changed: list[tuple], now, ledger: money.Ledger, held: dict) -> None:
    """Upsert the milestones of these contracts, with when their money moved, and move the
    account's months by the difference (every stored milestone out, every answered one in)."""
    stored: dict[int, dict] = {pk: {} for pk, _, _ in changed}
    for pk, contract_pk, milestone_id, amount, funded_at, paid_at in Milestone.objects.filter(
        contract__in=list(stored)
    ).values_list("pk", "contract", "milestone_id", "amount_usd", "funded_at", "paid_at"):
        stored[contract_pk][milestone_id] = (pk, amount, funded_at, paid_at)
    wanted, gone = {}, []
    for pk, contract, _ in changed:
        new_here = contract.id not in held
        kind_before = held.get(contract.id, (("", ""), None))[0]
        for _, amount, funded_at, paid_at in stored[pk].values():
            ledger.milestone(-1, kind_before, amount, funded_at, paid_at)
        kind = (contract.payment_type[:40], contract.status[:40])
        for milestone in contract.milestones:
            fields = milestone_fields(milestone)
            known = stored[pk].get(milestone.id)
            # Money that moved before the dashboard first read the contract: at its creation.
            first_seen = (fields["upstream_created_at"] if new_here else None) or now
            fields |= money.moments(milestone.status, known and known[2:], first_seen)
            wanted[pk, milestone.id] = {"contract_id": pk, "milestone_id": milestone.id, **fields}
            ledger.milestone(1, kind, fields["amount_usd"], fields["funded_at"], fields["paid_at"])
        # Refunded and cancelled milestones drop out of OpenTrain's answer: they go here too.
        gone += [
            row[0] for milestone_id, row in stored[pk].items() if (pk, milestone_id) not in wanted
        ]
    if gone:
        Milestone.objects.filter(pk__in=gone).delete()
    _upsert(Milestone, list(wanted.values()), conflict=["contract_id", "milestone_id"])


def _save_inbox_items(account: Account, changed: list[tuple]) -> None:
    """The inbox items of these contracts, written anew (`attention.items`)."""
    InboxItem.objects.filter(contract__in=[pk for pk, _, _ in changed]).delete()
    _upsert(
        InboxItem,
        [row for pk, contract, _ in changed for row in inbox_item_rows(account.pk, pk, contract)],
    )


def inbox_item_rows(account_pk: int, contract_pk: int, contract: opentrain.Contract) -> list:
    """One contract's `InboxItem` rows, as column values (`attention.items`)."""
    return [
        {"account_id": account_pk, "contract_id": contract_pk, **item}
        for item in attention.items(contract)
    ]


def _observe_budgets(changed: list[tuple], now) -> None:
    """A budget snapshot for each contract whose consumed volume or state moved since its last:
    one per contract and clock hour at most (a later change within the hour updates it), so the
    history stays bounded (`BudgetSnapshot.objects.thin` keeps one a day after 30 days)."""
    snapshots, updated = [], []
    hour = now.replace(minute=0, second=0, microsecond=0)
    for pk, contract, before in changed:
        budget = contract.budget
        if budget is None:
            continue
        if (
            before is not None
            and before.last_snapshot is not None
            and before.last_state == budget.state
            and before.last_consumed == budget.consumed_volume
        ):
            continue
        snapshot = {
            "contract_id": pk,
            "observed_at": now,
            "state": budget.state[:20],
            "funded_volume": budget.funded_volume,
            "consumed_volume": budget.consumed_volume,
            "consumed_fraction": budget.consumed_fraction,
        }
        if before is not None and before.last_observed is not None and before.last_observed >= hour:
            updated.append(BudgetSnapshot(pk=before.last_snapshot, **snapshot))
        else:
            snapshots.append(snapshot)
    _upsert(BudgetSnapshot, snapshots)
    if updated:
        BudgetSnapshot.objects.bulk_update(
            updated,
            ["observed_at", "state", "funded_volume", "consumed_volume", "consumed_fraction"],
        )


def _upsert(model, rows: list[dict], conflict: list[str] | None = None) -> None:
    """Insert many rows (dicts of field attnames) with `bulk_create`; with `conflict` (the unique
    fields), an existing row gets the given values instead (the rows must not repeat a key).
    Fields not given take their defaults when a row is new and stay as they are when it is not.
    Django splits the rows into batches that fit the database's limit on query parameters.

    Django prepares every value through its field and its compiler, which costs several times
    the hand-made INSERT this replaced: the upserts of 5,000 contracts written into an empty
    mirror and 212 of them changed after (31,000 rows, in-process) took 5.8 s of CPU on SQLite
    where they took 1.5 s, and 5.5 s on PostgreSQL where they took 0.9 s
    (docs/benchmarks-sync-inbox.md, issue 25)."""
    if not rows:
        return
    objs = [model(**row) for row in rows]
    if not conflict:
        model.objects.bulk_create(objs)
        return
    model.objects.bulk_create(
        objs,
        update_conflicts=True,
        unique_fields=conflict,
        update_fields=[name for name in rows[0] if name not in conflict],
    )


def forget_contract(account: Account, contract_id: str) -> bool:
    return _forget(account, Contract.objects.filter(account=account, contract_id=contract_id))


def forget_contracts_except(account: Account, contract_ids: set[str]) -> bool:
    """Drop contracts OpenTrain no longer lists for this account."""
    return _forget(
        account, Contract.objects.filter(account=account).exclude(contract_id__in=contract_ids)
    )


def _forget(account: Account, contracts) -> bool:
    with transaction.atomic():
        money.forget(account.pk, contracts)
        deleted, _ = contracts.delete()
    return bool(deleted)


def save_pending_payments(account: Account, payments: list[dict]) -> bool:
    """Replace the account's pending payments with OpenTrain's current list."""
    wanted = {}
    for payment in payments:
        if not isinstance(payment, dict) or not payment.get("id"):
            continue
        milestone = payment.get("milestone") if isinstance(payment.get("milestone"), dict) else {}
        job = payment.get("job") if isinstance(payment.get("job"), dict) else {}
        wanted[str(payment["id"])] = {
            "status": str(payment.get("status") or "")[:40],
            "amount_usd": as_decimal(payment.get("amountUsd")),
            "milestone_id": str(milestone.get("id") or "")[:200],
            "job_title": str(job.get("title") or "")[:500],
            "upstream_created_at": opentrain.parse_timestamp(payment.get("createdAt")),
            "data": _plain(payment),
        }
    existing = {p.payment_id: p for p in account.pending_payments.all()}
    changed = False
    with transaction.atomic():
        for payment_id, row in existing.items():
            if payment_id not in wanted:
                row.delete()
                changed = True
        for payment_id, fields in wanted.items():
            row = existing.get(payment_id)
            if row is not None and row.data == fields["data"]:
                continue
            PendingPayment.objects.update_or_create(
                account=account, payment_id=payment_id, defaults=fields
            )
            changed = True
    return changed
