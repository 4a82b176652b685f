"""What the sandbox tells its updates feed and webhooks: one function per kind of change.

Each writes an `Event` inside the caller's transaction (`Event.record`), so an event exists
exactly when the change it names was committed. Seeding writes none.
"""

from __future__ import annotations

from .api.serializers import budget_json, ts
from .models import Approval, Contract, Event, Milestone


def milestone_status_changed(milestone: Milestone) -> None:
    contract = milestone.contract
    Event.record(
        contract.account_id,
        Event.MILESTONE_STATUS_CHANGED,
        resource_id=milestone.id,
        job_id=contract.job_id,
        data={"milestoneId": milestone.id, "contractId": contract.id, "status": milestone.status},
    )


def payment_pending(approval: Approval) -> None:
    """A funding or payout approval was requested: its invoice now waits on a human."""
    contract = approval.contract
    Event.record(
        contract.account_id,
        Event.PAYMENT_PENDING,
        resource_id=approval.invoice_id,
        job_id=contract.job_id,
        data={
            "invoiceId": approval.invoice_id,
            "milestoneId": approval.milestone_id,
            "contractId": contract.id,
        },
    )


def contract_ended(contract: Contract) -> None:
    # Not in the Public API's event table; the Platform API documents it with this name.
    Event.record(
        contract.account_id,
        Event.CONTRACT_ENDED,
        resource_id=contract.id,
        job_id=contract.job_id,
        data={
            "contractId": contract.id,
            "status": contract.status,
            "endDate": ts(contract.end_date),
        },
    )


def budget_state_changed(contract: Contract, previous: dict) -> dict:
    """Record `contract.budget_state_changed` if the state moved since `previous` (a budget_json).

    Returns the budget as it is now.
    """
    budget = budget_json(contract)
    if budget["state"] != previous["state"]:
        Event.record(
            contract.account_id,
            Event.BUDGET_STATE_CHANGED,
            resource_id=contract.id,
            job_id=contract.job_id,
            data={
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
