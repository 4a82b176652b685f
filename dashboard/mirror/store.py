"""Writing OpenTrain's answers into the mirror. Idempotent: the same answer twice changes nothing.

No HTTP here: callers pass what `dashboard.opentrain` returned.
"""

from __future__ import annotations

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import OuterRef, Subquery

from dashboard import opentrain
from dashboard.mirror.models import (
    Account,
    BudgetSnapshot,
    Contract,
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
        ).casefold(),
        "budget_state": (budget.state if budget else "")[:20],
        "consumed_fraction": budget.consumed_fraction if budget else None,
        "remaining_volume": budget.remaining_volume if budget else None,
        "upstream_created_at": opentrain.parse_timestamp(contract.created_at),
        "upstream_updated": contract.updated_at[:40],
        "has_budget": budget is not None,
        "data": data,
    }


def milestone_fields(milestone: opentrain.Milestone, data: dict) -> dict:
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
        "data": data,
    }


CHUNK = 200  # contracts a transaction, when many are written at once


def save_contract(account: Account, contract: opentrain.Contract) -> tuple[Contract, bool]:
    """Upsert a contract read from `GET /contracts/{id}`; returns the row and whether it changed."""
    changed = save_contracts(account, [contract])
    if changed:
        return changed[0], True
    return Contract.objects.get(account=account, contract_id=contract.id), False


def save_contracts(account: Account, contracts: list[opentrain.Contract]) -> list[Contract]:
    """Upsert contracts read from `GET /contracts/{id}` in one transaction: a few queries for the
    lot, not a few per contract. Returns the rows that changed (an answer equal to the stored
    one is left alone, so the same answers twice change nothing)."""
    latest = {contract.id: contract for contract in contracts}  # one row per ID, the last read
    stored = _stored(account, list(latest))
    rows, changed = [], []
    for contract_id, contract in latest.items():
        before = stored.get(contract_id)
        if before is not None and before.data == _plain(contract.raw):
            continue
        # The raw answer as it is: the field's encoder writes its Decimals as _plain() would.
        fields = contract_fields(contract, contract.raw)
        rows.append(Contract(account=account, contract_id=contract_id, **fields))
        changed.append((contract, before))
    if not rows:
        return []
    with transaction.atomic():
        Contract.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["account", "contract_id"],
            update_fields=[*fields, "synced_at"],
        )
        _save_milestones(rows, [contract for contract, _ in changed])
        _observe_budgets(rows, changed)
    return rows


def _stored(account: Account, contract_ids: list[str]) -> dict[str, Contract]:
    """The stored rows among these IDs, each with its last budget snapshot, in one query."""
    last = BudgetSnapshot.objects.filter(contract=OuterRef("pk")).order_by("-observed_at", "-id")
    rows = (
        Contract.objects.filter(account=account, contract_id__in=contract_ids)
        .only("contract_id", "data")
        .annotate(
            last_state=Subquery(last.values("state")[:1]),
            last_consumed=Subquery(last.values("consumed_volume")[:1]),
            last_snapshot=Subquery(last.values("pk")[:1]),
        )
    )
    return {row.contract_id: row for row in rows}


def _save_milestones(rows: list[Contract], contracts: list[opentrain.Contract]) -> None:
    milestones = {}
    for row, contract in zip(rows, contracts, strict=True):
        for data, milestone in zip(contract.milestones_data, contract.milestones, strict=True):
            fields = milestone_fields(milestone, data)
            milestones[row.pk, milestone.id] = Milestone(
                contract=row, milestone_id=milestone.id, **fields
            )
    if milestones:
        Milestone.objects.bulk_create(
            milestones.values(),
            update_conflicts=True,
            unique_fields=["contract", "milestone_id"],
            update_fields=list(fields),
        )
    # Refunded and cancelled milestones drop out of OpenTrain's answer: they go here too.
    Milestone.objects.filter(contract__in=[row.pk for row in rows]).exclude(
        pk__in=[milestone.pk for milestone in milestones.values()]
    ).delete()


def _observe_budgets(rows: list[Contract], changed: list[tuple]) -> None:
    """A budget snapshot for each contract whose consumed volume or state moved since its last."""
    snapshots = []
    for row, (contract, before) in zip(rows, changed, strict=True):
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
        snapshots.append(
            BudgetSnapshot(
                contract=row,
                state=budget.state[:20],
                funded_volume=budget.funded_volume,
                consumed_volume=budget.consumed_volume,
                consumed_fraction=budget.consumed_fraction,
            )
        )
    BudgetSnapshot.objects.bulk_create(snapshots)


def forget_contract(account: Account, contract_id: str) -> bool:
    deleted, _ = Contract.objects.filter(account=account, contract_id=contract_id).delete()
    return bool(deleted)


def forget_contracts_except(account: Account, contract_ids: set[str]) -> bool:
    """Drop contracts OpenTrain no longer lists for this account."""
    deleted, _ = (
        Contract.objects.filter(account=account).exclude(contract_id__in=contract_ids).delete()
    )
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
