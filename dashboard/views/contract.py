from django.shortcuts import render
from django.views.decorators.http import require_GET

from dashboard import approvals
from dashboard.mirror import reading
from dashboard.roles import can_edit


@require_GET
def contract_detail(request, contract_id):
    account = reading.account_for_request(request)
    contract = reading.contract(account, contract_id)
    problem = reading.missing(account) if contract is None else None

    stored = approvals.for_contract(contract_id)
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
            "mirror": account,
            "approvals": stored,
            "timeline": timeline,
            "pending_end": pending.get(""),
            "can_edit": can_edit(request.user),
        },
        status=404 if problem and problem.kind == "not_found" else 200,
    )
