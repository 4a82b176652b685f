"""The approvals the dashboard asked OpenTrain for: storing them and following them to their end.

No HTTP here: reads go through `dashboard.opentrain`. The database row is the dashboard's memory
of who asked for what; OpenTrain stays the source of truth for the status.
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


def mark_followable(rows, token: str):
    """Flag the approvals this token cannot follow (asked for with another token, such as another
    sandbox demo account): OpenTrain shows an approval only to the token that asked or the
    account's owner, so polling them would only ever say "not found"."""
    fingerprint = services.token_fingerprint(token)
    for row in rows:
        row.follow_with(fingerprint)
    return rows


def refresh(token: str, row: Approval) -> tuple[bool, opentrain.OpenTrainError | None]:
    """Read the approval's current state from OpenTrain into the row.

    Returns (whether it just reached a terminal status, the error if OpenTrain could not say).
    """
    try:
        approval = opentrain.get_approval(token, row.approval_id)
    except opentrain.OpenTrainError as exc:
        return False, exc
    return row.refresh_from(approval), None


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
