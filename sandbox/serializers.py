"""The API's JSON, which webhooks and the sandbox's pages also send or show: sandbox rows in,
OpenTrain's field names, numbers and timestamps out."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal

from django.urls import reverse

from .models import Approval, Contract, Event, Milestone, Webhook


def num(value: Decimal | int | None) -> int | float | None:
    """A JSON number for a Decimal: an int when whole, else the float whose repr is the decimal.

    Two- and four-decimal values round-trip exactly through float's shortest repr (0.07 -> 0.07).
    """
    if value is None:
        return None
    value = Decimal(value)
    if value == value.to_integral_value():
        return int(value)
    return float(value.normalize())


def ts(value: datetime | None) -> str | None:
    if value is None:
        return None
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def day(value: date | None) -> str | None:
    return None if value is None else f"{value.isoformat()}T00:00:00.000Z"


def milestone_json(m: Milestone) -> dict:
    return {
        "id": m.id,
        "name": m.name,
        "description": m.description,
        "status": m.status,
        "amountUsd": num(m.amount_usd),
        "volume": num(m.volume),
        "milestoneNumber": m.number,
        "dueDate": day(m.due_date),
        "pendingApproval": m.pending_approval,
        "needsReview": m.needs_review,
        "invoiceId": m.invoice_id or None,
        "createdAt": ts(m.created_at),
    }


def contract_json(c: Contract) -> dict:
    # Uses the prefetched milestones when there are some (the list view prefetches).
    milestones = [m for m in c.milestones.all() if m.status not in Milestone.HIDDEN]
    return {
        "id": c.id,
        "status": c.status,
        "title": c.title,
        "jobId": c.job_id,
        "proposalId": c.proposal_id or None,
        "paymentType": c.payment_type,
        "rateUsd": num(c.rate_usd),
        "estimatedTotalUsd": num(c.estimated_total_usd),
        "estimatedVolume": num(c.estimated_volume),
        "hasActiveMilestone": any(m.status == Milestone.ACTIVE_FUNDED for m in milestones),
        "startDate": ts(c.start_date),
        "endDate": ts(c.end_date),
        "createdAt": ts(c.created_at),
        "updatedAt": ts(c.updated_at),
        "freelancer": {
            "userId": c.freelancer_user_id,
            "displayName": c.freelancer_display_name,
            "country": c.freelancer_country,
            "profilePath": c.freelancer_profile_path,
        },
        "milestones": [milestone_json(m) for m in milestones],
    }


def budget_json(c: Contract) -> dict:
    """The budget: funded vs consumed volume (hours for hourly, labels for per-label)."""
    funded = [
        m for m in c.milestones.all() if m.status in (Milestone.ACTIVE_FUNDED, Milestone.PAID)
    ]
    funded_volume = sum((m.volume or Decimal(0) for m in funded), Decimal(0))
    funded_amount = sum((m.amount_usd for m in funded), Decimal(0))
    hours = (Decimal(c.consumed_seconds) / 3600).quantize(Decimal("0.0001"))
    if c.payment_type == Contract.PAY_PER_HOUR:
        consumed_volume = hours
    elif c.payment_type == Contract.PAY_PER_LABEL:
        consumed_volume = Decimal(c.consumed_labels)
    else:
        consumed_volume = Decimal(0)
    fraction = Decimal(0)
    if funded_volume > 0:
        fraction = (consumed_volume / funded_volume).quantize(
            Decimal("0.0001"), rounding=ROUND_HALF_UP
        )
    state = "OK"
    if c.payment_type != Contract.FIXED_PRICE and funded_volume > 0:
        if fraction >= 1:
            state = "DEPLETED"
        elif fraction >= Decimal("0.8"):
            state = "LOW"
    active = [m for m in funded if m.status == Milestone.ACTIVE_FUNDED]
    current = active[-1] if active else None
    return {
        "contractId": c.id,
        "paymentType": c.payment_type,
        "state": state,
        "fundedVolume": num(funded_volume),
        "fundedAmountUsd": num(funded_amount),
        "consumed": {
            "seconds": c.consumed_seconds,
            "hours": num(hours),
            "labels": c.consumed_labels,
            "tasks": c.consumed_tasks,
        },
        "consumedVolume": num(consumed_volume),
        "remainingVolume": num(max(funded_volume - consumed_volume, Decimal(0))),
        "consumedFraction": num(fraction),
        "activeMilestone": None
        if current is None
        else {
            "id": current.id,
            "name": current.name,
            "amountUsd": num(current.amount_usd),
            "volume": num(current.volume),
            "status": current.status,
        },
        "lastUsageAt": ts(c.last_usage_at),
    }


def approval_json(request, a: Approval) -> dict:
    return {
        "id": a.id,
        "type": a.type,
        "status": a.status,
        "contractId": a.contract_id,
        "milestoneId": a.milestone_id,
        "jobId": a.contract.job_id,
        "proposalId": None,
        "approvalUrl": request.build_absolute_uri(reverse("sandbox:approval", args=[a.id])),
        "expiresAt": ts(a.expires_at),
        "resolvedAt": ts(a.resolved_at),
        "result": a.result,
        "createdAt": ts(a.created_at),
    }


def event_json(e: Event) -> dict:
    return {
        "id": e.event_id,
        "type": e.type,
        "apiVersion": "v1",
        "createdAt": ts(e.created_at),
        "resourceId": e.resource_id,
        "jobId": e.job_id or None,
        "data": e.data,
    }


def webhook_json(w: Webhook) -> dict:
    return {
        "id": w.id,
        "url": w.url,
        "eventTypes": w.event_types,
        "status": w.status,
        "createdAt": ts(w.created_at),
        "disabledAt": ts(w.disabled_at),
        "disabledReason": w.disabled_reason or None,
    }


def pending_payment_json(a: Approval) -> dict:
    """A pending funding or payout, as `GET /payments/pending` lists it (from its approval)."""
    funding = a.type == Approval.MILESTONE_FUND
    return {
        "id": a.invoice_id,
        "status": "PENDING_FUNDING" if funding else "PENDING_PAYOUT",
        "invoiceKind": "FUNDING",
        "viewerRole": "EMPLOYER",
        "amountUsd": num(a.milestone.amount_usd),
        "createdAt": ts(a.created_at),
        "invoiceNumber": invoice_number(a.invoice_id),
        "job": {"id": a.contract.job_id, "title": a.contract.title},
        "milestone": {"id": a.milestone_id, "name": a.milestone.name},
    }


def invoice_number(invoice_id: str) -> str:
    return "SBX-" + invoice_id.removeprefix("inv_")[:8].upper()
