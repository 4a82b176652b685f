"""The approvals the dashboard asked OpenTrain for: storing them and following them to their end.

No HTTP here: reads go through `dashboard.opentrain`. The database row is the dashboard's memory
of who asked for what; OpenTrain stays the source of truth for the status.
"""

from __future__ import annotations

from django.db.models import Case, IntegerField, Value, When
from django.utils.dateparse import parse_datetime

from dashboard import opentrain, services
from dashboard.models import Approval

PENDING = "pending"


def _when(value: str):
    if not value:
        return None
    try:
        return parse_datetime(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def milestone_label(milestone: opentrain.Milestone) -> str:
    number = f"#{milestone.number} " if milestone.number is not None else ""
    return (number + (milestone.name or milestone.description[:80])).strip()


def _fields(approval: opentrain.Approval) -> dict:
    return {
        "type": approval.type,
        "status": approval.status,
        "contract_id": approval.contract_id,
        "milestone_id": approval.milestone_id,
        "approval_url": approval.approval_url,
        "expires_at": _when(approval.expires_at),
        "data": approval.raw,
    }


def record(
    approval: opentrain.Approval, *, user, token: str, contract: opentrain.Contract | None
) -> tuple[Approval, bool]:
    """Store an approval OpenTrain just answered with; returns the row and whether it is new.

    A re-request while one is pending returns the same approval, so it lands on the same row and
    keeps the person who first asked.
    """
    labels = {}
    if contract is not None and contract.id == approval.contract_id:
        labels["contract_title"] = contract.title
        milestone = next((m for m in contract.milestones if m.id == approval.milestone_id), None)
        if milestone is not None:
            labels["milestone_label"] = milestone_label(milestone)
    fields = _fields(approval) | labels
    return Approval.objects.update_or_create(
        approval_id=approval.id,
        defaults=fields,
        create_defaults=fields
        | {
            "requested_by": user if user.is_authenticated else None,
            "token_fingerprint": services.token_fingerprint(token),
        },
    )


def mark_followable(rows, token: str):
    """Flag the approvals this token cannot follow (asked for with another token, such as another
    sandbox demo account): OpenTrain shows an approval only to the token that asked or the
    account's owner, so polling them would only ever say "not found"."""
    fingerprint = services.token_fingerprint(token)
    for row in rows:
        row.followable = not row.token_fingerprint or row.token_fingerprint == fingerprint
    return rows


def refresh(token: str, row: Approval) -> tuple[bool, opentrain.OpenTrainError | None]:
    """Read the approval's current state from OpenTrain into the row.

    Returns (whether it just reached a terminal status, the error if OpenTrain could not say).
    """
    try:
        approval = opentrain.get_approval(token, row.approval_id)
    except opentrain.OpenTrainError as exc:
        return False, exc
    was_terminal = row.is_terminal
    for name, value in _fields(approval).items():
        # An answer missing a field must not blank what we already know.
        if value or name == "data":
            setattr(row, name, value)
    row.save()
    return row.is_terminal and not was_terminal, None


def pending_first(queryset):
    """Pending approvals first, then the newest."""
    return queryset.annotate(
        waiting=Case(
            When(status=PENDING, then=Value(0)), default=Value(1), output_field=IntegerField()
        )
    ).order_by("waiting", "-created_at", "-id")


def for_contract(contract_id: str, limit: int = 10) -> list[Approval]:
    return list(pending_first(Approval.objects.filter(contract_id=contract_id))[:limit])
