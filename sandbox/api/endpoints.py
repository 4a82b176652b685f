"""The sandbox's OpenTrain Public API, `/api/public/v1/...`, as opentrain-api.md describes it.

Every view goes through `@api_view`, which answers wrong methods with 405, applies the injected
faults (faults.py) and turns `ApiError` into the error envelope
`{"error", "code", "requestId", "details"?}`.

Checks run in one order, so a request that breaks several rules always gets the same answer:

1. token: missing, unknown, revoked or expired -> 401 UNAUTHORIZED;
2. scope -> 403 FORBIDDEN with `details.requiredScopes` (a `:write` scope covers its `:read`);
3. feature flag -> 403 with `details.featureKey` and `details.mode`;
4. claim (money and milestone writes) -> 403 `details.reason: "account_claim_required"`;
5. the resource: missing or another account's -> 404 NOT_FOUND;
6. the body: invalid JSON or a field error -> 400 BAD_REQUEST with `details.field`;
7. the state -> 409 CONFLICT with `details.reason`.

Milestone create needs the contract's rate to check `amountUsd == rate x volume`, so that one
400 comes after the 409 `contract_rate_missing` it depends on.
"""

from __future__ import annotations

import json
import logging
import uuid
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import wraps

from django.contrib.auth.decorators import login_not_required
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.http import JsonResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from . import faults
from .models import Account, Approval, Contract, Milestone, Token

logger = logging.getLogger("dashboard.sandbox")

CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "BAD_REQUEST",
    409: "CONFLICT",
    429: "RATE_LIMITED",
}
PAYMENTS_WRITE_FEATURE = "public_api_payments_write"
JOB_DRAFTING_FEATURE = "public_api_job_drafting"
CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("9999999999.99")  # what Decimal(12, 2) holds
MAX_VOLUME = Decimal("9999999999.9999")  # Decimal(14, 4)

MESSAGES = {
    Approval.MILESTONE_FUND: "Funding request recorded. A signed-in human must confirm this "
    "approval in the OpenTrain app before any money moves.",
    Approval.MILESTONE_APPROVE: "Release request recorded. A signed-in human must confirm this "
    "approval in the OpenTrain app before any money moves.",
    Approval.CONTRACT_END: "This contract has funded milestones, so a signed-in human must "
    "confirm ending it in the OpenTrain app.",
}


