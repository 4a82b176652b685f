"""What OpenTrain answers, as small dataclasses: contracts, milestones, approvals, who asks.

They tolerate extra fields and unknown enum values. They are shared between requests through the
cache, so treat them as read-only (they are not frozen: frozen dataclasses cost twice as much to
build, and a list page builds thousands). Money is `Decimal`, never float. No HTTP here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import Any

from dashboard.opentrain.vocabulary import APPROVAL_TERMINAL


def as_decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    # The transport already made JSON numbers Decimal (or int): no second trip through str.
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, int):
        return Decimal(value)
    try:
        result = Decimal(str(value))
    except ArithmeticError:
        return None
    return result if result.is_finite() else None


def _str(value: Any) -> str:
    return "" if value is None else str(value)


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


@dataclass
class Freelancer:
    user_id: str
    display_name: str
    country: str
    profile_path: str

    @classmethod
    def from_api(cls, data: Any) -> Freelancer:
        data = _dict(data)
        return cls(
            user_id=_str(data.get("userId")),
            display_name=_str(data.get("displayName")),
            country=_str(data.get("country")),
            profile_path=_str(data.get("profilePath")),
        )


@dataclass
class Milestone:
    id: str
    name: str
    description: str
    status: str
    amount_usd: Decimal | None
    volume: Decimal | None
    number: int | None
    due_date: str
    pending_approval: bool
    needs_review: bool
    invoice_id: str
    created_at: str

    @classmethod
    def from_api(cls, data: Any) -> Milestone:
        data = _dict(data)
        number = data.get("milestoneNumber")
        return cls(
            id=_str(data.get("id")),
            name=_str(data.get("name")),
            description=_str(data.get("description")),
            status=_str(data.get("status")),
            amount_usd=as_decimal(data.get("amountUsd")),
            volume=as_decimal(data.get("volume")),
            number=number if isinstance(number, int) else None,
            due_date=_str(data.get("dueDate")),
            pending_approval=bool(data.get("pendingApproval")),
            needs_review=bool(data.get("needsReview")),
            invoice_id=_str(data.get("invoiceId")),
            created_at=_str(data.get("createdAt")),
        )


@dataclass
class Budget:
    payment_type: str
    state: str
    funded_volume: Decimal | None
    funded_amount_usd: Decimal | None
    consumed_volume: Decimal | None
    remaining_volume: Decimal | None
    consumed_fraction: Decimal | None
    active_milestone: dict
    last_usage_at: str

    @classmethod
    def from_api(cls, data: Any) -> Budget | None:
        if not isinstance(data, dict):
            return None
        return cls(
            payment_type=_str(data.get("paymentType")),
            state=_str(data.get("state")),
            funded_volume=as_decimal(data.get("fundedVolume")),
            funded_amount_usd=as_decimal(data.get("fundedAmountUsd")),
            consumed_volume=as_decimal(data.get("consumedVolume")),
            remaining_volume=as_decimal(data.get("remainingVolume")),
            consumed_fraction=as_decimal(data.get("consumedFraction")),
            active_milestone=_dict(data.get("activeMilestone")),
            last_usage_at=_str(data.get("lastUsageAt")),
        )


@dataclass
class Contract:
    id: str
    status: str
    title: str
    job_id: str
    payment_type: str
    rate_usd: Decimal | None
    estimated_total_usd: Decimal | None
    estimated_volume: Decimal | None
    has_active_milestone: bool
    start_date: str
    end_date: str
    created_at: str
    updated_at: str
    freelancer: Freelancer
    budget: Budget | None = None
    # Milestones stay raw until a page reads them: a list view of 5,000 contracts shows 25.
    milestones_data: tuple[dict, ...] = field(default=(), repr=False, compare=False)
    # The object as received, for the mirror to store.
    raw: dict = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_api(cls, data: Any) -> Contract:
        data = _dict(data)
        milestones = data.get("milestones")
        return cls(
            id=_str(data.get("id")),
            status=_str(data.get("status")),
            title=_str(data.get("title")),
            job_id=_str(data.get("jobId")),
            payment_type=_str(data.get("paymentType")),
            rate_usd=as_decimal(data.get("rateUsd")),
            estimated_total_usd=as_decimal(data.get("estimatedTotalUsd")),
            estimated_volume=as_decimal(data.get("estimatedVolume")),
            has_active_milestone=bool(data.get("hasActiveMilestone")),
            start_date=_str(data.get("startDate")),
            end_date=_str(data.get("endDate")),
            created_at=_str(data.get("createdAt")),
            updated_at=_str(data.get("updatedAt")),
            freelancer=Freelancer.from_api(data.get("freelancer")),
            budget=Budget.from_api(data.get("budget")),
            milestones_data=tuple(
                m
                for m in (milestones if isinstance(milestones, list) else [])
                if isinstance(m, dict)
            ),
            raw=data,
        )

    @cached_property
    def milestones(self) -> tuple[Milestone, ...]:
        return tuple(Milestone.from_api(m) for m in self.milestones_data)

    @property
    def is_active(self) -> bool:
        return self.status == "active"

    @property
    def latest_milestone(self) -> Milestone | None:
        if not self.milestones:
            return None
        return max(self.milestones, key=lambda m: (m.number or 0, m.created_at))


@dataclass
class Approval:
    id: str
    type: str
    status: str
    contract_id: str
    milestone_id: str
    approval_url: str
    expires_at: str
    resolved_at: str
    created_at: str
    result: dict
    raw: dict = field(repr=False, compare=False, default_factory=dict)

    TERMINAL = APPROVAL_TERMINAL

    @classmethod
    def from_api(cls, data: Any) -> Approval:
        data = _dict(data)
        return cls(
            id=_str(data.get("id")),
            type=_str(data.get("type")),
            status=_str(data.get("status")),
            contract_id=_str(data.get("contractId")),
            milestone_id=_str(data.get("milestoneId")),
            approval_url=_str(data.get("approvalUrl")),
            expires_at=_str(data.get("expiresAt")),
            resolved_at=_str(data.get("resolvedAt")),
            created_at=_str(data.get("createdAt")),
            result=_dict(data.get("result")),
            raw=data,
        )

    @property
    def is_terminal(self) -> bool:
        return self.status in self.TERMINAL


@dataclass
class Handoff:
    """What a money-moving request answered: a pending approval, or (contract end) done at once."""

    approval: Approval | None
    message: str
    done: bool = False

    @classmethod
    def from_api(cls, data: Any) -> Handoff:
        data = _dict(data)
        approval = data.get("approval")
        return cls(
            approval=Approval.from_api(approval) if isinstance(approval, dict) else None,
            message=_str(data.get("message")),
            done=bool(data.get("ok")),
        )


@dataclass
class Me:
    user_email: str
    user_name: str
    token_label: str
    scopes: tuple[str, ...]
    organization_id: str

    @classmethod
    def from_api(cls, data: Any) -> Me:
        data = _dict(data)
        actor, token, account = (_dict(data.get(k)) for k in ("actor", "token", "account"))
        scopes = token.get("scopes")
        return cls(
            user_email=_str(actor.get("email")),
            user_name=_str(actor.get("fullName")),
            token_label=_str(token.get("label")),
            scopes=tuple(str(s) for s in scopes) if isinstance(scopes, list) else (),
            organization_id=_str(account.get("organizationId")),
        )

    def has_scope(self, scope: str) -> bool:
        if scope in self.scopes:
            return True
        # A :write scope covers its :read.
        return scope.endswith(":read") and scope.replace(":read", ":write") in self.scopes


def contracts_from(body: Any) -> list[Contract]:
    """The contracts in a list answer (`{"contracts": [...]}`); anything else is skipped."""
    contracts = body.get("contracts") if isinstance(body, dict) else None
    return [
        Contract.from_api(c)
        for c in (contracts if isinstance(contracts, list) else [])
        if isinstance(c, dict)
    ]


@dataclass
class Event:
    """One record of the updates feed; it carries IDs only."""

    id: str
    type: str
    created_at: str
    resource_id: str
    data: dict

    @classmethod
    def from_api(cls, data: Any) -> Event:
        data = _dict(data)
        return cls(
            id=_str(data.get("id")),
            type=_str(data.get("type")),
            created_at=_str(data.get("createdAt")),
            resource_id=_str(data.get("resourceId")),
            data=_dict(data.get("data")),
        )

    @property
    def contract_id(self) -> str:
        found = _str(self.data.get("contractId"))
        if not found and self.type.startswith("contract."):
            found = self.resource_id
        return found

    @property
    def approval_id(self) -> str:
        found = _str(self.data.get("approvalId"))
        if not found and self.type.startswith("approval."):
            found = self.resource_id
        return found


@dataclass
class UpdatesPage:
    events: list[Event]
    next_cursor: str
    has_more: bool
