"""What the sandbox tells its updates feed and webhooks: one function per kind of change.

Each writes an `Event` inside the caller's transaction (`Event.record`), so an event exists
exactly when the change it names was committed; after that commit it wakes the webhook sender if
a webhook wants the event. Seeding writes none.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from . import delivery
from .models import Approval, Contract, Event, Milestone
from .serializers import budget_json, ts


def _record(contract: Contract, type: str, resource_id: str, data: dict) -> None:
    deliveries = Event.record(
        contract.account_id, type, resource_id=resource_id, job_id=contract.job_id, data=data
    )
    if deliveries:
        transaction.on_commit(delivery.wake)


def milestone_status_changed(milestone: Milestone) -> None:
    contract = milestone.contract
    _record(
        contract,
        Event.MILESTONE_STATUS_CHANGED,
        milestone.id,
        {"milestoneId": milestone.id, "contractId": contract.id, "status": milestone.status},
    )


def payment_pending(approval: Approval) -> None:
    """A funding or payout approval was requested: its invoice now waits on a human."""
    contract = approval.contract
    _record(
        contract,
        Event.PAYMENT_PENDING,
        approval.invoice_id,
        {
            "invoiceId": approval.invoice_id,
            "milestoneId": approval.milestone_id,
            "contractId": contract.id,
        },
    )


def approval_resolved(approval: Approval) -> None:
    """`approval.confirmed` fires on every terminal state: confirmed, declined, expired."""
    _record(
        approval.contract,
        Event.APPROVAL_CONFIRMED,
        approval.id,
        {"approvalId": approval.id, "status": approval.status},
    )


def expire_if_due(approval: Approval) -> bool:
    """A pending approval read after its expiry flips to expired on that read."""
    if approval.status != Approval.PENDING or approval.expires_at > timezone.now():
        return False
    with transaction.atomic():
        approval.status = Approval.EXPIRED
        approval.save(update_fields=["status"])
        approval_resolved(approval)
    return True


def contract_ended(contract: Contract) -> None:
    # Not in the Public API's event table; the Platform API documents it with this name.
    _record(
        contract,
        Event.CONTRACT_ENDED,
        contract.id,
        {"contractId": contract.id, "status": contract.status, "endDate": ts(contract.end_date)},
    )


def budget_state_changed(contract: Contract, previous: dict) -> dict:
    """Record `contract.budget_state_changed` if the state moved since `previous` (a budget_json).

    Returns the budget as it is now.
    """
    budget = budget_json(contract)
    if budget["state"] != previous["state"]:
        _record(
            contract,
            Event.BUDGET_STATE_CHANGED,
            contract.id,
            {
                "contractId": contract.id,
                "previousState": previous["state"],
                "state": budget["state"],
                "paymentType": budget["paymentType"],
                "fundedVolume": budget["fundedVolume"],
                "consumedVolume": budget["consumedVolume"],
                "remainingVolume": budget["remainingVolume"],
                "consumedFraction": budget["consumedFraction"],
            },
        )
    return budget
