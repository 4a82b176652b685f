from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from dashboard import approvals, opentrain, services
from dashboard.models import Approval
from dashboard.opentrain.problems import explain

PAGE_SIZE = 50
# Where a polled approval row sits; the contract page reloads when one turns final.
ROW_ORIGINS = ("contract", "list")


@require_GET
def approval_list(request):
    rows = Approval.objects.select_related("requested_by").pending_first()
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    approvals.mark_followable(page.object_list, services.token_for(request))
    return render(request, "dashboard/approval_list.html", {"page": page})


@require_GET
@vary_on_headers("HX-Request")
def approval_detail(request, approval_id):
    if request.htmx and request.GET.get("from") in ROW_ORIGINS:
        # The rows in the list and on the contract page poll this URL with `?from=`.
        return approval_row(request, approval_id)
    row = _approval(approval_id)
    token = services.token_for(request)
    finished, poll_problem = _follow(token, row)

    contract = milestone = None
    if row.is_confirmed and (finished or not request.htmx):
        # Show what the confirmation changed: one read of the contract.
        contract = _contract_or_none(token, row.contract_id)
        if contract is not None and row.milestone_id:
            milestone = next((m for m in contract.milestones if m.id == row.milestone_id), None)

    template_name = "dashboard/approval_detail.html"
    if request.htmx:
        template_name += "#approval-status"
    context = {
        "approval": row,
        "poll_problem": poll_problem,
        "contract": contract,
        "milestone": milestone,
    }
    return render(request, template_name, context)


@require_GET
def approval_row(request, approval_id):
    """One approval's row in a table (`?from=list` or `?from=contract`), polled while pending."""
    origin = request.GET.get("from", "")
    if origin not in ROW_ORIGINS:
        origin = "list"
    row = _approval(approval_id)
    finished, poll_problem = _follow(services.token_for(request), row)
    context = {"approval": row, "origin": origin, "poll_problem": poll_problem}
    response = render(request, "dashboard/approval_list.html#approval-row", context)
    if finished and origin == "contract":
        # The milestone timeline on that page changed too: reload it once.
        response["HX-Refresh"] = "true"
    return response


def _approval(approval_id):
    return get_object_or_404(
        Approval.objects.select_related("requested_by"), approval_id=approval_id
    )


def _follow(token, row):
    """Ask OpenTrain for the approval's status when this token can and it may still change.

    Returns (whether it just reached its end, the problem when OpenTrain could not say).
    """
    approvals.mark_followable([row], token)
    if row.is_terminal or not row.followable:
        return False, None
    finished, error = approvals.refresh(token, row)
    return finished, explain(error) if error else None


def _contract_or_none(token, contract_id):
    try:
        return opentrain.get_contract(token, contract_id)
    except opentrain.OpenTrainError:
        return None
