"""The API's words and what the dashboard calls them: payment models, statuses, timestamps.

The one owner of these facts: templates, forms, results and models read them from here.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.utils.dateparse import parse_datetime

PAYMENT_TYPES = {
    "FIXED_PRICE": "Fixed price",
    "PAY_PER_HOUR": "Hourly",
    "PAY_PER_LABEL": "Per label",
}
# What a rate is per, singular and plural; fixed-price contracts have no unit.
UNITS = {"PAY_PER_HOUR": ("hour", "hours"), "PAY_PER_LABEL": ("label", "labels")}

CONTRACT_STATUSES = {"active": "Active", "ended": "Ended"}
MILESTONE_STATUSES = {
    "NOT_FUNDED": "Not funded",
    "ACTIVE_FUNDED": "Active and funded",
    "PAID": "Paid",
    "APPROVED": "Approved",
    "PENDING_APPROVAL": "Pending approval",
    "DISPUTED": "Disputed",
    "CANCELLED": "Cancelled",
    "REFUNDED": "Refunded",
}
# A milestone still to be paid is in one of these; one left unfunded past the grace period
# needs the PM.
NOT_FUNDED, FUNDED = "NOT_FUNDED", "ACTIVE_FUNDED"
OPEN_STATUSES = (NOT_FUNDED, FUNDED)
UNFUNDED_GRACE = timedelta(days=1)

# Money's four words (the spend page, its help and its exports), defined once. Statuses past
# ACTIVE_FUNDED that the API has not shown yet are read as its docs name them (section 7).
CANCELLED_STATUSES = frozenset({"CANCELLED", "REFUNDED"})
PAID = "PAID"
UNDER_REVIEW_STATUSES = frozenset({"PENDING_APPROVAL", "APPROVED", "DISPUTED"})
FUNDED_STATUSES = frozenset({FUNDED, PAID, *UNDER_REVIEW_STATUSES})
SPEND_TERMS = {
    "committed": "Every milestone that is not cancelled or refunded, funded or not.",
    "funded": "Money put in escrow: milestones active and funded, and every status after that.",
    "used": "Hourly and per-label contracts: the volume used times the rate. Fixed price: funded "
    "milestones under review or paid.",
    "paid": "Released to the AI trainer.",
}


def is_used_fixed_price(status: str, needs_review: bool, pending_approval: bool) -> bool:
    """Whether a fixed-price milestone's amount counts as used: funded and under review, or paid."""
    if status == PAID or status in UNDER_REVIEW_STATUSES:
        return True
    return status == FUNDED and (needs_review or pending_approval)


APPROVAL_TYPES = {
    "milestone_fund": "Fund milestone",
    "milestone_approve": "Release payout",
    "contract_end": "End contract",
    "proposal_hire": "Hire",
}
APPROVAL_PENDING = "pending"
APPROVAL_CONFIRMED = "confirmed"
# Once an approval is in one of these, it never changes again: no need to ask OpenTrain.
APPROVAL_TERMINAL = frozenset({APPROVAL_CONFIRMED, "declined", "expired"})
APPROVAL_STATUSES = {
    APPROVAL_PENDING: "Waiting for confirmation",
    APPROVAL_CONFIRMED: "Confirmed",
    "declined": "Declined",
    "expired": "Expired",
}


def parse_timestamp(value: str | None) -> datetime | None:
    """An ISO 8601 timestamp (or date) from the API as a datetime; None if empty or unreadable."""
    if not value:
        return None
    try:
        return parse_datetime(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


# The fixed words of the API's paths; any other segment is an ID (or something unknown), which
# `route_template` replaces so that metrics count `/contracts/{id}`, never one label per contract.
ROUTE_WORDS = frozenset(
    {
        "_sandbox",
        "accounts",
        "approvals",
        "approve",
        "auth",
        "capabilities",
        "contracts",
        "end",
        "fund",
        "job-drafts",
        "me",
        "milestones",
        "payments",
        "pending",
        "updates",
        "webhooks",
    }
)


def route_template(path: str) -> str:
    """`/contracts/ctr_1/milestones?x=1` -> `/contracts/{id}/milestones`: no IDs, no query."""
    segments = path.partition("?")[0].split("/")
    return "/".join(s if not s or s in ROUTE_WORDS else "{id}" for s in segments)


def milestone_cost(rate: Decimal | None, volume: Decimal | None) -> Decimal | None:
    """What `volume` hours or labels cost at `rate`, to the cent (as OpenTrain prices it)."""
    if rate is None or volume is None:
        return None
    return (rate * volume).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
