from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from dashboard import approvals, spend, words
from dashboard.mirror import attention, reading
from dashboard.notify.models import Notice
from dashboard.roles import can_edit


@require_GET
def contract_detail(request, contract_id):
    account = reading.account_for_request(request)
    row = reading.contract_row(account, contract_id)
    contract = row.as_result() if row is not None else None
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
            "last_notice": _last_notice(contract_id) if contract is not None else None,
            "budget_words": _budget_words(contract),
            "budget_chart": spend.contract_chart(row, timezone.now()) if row is not None else None,
        },
        status=404 if problem and problem.kind == "not_found" else 200,
    )


def _budget_words(contract) -> words.BudgetWords | None:
    """OpenTrain's budget state in words, the money left and whether anything was funded
    (OpenTrain says "OK" when nothing is)."""
    budget = contract.budget if contract is not None else None
    if budget is None:
        return None
    funded = bool(budget.funded_amount_usd) or bool(budget.funded_volume)
    left = attention.remaining_usd(contract)
    return words.budget_words(budget.state, contract.payment_type, left, funded)


def _last_notice(contract_id: str) -> Notice | None:
    """The latest notification about the contract that went out or failed: one read along the
    index on (contract_id, -created_at)."""
    done = Notice.objects.filter(
        contract_id=contract_id, state__in=[Notice.State.SENT, Notice.State.FAILED]
    )
    return done.select_related("channel").order_by("-created_at").first()
