"""Stand-ins for the OpenTrain app's human pages: claim an account, confirm an approval, billing;
and the outbox, where the e-mails and chat messages the dashboard sent in the sandbox are shown.

They sit behind the dashboard's sign-in (the PM is signed in to the same site) and use ordinary
CSRF-protected forms. Confirming an approval is the only way money "moves" in the sandbox, so
these pages follow the dashboard's roles: viewers look, editors act.
"""

from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.csp import CSP
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dashboard.roles import editor_required

from . import events
from .models import Account, Approval, ChatMessage, Contract, Milestone, OutboxMessage, new_id
from .serializers import budget_json
from .usage import STEP, UsageError, log_usage


@require_http_methods(["GET", "POST"])
@editor_required
def claim(request, token):
    account = get_object_or_404(Account, claim_token=token)
    if request.method == "POST":
        Account.objects.filter(pk=account.pk).update(claimed=True)
        return redirect("sandbox:claim", token=token)
    return render(request, "sandbox/claim.html", {"account": account})


@require_http_methods(["GET", "POST"])
@editor_required
def billing(request, organization_id):
    account = get_object_or_404(Account, organization_id=organization_id)
    if request.method == "POST":
        Account.objects.filter(pk=account.pk).update(has_payment_method=True)
        return redirect("sandbox:billing", organization_id=organization_id)
    return render(request, "sandbox/billing.html", {"account": account})


@require_http_methods(["GET", "POST"])
@editor_required
def approval(request, approval_id):
    problem = ""
    if request.method == "POST":
        decision = request.POST.get("decision")
        if decision in ("confirm", "decline"):
            problem = _resolve(approval_id, decision)
            if not problem:
                return redirect("sandbox:approval", approval_id=approval_id)
        else:
            problem = "Choose Confirm or Decline."
    item = get_object_or_404(
        Approval.objects.select_related("contract", "milestone"), id=approval_id
    )
    events.expire_if_due(item)
    return render(request, "sandbox/approval.html", {"approval": item, "problem": problem})


def _resolve(approval_id: str, decision: str) -> str:
    """Confirm or decline a pending approval; return why it could not be, or ""."""
    with transaction.atomic():
        item = get_object_or_404(Approval.objects.select_for_update(), id=approval_id)
        if events.expire_if_due(item):
            return "This approval has expired; ask for it again from the dashboard."
        if item.status != Approval.PENDING:
            return f"This approval is already {item.status}."
        now = timezone.now()
        if decision == "confirm":
            problem, result = _carry_out(item, now)
            if problem:
                return problem
            item.status, item.result = Approval.CONFIRMED, result
        else:
            item.status = Approval.DECLINED
        item.resolved_at = now
        item.save(update_fields=["status", "result", "resolved_at"])
        events.approval_resolved(item)
    return ""


def _carry_out(item: Approval, now) -> tuple[str, dict | None]:
    """Do what the approval asked for. Returns (problem, result)."""
    contract = Contract.objects.select_for_update().get(pk=item.contract_id)
    if not contract.is_active:
        return "The contract has ended, so this can no longer be confirmed.", None
    if item.type == Approval.CONTRACT_END:
        contract.end(now)
        events.contract_ended(contract)
        return "", {"contractEnded": True}

    milestone = Milestone.objects.select_for_update().get(pk=item.milestone_id)
    budget_before = budget_json(contract)
    if item.type == Approval.MILESTONE_FUND:
        if milestone.status != Milestone.NOT_FUNDED:
            return f"The milestone is {milestone.status} now, so it cannot be funded.", None
        milestone.status = Milestone.ACTIVE_FUNDED
        milestone.invoice_id = item.invoice_id or new_id("inv")
        result = {"invoiceId": milestone.invoice_id, "paymentIntentId": new_id("pi")}
    else:
        if milestone.status != Milestone.ACTIVE_FUNDED:
            return f"The milestone is {milestone.status} now, so it cannot be paid.", None
        milestone.status = Milestone.PAID
        milestone.pending_approval = False
        result = {"invoiceId": milestone.invoice_id or None, "payoutTransactionId": new_id("po")}
    milestone.save(update_fields=["status", "invoice_id", "pending_approval"])
    contract.updated_at = now
    contract.save(update_fields=["updated_at"])
    events.milestone_status_changed(milestone)
    # Funding raises the funded volume, which can lift a LOW or DEPLETED budget.
    events.budget_state_changed(contract, budget_before)
    return "", result


@require_http_methods(["GET", "POST"])
@editor_required
def usage(request, contract_id):
    contract = get_object_or_404(Contract.objects.select_related("account"), id=contract_id)
    step = STEP.get(contract.payment_type)
    problem = ""
    if request.method == "POST":
        try:
            log_usage(contract.id, step or 0)
            return redirect("sandbox:usage", contract_id=contract.id)
        except UsageError as exc:
            problem = str(exc)
    others = Contract.objects.filter(account=contract.account, status=Contract.ACTIVE).exclude(
        payment_type=Contract.FIXED_PRICE
    )
    context = {
        "contract": contract,
        "budget": budget_json(contract),
        "step": step,
        "unit": "hours" if contract.payment_type == Contract.PAY_PER_HOUR else "labels",
        "others": others,
        "problem": problem,
    }
    return render(request, "sandbox/usage.html", context)


# What the outbox lists of each: the newest.
OUTBOX_SHOWN = 100
# An e-mail's HTML is the dashboard's own, but shown as mail: no scripts, no requests out, framed
# only by the outbox's page; a click on a link may open it (the dashboard's page it names).
EMAIL_CSP = {
    "sandbox": [
        "allow-popups",
        "allow-popups-to-escape-sandbox",
        "allow-top-navigation-by-user-activation",
    ],
    "default-src": [CSP.NONE],
    "style-src": [CSP.UNSAFE_INLINE],
    "img-src": ["data:"],
    "frame-ancestors": [CSP.SELF],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.NONE],
}


@require_GET
def outbox(request):
    context = {
        "emails": OutboxMessage.objects.defer("text", "html")[:OUTBOX_SHOWN],
        "email_count": OutboxMessage.objects.count(),
        "chats": ChatMessage.objects.all()[:OUTBOX_SHOWN],
        "chat_count": ChatMessage.objects.count(),
        "shown": OUTBOX_SHOWN,
    }
    return render(request, "sandbox/outbox.html", context)


@require_GET
def outbox_message(request, message_id):
    email = get_object_or_404(OutboxMessage, pk=message_id)
    return render(request, "sandbox/outbox_message.html", {"email": email})


@require_GET
@xframe_options_sameorigin
@csp_override(EMAIL_CSP)
def outbox_html(request, message_id):
    email = get_object_or_404(OutboxMessage, pk=message_id)
    return HttpResponse(email.html, content_type="text/html; charset=utf-8")


@require_POST
@editor_required
def outbox_clear(request):
    OutboxMessage.objects.all().delete()
    ChatMessage.objects.all().delete()
    return redirect("sandbox:outbox")
