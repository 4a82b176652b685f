"""The money handoffs: each action is a confirmation page (GET) and one POST through the client.

OpenTrain never moves money from an API call: funding, a payout and ending a funded contract each
come back as a pending approval (202) that a signed-in person confirms in OpenTrain.
"""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch
from django.views.decorators.http import require_http_methods

from dashboard import access, approvals, services
from dashboard.mirror import after_write, reading
from dashboard.roles import can_edit, editor_required

TITLES = {
    "fund": "Request funding",
    "approve": "Request payout approval",
    "end": "End contract",
}


@require_http_methods(["GET", "POST"])
@editor_required
def milestone_fund(request, milestone_id):
    return _handoff(request, "fund", milestone_id, _contract_param(request))


@require_http_methods(["GET", "POST"])
@editor_required
def milestone_approve(request, milestone_id):
    return _handoff(request, "approve", milestone_id, _contract_param(request))


@require_http_methods(["GET", "POST"])
@editor_required
def contract_end(request, contract_id):
    return _handoff(request, "end", contract_id, contract_id)


def _contract_param(request) -> str:
    return (request.POST if request.method == "POST" else request.GET).get("contract", "")[:200]


def _handoff(request, action, target_id, contract_id):
    account = reading.account_for_request(request)
    # The mirror describes what will happen (and labels the stored approval).
    contract = reading.contract(account, contract_id) if contract_id else None
    problem = None
    if contract_id and contract is None and request.method == "GET":
        problem = reading.missing(account)

    if request.method == "POST":
        token = services.token_for(request)
        outcome = approvals.request(
            action, target_id, token=token, user=request.user, account=account, contract=contract
        )
        problem = outcome.problem
        if problem is None:
            # The milestone now waits for confirmation (or the contract ended): the contract page
            # shows it without waiting for the worker.
            after_write.refresh_contract(token, contract_id)
            if outcome.approval is not None:
                if outcome.already:
                    messages.info(
                        request,
                        "This was already requested: OpenTrain answered with the same approval, "
                        "still waiting for a person to confirm it.",
                    )
                return to_approval(outcome.approval.approval_id)
            messages.success(request, "Contract ended.")
            return redirect("contract_detail", target_id)

    milestone = None
    if contract is not None and action != "end":
        milestone = next((m for m in contract.milestones if m.id == target_id), None)
    return render(
        request,
        "dashboard/handoff_confirm.html",
        {
            "action": action,
            "title": TITLES[action],
            "contract_id": contract_id,
            "contract": contract,
            "milestone": milestone,
            "funded": contract is not None
            and any(m.status == "ACTIVE_FUNDED" for m in contract.milestones),
            "problem": problem,
            "can_edit": can_edit(request.user),
            "blocked": access.blocking(account.access if account else None, action),
        },
    )


def to_approval(approval_id):
    # The ID is OpenTrain's text: one that cannot be a path segment is shown in the list instead.
    try:
        return redirect("approval_detail", approval_id)
    except NoReverseMatch:
        return redirect("approval_list")
