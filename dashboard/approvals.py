"""The approvals the dashboard asked OpenTrain for: storing them, and the worker's updates.

No HTTP here: the sync worker reads approvals from OpenTrain and hands them to `apply`. The
database row is the dashboard's memory of who asked for what; OpenTrain stays the source of truth
for the status.
"""

from __future__ import annotations

from dashboard import opentrain, services
from dashboard.models import Approval


def milestone_label(milestone: opentrain.Milestone) -> str:
    number = f"#{milestone.number} " if milestone.number is not None else ""
    return (number + (milestone.name or milestone.description[:80])).strip()


def record(
    approval: opentrain.Approval, *, user, token: str, contract: opentrain.Contract | None
) -> tuple[Approval, bool]:
    """Store an approval OpenTrain just answered with, labelled from the contract it is about;
    returns the row and whether it is new."""
    labels = {}
    if contract is not None and contract.id == approval.contract_id:
        labels["contract_title"] = contract.title
        milestone = next((m for m in contract.milestones if m.id == approval.milestone_id), None)
        if milestone is not None:
            labels["milestone_label"] = milestone_label(milestone)
    return Approval.objects.record(
        approval,
        labels=labels,
        requested_by=user if user.is_authenticated else None,
        token_fingerprint=services.token_fingerprint(token),
    )


def for_contract(contract_id: str, limit: int = 10) -> list[Approval]:
    return list(Approval.objects.filter(contract_id=contract_id).pending_first()[:limit])


def apply(approval: opentrain.Approval, *, token: str) -> bool:
    """Bring the stored approval up to OpenTrain's answer (the sync worker's way in); an approval
    asked for outside the dashboard is stored too. Returns whether anything changed."""
    row = Approval.objects.filter(approval_id=approval.id).first()
    if row is None:
        Approval.objects.record(
            approval,
            labels={},
            requested_by=None,
            token_fingerprint=services.token_fingerprint(token),
        )
        return True
    before = (row.status, row.data)
    row.refresh_from(approval)
    return (row.status, row.data) != before