class ApiError(Exception):
    def __init__(self, status: int, message: str, details: dict | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = details


def error_response(status: int, message: str, details: dict | None = None) -> JsonResponse:
    body = {"error": message, "code": CODES.get(status, "INTERNAL_ERROR")}
    body["requestId"] = str(uuid.uuid4())
    if details:
        body["details"] = details
    return JsonResponse(body, status=status)


def api_view(*methods: str):
    """Wrap an API view: open to tokens (no session, no CSRF), 405s, faults, the envelope."""

    def decorate(view):
        @login_not_required
        @csrf_exempt
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method not in methods:
                response = error_response(
                    405,
                    f"Method {request.method} is not allowed here.",
                    {"allowedMethods": list(methods)},
                )
                response["Allow"] = ", ".join(methods)
                return response
            injected = faults.for_request(request, _account_for_faults(request))
            if injected:
                instead = faults.before(injected)
                if instead is not None:
                    return instead
            try:
                response = view(request, *args, **kwargs)
            except ApiError as exc:
                response = error_response(exc.status, exc.message, exc.details)
            except Exception:
                # The real API answers its envelope even when it breaks; so does the sandbox.
                logger.exception("sandbox API view failed")
                response = error_response(500, "Internal error in the OpenTrain sandbox.")
            if injected:
                response = faults.after(injected, request, response)
            return response

        return wrapper

    return decorate


# --- serialization ---------------------------------------------------------------------------


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


# --- auth and permission checks --------------------------------------------------------------


def _bearer(request) -> str:
    scheme, _, value = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def _account_for_faults(request) -> Account | None:
    value = _bearer(request)
    if not value:
        return None
    token = Token.objects.select_related("account").filter(value=value).first()
    return token.account if token else None


def authenticate(request) -> Token:
    value = _bearer(request)
    if not value:
        raise ApiError(401, "Missing bearer token. Send Authorization: Bearer ot_pat_...")
    token = Token.objects.select_related("account").filter(value=value).first()
    if token is None or not token.is_usable():
        raise ApiError(401, "Invalid, expired or revoked API token.")
    return token


def require_scope(token: Token, scope: str) -> None:
    if not token.has_scope(scope):
        raise ApiError(
            403,
            f"This token lacks the {scope} scope.",
            {"requiredScopes": [scope], "resource": scope.split(":")[0]},
        )


def require_payments_write(request, token: Token, action: str) -> Account:
    """Scope, then the feature flag, then the claim: what every milestone and money write needs."""
    require_scope(token, "payments:write")
    account = token.account
    if not account.payments_write_enabled:
        raise ApiError(
            403,
            f"The {PAYMENTS_WRITE_FEATURE} feature is not enabled for this account.",
            {"featureKey": PAYMENTS_WRITE_FEATURE, "mode": "OFF"},
        )
    if not account.claimed:
        raise ApiError(
            403,
            f"A human must claim this agent account before it can {action}.",
            {
                "reason": "account_claim_required",
                "action": action,
                "claimUrl": request.build_absolute_uri(
                    reverse("sandbox:claim", args=[account.claim_token])
                ),
            },
        )
    return account


def _conflict(reason: str, message: str, **extra) -> ApiError:
    return ApiError(409, message, {"reason": reason, **extra})


def _get_contract(account: Account, contract_id: str, *, lock=False) -> Contract:
    query = Contract.objects.filter(account=account, id=contract_id)
    if lock:
        query = query.select_for_update()
    contract = query.first()
    if contract is None:
        raise ApiError(
            404, "Contract not found.", {"resource": "contracts", "contractId": contract_id}
        )
    return contract


def _get_milestone(account: Account, milestone_id: str) -> Milestone:
    milestone = (
        Milestone.objects.select_for_update()
        .select_related("contract")
        .filter(id=milestone_id, contract__account=account)
        .first()
    )
    if milestone is None:
        raise ApiError(
            404, "Milestone not found.", {"resource": "milestones", "milestoneId": milestone_id}
        )
    return milestone


# --- endpoints -------------------------------------------------------------------------------


@api_view("GET")
def me(request):
    token = authenticate(request)
    account = token.account
    return JsonResponse(
        {
            "actor": {
                "userId": account.owner_user_id,
                "email": account.owner_email,
                "firstName": account.owner_first_name,
                "lastName": account.owner_last_name,
                "fullName": f"{account.owner_first_name} {account.owner_last_name}".strip(),
                "userType": "EMPLOYER",
            },
            "token": {
                "id": token.public_id,
                "label": token.label,
                "scopes": token.scopes,
                "ownerOrganizationId": None,
            },
            "account": {
                "kind": "employer_organization",
                "organizationId": account.organization_id,
                "ownerUserId": account.owner_user_id,
                "memberRole": "OWNER",
            },
        }
    )


@api_view("GET")
def capabilities(request):
    token = authenticate(request)
    account = token.account
    if not account.job_drafting_enabled:
        raise ApiError(
            403,
            f"The {JOB_DRAFTING_FEATURE} feature is not enabled for this account.",
            {"featureKey": JOB_DRAFTING_FEATURE, "mode": "OFF"},
        )
    return JsonResponse(
        {
            "featureKey": JOB_DRAFTING_FEATURE,
            "namespace": "job-drafts",
            "rolloutMode": "ALL",
            "actorIsAdmin": False,
            "capabilities": {
                "draftImport": True,
                "draftCreate": True,
                "draftUpdate": True,
                "draftUrlRead": True,
                "publish": True,
                "hiring": account.claimed,
                "messagingWrites": account.claimed,
                "team": True,
                "paymentsWrite": account.payments_write_enabled,
                "credits": False,
                "webhooks": False,
            },
            "draft": {
                "importFormats": ["markdown", "json"],
                "updateKeys": ["title", "description", "paymentType", "budget", "skills"],
                "enums": {
                    "paymentType": ["PAY_PER_LABEL", "PAY_PER_HOUR", "FIXED_PRICE"],
                    "experienceLevel": ["ENTRY", "INTERMEDIATE", "EXPERT"],
                    "dataVolumeUnit": ["LABELS", "HOURS", "TASKS"],
                },
            },
            "authBootstrap": "token",
            "enabled": True,
        }
    )


@api_view("GET")
def contract_list(request):
    token = authenticate(request)
    require_scope(token, "payments:read")
    account = token.account
    contracts = Contract.objects.filter(account=account)
    job_id = request.GET.get("jobId")
    if job_id is not None:
        # Jobs exist only through their contracts here: a job known on another account is
        # theirs (403); a job known nowhere does not exist (404).
        if not contracts.filter(job_id=job_id).exists():
            if Contract.objects.filter(job_id=job_id).exists():
                raise ApiError(403, "This job belongs to another account.", {"jobId": job_id})
            raise ApiError(404, "Job not found.", {"resource": "jobs", "jobId": job_id})
        contracts = contracts.filter(job_id=job_id)
    status = request.GET.get("status")
    if status is not None:
        if status not in (Contract.ACTIVE, Contract.ENDED):
            raise ApiError(400, "status must be 'active' or 'ended'.", {"field": "status"})
        contracts = contracts.filter(status=status)
    contracts = contracts.prefetch_related("milestones")
    return JsonResponse({"contracts": [contract_json(c) for c in contracts]})


@api_view("GET")
def contract_detail(request, contract_id):
    token = authenticate(request)
    require_scope(token, "payments:read")
    contract = _get_contract(token.account, contract_id)
    body = contract_json(contract)
    body["jobDmConversationId"] = contract.job_dm_conversation_id or None
    body["budget"] = budget_json(contract)
    return JsonResponse({"contract": body})


@api_view("POST")
def milestone_create(request, contract_id):
    token = authenticate(request)
    account = require_payments_write(request, token, "create milestones")
    contract = _get_contract(account, contract_id)
    fields = _milestone_fields(request, contract)
    hourly_or_labels = contract.payment_type != Contract.FIXED_PRICE
    if not contract.is_active:
        raise _conflict("contract_ended", "This contract has ended.")
    amount, volume = fields["amount"], fields["volume"]
    if hourly_or_labels:
        if contract.rate_usd is None:
            raise _conflict(
                "contract_rate_missing", "This contract has no rate to validate the amount against."
            )
        expected = (contract.rate_usd * volume).quantize(CENT, rounding=ROUND_HALF_UP)
        if amount is None:
            amount = expected
        elif amount != expected:
            raise ApiError(
                400,
                f"amountUsd must equal the contract rate x volume ({expected}).",
                {"field": "amountUsd", "expectedAmountUsd": num(expected)},
            )
        if amount <= 0:
            raise ApiError(400, "The amount for this volume rounds to $0.", {"field": "volume"})
    milestone = _create_milestone(contract.id, account, fields, amount, volume)
    return JsonResponse({"milestone": milestone_json(milestone)}, status=201)


def _create_milestone(contract_id, account, fields, amount, volume) -> Milestone:
    """Number milestones 1, 2, ... per contract, safely when requests race."""
    for _attempt in range(5):
        try:
            with transaction.atomic():
                # Lock the contract row so concurrent creates take numbers one after another;
                # the unique constraint catches databases without row locks.
                contract = _get_contract(account, contract_id, lock=True)
                if not contract.is_active:
                    raise _conflict("contract_ended", "This contract has ended.")
                last = contract.milestones.aggregate(n=Max("number"))["n"] or 0
                milestone = Milestone.objects.create(
                    contract=contract,
                    number=last + 1,
                    name=fields["name"],
                    description=fields["description"],
                    amount_usd=amount,
                    volume=volume,
                    due_date=fields["due_date"],
                )
                contract.updated_at = milestone.created_at
                contract.save(update_fields=["updated_at"])
                return milestone
        except IntegrityError:
            continue
    raise ApiError(409, "Could not allocate a milestone number; try again.", {"reason": "busy"})


def _milestone_fields(request, contract: Contract) -> dict:
    """Validate the create body; raise 400 naming the first bad field."""
    try:
        body = json.loads(request.body or b"", parse_float=Decimal)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "Request body must be valid JSON.") from None
    if not isinstance(body, dict):
        raise ApiError(400, "Request body must be a JSON object.")

    description = body.get("description")
    if not isinstance(description, str) or not description.strip():
        raise ApiError(
            400, "description is required and must be non-empty.", {"field": "description"}
        )
    name = body.get("name")
    if name is not None and not isinstance(name, str):
        raise ApiError(400, "name must be a string.", {"field": "name"})

    amount = _positive(body, "amountUsd", places=2, maximum=MAX_AMOUNT)
    volume = _positive(body, "volume", places=4, maximum=MAX_VOLUME)
    due_date = _due_date(body.get("dueDate"))

    if contract.payment_type == Contract.FIXED_PRICE:
        if amount is None:
            raise ApiError(
                400, "amountUsd is required for fixed-price contracts.", {"field": "amountUsd"}
            )
    elif volume is None:
        raise ApiError(
            400, "volume is required for hourly and per-label contracts.", {"field": "volume"}
        )
    return {
        "description": description.strip(),
        "name": (name or "").strip(),
        "amount": amount,
        "volume": volume,
        "due_date": due_date,
    }


