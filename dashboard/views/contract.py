from django.shortcuts import render
from django.views.decorators.http import require_GET

from dashboard import approvals, opentrain, services
from dashboard.opentrain.problems import explain
from dashboard.roles import can_edit

# An honest status for a page that could not show its contract (the page still renders).
PROBLEM_STATUS = {"not_found": 404, "unavailable": 502, "ambiguous": 502}


@require_GET
def contract_detail(request, contract_id):
    contract = problem = None
    token = services.token_for(request)
    try:
        contract = opentrain.get_contract(token, contract_id)
    except opentrain.OpenTrainError as exc:
        problem = explain(exc)

    stored = approvals.mark_followable(approvals.for_contract(contract_id), token)
    pending = {a.milestone_id: a for a in stored if a.is_pending}
    timeline = []
    if contract is not None:
        ordered = sorted(contract.milestones, key=lambda m: (m.number or 0, m.created_at))
        timeline = [(m, pending.get(m.id)) for m in ordered]
    return render(
        request,
        "dashboard/contract_detail.html",
        {
            "contract_id": contract_id,
            "contract": contract,
            "problem": problem,
            "approvals": stored,
            "timeline": timeline,
            "pending_end": pending.get(""),
            "can_edit": can_edit(request.user),
        },
        status=PROBLEM_STATUS.get(problem.kind, 200) if problem else 200,
    )
