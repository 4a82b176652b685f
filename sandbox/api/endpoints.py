"""The API's views: each checks in one fixed order, then reads or changes the sandbox's rows.

Every view goes through `@api_view` (envelope.py). Checks run in one order, so a request that
breaks several rules always gets the same answer:

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

from decimal import ROUND_HALF_UP, Decimal

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.http import JsonResponse
from django.urls import reverse

from .. import events
from ..models import Account, Approval, Contract, Milestone, new_id
from ..serializers import approval_json, budget_json, contract_json, milestone_json, num
from .auth import (
    JOB_DRAFTING_FEATURE,
    authenticate,
    require_job_drafting,
    require_payments_write,
    require_scope,
)
from .envelope import ApiError, api_view
from .validation import milestone_fields

CENT = Decimal("0.01")

MESSAGES = {
    Approval.MILESTONE_FUND: "Funding request recorded. A signed-in human must confirm this "
    "approval in the OpenTrain app before any money moves.",
    Approval.MILESTONE_APPROVE: "Release request recorded. A signed-in human must confirm this "
    "approval in the OpenTrain app before any money moves.",
    Approval.CONTRACT_END: "This contract has funded milestones, so a signed-in human must "
    "confirm ending it in the OpenTrain app.",
}


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
    require_job_drafting(account)
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
                "webhooks": account.webhooks_enabled,
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
    fields = milestone_fields(request, contract)
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
                events.milestone_status_changed(milestone)
                return milestone
        except IntegrityError:
            continue
    raise ApiError(409, "Could not allocate a milestone number; try again.", {"reason": "busy"})


def _pending_approval(token, contract, milestone, kind) -> Approval:
    """The pending approval for this action, or a new one: re-requests are idempotent."""
    existing = Approval.objects.filter(
        type=kind, contract=contract, milestone=milestone, status=Approval.PENDING
    ).first()
    if existing is not None and not events.expire_if_due(existing):
        return existing
    if kind == Approval.CONTRACT_END:
        return Approval.objects.create(type=kind, contract=contract, token=token)
    # Funding gets a new invoice; a payout waits on the invoice that funded the milestone.
    invoice_id = new_id("inv") if kind == Approval.MILESTONE_FUND else milestone.invoice_id
    approval = Approval.objects.create(
        type=kind, contract=contract, milestone=milestone, token=token, invoice_id=invoice_id
    )
    events.payment_pending(approval)
    return approval


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
            events.contract_ended(contract)
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
    events.expire_if_due(approval)
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
