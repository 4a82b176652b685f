"""The approvals the dashboard asked OpenTrain for: storing them, and the worker's updates.

No HTTP here: the sync worker reads approvals from OpenTrain and hands them to `apply`. The
database row is the dashboard's memory of who asked for what; OpenTrain stays the source of truth
for the status.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from dashboard import access, opentrain, services
from dashboard.models import Approval, HandoffAttempt
from dashboard.opentrain import OpenTrainError
from dashboard.opentrain.problems import Problem, explain

CALLS = {
    "fund": opentrain.fund_milestone,
    "approve": opentrain.approve_milestone,
    "end": opentrain.end_contract,
}
APPROVAL_TYPES = {"fund": "milestone_fund", "approve": "milestone_approve", "end": "contract_end"}
# How far back a failed request counts as the one a new request retries.
RETRY_LOOKBACK = timedelta(days=1)


@dataclass
class Outcome:
    """What one handoff request came to: the attempt as logged, the approval to follow (if
    any), and, when it failed, the reason in words."""

    attempt: HandoffAttempt
    approval: Approval | None = None
    already: bool = False  # the approval was already asked for: nothing new was asked
    problem: Problem | None = None


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


def request(
    action: str,
    target_id: str,
    *,
    token: str,
    user,
    account,
    contract: opentrain.Contract | None,
    submission=None,
) -> Outcome:
    """Ask OpenTrain for a funding, payout or end (one call, logged as an attempt). A request
    whose approval is stored and still pending is not sent again: a double click, a resubmit or
    "ask again" lands on the same approval, as OpenTrain itself would answer."""
    milestone_id = target_id if action != "end" else ""
    attempt = HandoffAttempt(
        action=action,
        user=user if user.is_authenticated else None,
        contract_id=(contract.id if contract else "") or (target_id if action == "end" else ""),
        contract_title=contract.title if contract else "",
        milestone_id=milestone_id,
        milestone_label=_label(contract, milestone_id),
        submission=submission,
        retry_of=failed_before(action, target_id),
    )
    pending = _stored_pending(action, target_id, token)
    if pending is not None:
        attempt.succeed(pending.approval_id)
        return Outcome(attempt, pending, already=True)
    try:
        handoff = CALLS[action](token, target_id)
    except OpenTrainError as error:
        attempt.fail(error)
        access.learn(account, error)
        return Outcome(attempt, problem=explain(error))
    access.succeeded(account, action)
    if handoff.approval is not None and handoff.approval.id:
        row, created = record(handoff.approval, user=user, token=token, contract=contract)
        attempt.succeed(row.approval_id)
        return Outcome(attempt, row, already=not created)
    attempt.succeed()
    if handoff.done:
        return Outcome(attempt)
    return Outcome(
        attempt,
        problem=Problem(
            "unknown",
            "OpenTrain answered without an approval",
            "OpenTrain accepted the request but sent no approval to follow. Check the "
            "contract in OpenTrain before asking again.",
        ),
    )


def problem_for(attempt: HandoffAttempt) -> Problem | None:
    """A failed request's stored answer, in words."""
    if attempt.state != HandoffAttempt.State.FAILED:
        return None
    return explain(
        OpenTrainError(
            attempt.error_message,
            status=attempt.error_status,
            code=attempt.error_code,
            request_id=attempt.request_id or None,
            details=attempt.error_details,
        )
    )


def _label(contract: opentrain.Contract | None, milestone_id: str) -> str:
    if contract is None or not milestone_id:
        return ""
    milestone = next((m for m in contract.milestones if m.id == milestone_id), None)
    return milestone_label(milestone) if milestone is not None else ""


def _stored_pending(action: str, target_id: str, token: str) -> Approval | None:
    rows = Approval.objects.filter(
        type=APPROVAL_TYPES[action],
        status=Approval.PENDING,
        token_fingerprint=services.token_fingerprint(token),
    )
    rows = (
        rows.filter(milestone_id=target_id)
        if action != "end"
        else rows.filter(contract_id=target_id)
    )
    now = timezone.now()
    return next((a for a in rows if a.expires_at is None or a.expires_at > now), None)


def failed_before(action: str, target_id: str) -> HandoffAttempt | None:
    since = timezone.now() - RETRY_LOOKBACK
    rows = HandoffAttempt.objects.filter(
        action=action, state=HandoffAttempt.State.FAILED, created_at__gte=since
    )
    rows = (
        rows.filter(milestone_id=target_id)
        if action != "end"
        else rows.filter(contract_id=target_id)
    )
    return rows.order_by("-created_at", "-id").first()


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
