"""Writing OpenTrain's answers into the mirror. Idempotent: the same answer twice changes nothing.

No HTTP here: callers pass what `dashboard.opentrain` returned.
"""

from __future__ import annotations

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from dashboard import opentrain
from dashboard.mirror import attention
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
        ).casefold(),
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
        "data": data,
    }


def save_contract(account: Account, contract: opentrain.Contract) -> tuple[Contract, bool]:
    """Upsert a contract read from `GET /contracts/{id}`; returns the row and whether it changed."""
    data = _plain(contract.raw)
    row = Contract.objects.filter(account=account, contract_id=contract.id).first()
    if row is not None and row.data == data:
        return row, False
    fields = contract_fields(contract, data)
    with transaction.atomic():
        if row is None:
            row = Contract.objects.create(account=account, contract_id=contract.id, **fields)
        else:
            for name, value in fields.items():
                setattr(row, name, value)
            row.save()
        _save_milestones(row, contract)
        _observe_budget(row, contract.budget)
    return row, True


def _save_milestones(row: Contract, contract: opentrain.Contract) -> None:
    seen = []
    for data, milestone in zip(contract.milestones_data, contract.milestones, strict=True):
        seen.append(milestone.id)
        Milestone.objects.update_or_create(
            contract=row,
            milestone_id=milestone.id,
            defaults={
                "number": milestone.number,
                "name": milestone.name[:500],
                "status": milestone.status[:40],
                "amount_usd": milestone.amount_usd,
                "volume": milestone.volume,
                "due_date": opentrain.parse_timestamp(milestone.due_date),
                "needs_review": milestone.needs_review,
                "pending_approval": milestone.pending_approval,
                "upstream_created_at": opentrain.parse_timestamp(milestone.created_at),
                "data": _plain(data),
            },
        )
    # Refunded and cancelled milestones drop out of OpenTrain's answer: they go here too.
    row.milestone_rows.exclude(milestone_id__in=seen).delete()


def _observe_budget(row: Contract, budget: opentrain.Budget | None) -> None:
    if budget is None:
        return
    last = row.budget_history.order_by("-observed_at", "-id").first()
    consumed = budget.consumed_volume
    if last is not None and last.state == budget.state and last.consumed_volume == consumed:
        return
    BudgetSnapshot.objects.create(
        contract=row,
        state=budget.state[:20],
        funded_volume=budget.funded_volume,
        consumed_volume=consumed,
        consumed_fraction=budget.consumed_fraction,
    )


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