def _positive(body: dict, field: str, *, places: int, maximum: Decimal) -> Decimal | None:
    if field not in body or body[field] is None:
        return None
    value = body[field]
    # JSON numbers only: strings, booleans, NaN and Infinity (floats here) are refused.
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise ApiError(400, f"{field} must be a number.", {"field": field})
    value = Decimal(value)
    if not value.is_finite() or value <= 0:
        raise ApiError(400, f"{field} must be positive.", {"field": field})
    if value > maximum:
        raise ApiError(400, f"{field} is too large.", {"field": field})
    if value != value.quantize(Decimal(1).scaleb(-places)):
        raise ApiError(400, f"{field} has more than {places} decimal places.", {"field": field})
    return value


def _due_date(value) -> date | None:
    if value is None:
        return None
    bad = ApiError(400, "dueDate must be an ISO 8601 date.", {"field": "dueDate"})
    if not isinstance(value, str):
        raise bad
    try:
        return date.fromisoformat(value)
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise bad from None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC)
    return parsed.date()


def _pending_approval(token, contract, milestone, kind) -> Approval:
    """The pending approval for this action, or a new one: re-requests are idempotent."""
    existing = Approval.objects.filter(
        type=kind, contract=contract, milestone=milestone, status=Approval.PENDING
    ).first()
    if existing is not None and not existing.expire_if_due():
        return existing
    return Approval.objects.create(type=kind, contract=contract, milestone=milestone, token=token)


