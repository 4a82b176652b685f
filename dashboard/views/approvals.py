from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from dashboard import links
from dashboard.inbox.approvals import mailto
from dashboard.mirror import reading
from dashboard.models import Approval

PAGE_SIZE = 50
# Which table a row is drawn for: the contract page's has no contract column.
ROW_ORIGINS = ("contract", "list")

# The worker keeps each approval's row current (`approvals.apply`); these pages only read it.


@require_GET
@vary_on_headers("HX-Request")
def approval_list(request):
    rows = Approval.objects.select_related("requested_by").pending_first()
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "mirror": reading.account_for_request(request)}
    return render(request, "dashboard/approval_list.html", context)


@require_GET
@vary_on_headers("HX-Request")
def approval_detail(request, approval_id):
    if request.htmx and request.GET.get("from") in ROW_ORIGINS:
        return approval_row(request, approval_id)
    row = _approval(approval_id)
    account = reading.account_for_request(request)
    # What the confirmation changed (or the amount at stake), as the mirror has it now.
    contract = reading.contract(account, row.contract_id) if row.contract_id else None
    milestone = None
    if contract is not None and row.milestone_id:
        milestone = next((m for m in contract.milestones if m.id == row.milestone_id), None)

    template_name = "dashboard/approval_detail.html"
    if request.htmx:
        template_name += "#approval-status"
    amount = milestone.amount_usd if milestone is not None else None
    # Copy and e-mail only a link that may be a link (an allowed https host).
    shareable = links.is_allowed(row.approval_url)
    context = {
        "approval": row,
        "contract": contract,
        "milestone": milestone,
        "mirror": account,
        "shareable": shareable,
        "mailto": mailto(row, amount) if shareable else "",
    }
    return render(request, template_name, context)


@require_GET
def approval_row(request, approval_id):
    """One approval's row in a table (`?from=list` or `?from=contract`)."""
    origin = request.GET.get("from", "")
    if origin not in ROW_ORIGINS:
        origin = "list"
    context = {"approval": _approval(approval_id), "origin": origin}
    return render(request, "dashboard/approval_list.html#approval-row", context)


def _approval(approval_id):
    return get_object_or_404(
        Approval.objects.select_related("requested_by"), approval_id=approval_id
    )