def _handoff(request, approval: Approval) -> JsonResponse:
    return JsonResponse(
        {"approval": approval_json(request, approval), "message": MESSAGES[approval.type]},
        status=202,
    )


@api_view("POST")
def milestone_fund(request, milestone_id):
    token = authenticate(request)
    account = require_payments_write(request, token, "fund milestones")
    with transaction.atomic():
        milestone = _get_milestone(account, milestone_id)
        contract = milestone.contract
        if not contract.is_active:
            raise _conflict("contract_ended", "This contract has ended.")
        if milestone.status != Milestone.NOT_FUNDED:
            raise _conflict(
                "milestone_not_fundable",
                f"Only NOT_FUNDED milestones can be funded; this one is {milestone.status}.",
                status=milestone.status,
            )
        if not account.has_payment_method:
            raise _conflict(
                "payment_method_required",
                "Add a payment method before funding milestones.",
                billingUrl=request.build_absolute_uri(
                    reverse("sandbox:billing", args=[account.organization_id])
                ),
            )
        approval = _pending_approval(token, contract, milestone, Approval.MILESTONE_FUND)
    return _handoff(request, approval)


@api_view("POST")
def milestone_approve(request, milestone_id):
    token = authenticate(request)
    account = require_payments_write(request, token, "approve milestones")
    with transaction.atomic():
        milestone = _get_milestone(account, milestone_id)
        contract = milestone.contract
        if not contract.is_active:
            raise _conflict("contract_ended", "This contract has ended.")
        if milestone.status != Milestone.ACTIVE_FUNDED:
            raise _conflict(
                "milestone_not_funded",
                f"Only ACTIVE_FUNDED milestones can be approved; this one is {milestone.status}.",
                status=milestone.status,
            )
        approval = _pending_approval(token, contract, milestone, Approval.MILESTONE_APPROVE)
    return _handoff(request, approval)


@api_view("POST")
def contract_end(request, contract_id):
    token = authenticate(request)
    account = require_payments_write(request, token, "end contracts")
    with transaction.atomic():
        contract = _get_contract(account, contract_id, lock=True)
        if not contract.is_active:
            raise _conflict("contract_ended", "This contract has already ended.")
        if not contract.milestones.filter(status=Milestone.ACTIVE_FUNDED).exists():
            # Nothing funded: no money moves, so it ends at once.
            contract.end()
            return JsonResponse({"ok": True, "contractId": contract.id, "status": "ended"})
        approval = _pending_approval(token, contract, None, Approval.CONTRACT_END)
    return _handoff(request, approval)


@api_view("GET")
def approval_detail(request, approval_id):
    token = authenticate(request)
    require_scope(token, "payments:read")
    approval = (
        Approval.objects.select_related("contract")
        .filter(id=approval_id, contract__account=token.account)
        .first()
    )
    if approval is None:
        raise ApiError(
            404, "Approval not found.", {"resource": "approvals", "approvalId": approval_id}
        )
    approval.expire_if_due()
    return JsonResponse({"approval": approval_json(request, approval)})


@api_view("GET")
def sandbox_accounts(request):
    """The seeded demo accounts and their tokens, for the dashboard's account switcher."""
    accounts = []
    for account in Account.objects.exclude(key="").prefetch_related("tokens"):
        token = next((t for t in account.tokens.all() if t.is_usable()), None)
        if token is not None:
            accounts.append(
                {
                    "key": account.key,
                    "label": account.name,
                    "description": account.description,
                    "token": token.value,
                }
            )
    return JsonResponse({"accounts": accounts})


@api_view("GET", "POST", "PUT", "PATCH", "DELETE")
def not_found(request, path=""):
    raise ApiError(404, "No such endpoint.", {"path": request.path})
