""" "Needs you": what a PM must act on now, read from the mirror, grouped by urgency.

No HTTP here, and no writes: every item is a query on the mirror (or on the approvals the dashboard
asked for), with one action that starts the fix. Each milestone appears in one group at most.
"""

from __future__ import annotations

from django.db.models import F, Q, Sum
from django.utils import timezone

from dashboard import access
from dashboard.mirror.models import Account, Contract, Milestone
from dashboard.models import Approval, Snooze
from dashboard.templatetags.dashboard import money

from . import approvals as approval_items
from . import budgets
from .items import (
    FUNDED,
    NOT_FUNDED,
    OPEN_STATUSES,
    UNFUNDED_GRACE,
    Group,
    Item,
    is_waiting,
    url,
)

# Most urgent first: the order of the page's groups.
GROUPS = {
    "depleted": "Budget depleted: work has stopped",
    "approval": "Approvals waiting for a person",
    "review": "Work to review",
    "overdue": "Overdue",
    "low": "Budget low",
    "no_funded": "Active contracts with nothing funded",
    "not_funded": "Created but not funded",
    "ask_again": "Approvals declined or expired",
    "over_committed": "Over-committed",
    "payment": "Pending payments",
}
# What the empty inbox says it looked at.
CHECKS = [
    "Budgets depleted or running low",
    "Active contracts with no funded milestone",
    "Milestones created but not funded for more than a day",
    "Milestones to review (marked for review, or funded and fully used)",
    "Approvals waiting, declined or expired",
    "Milestones past their due date and not paid",
    "Contracts whose milestones add up to more than the estimated total",
    "Pending payments",
    "The account's setup (claim, token permission, payments feature, payment method)",
]
# The stored access problem, in a PM's words: (what to do, why).
SETUP = {
    "claim": (
        "Claim the OpenTrain account",
        "A person must claim this OpenTrain account before the dashboard can create or fund "
        "milestones.",
    ),
    "scope": (
        "Give the dashboard permission to create milestones",
        "An administrator must give the dashboard's OpenTrain key permission to create "
        "milestones and request payments.",
    ),
    "feature": (
        "Ask OpenTrain to switch on payments through the API",
        "The account owner must ask OpenTrain support to turn on payments through the API; "
        "until then milestones can only be managed in the OpenTrain app.",
    ),
    "payment_method_required": (
        "Add a payment method",
        "Funding needs a card or bank account on file in OpenTrain's billing settings.",
    ),
    "auth": (
        "Replace the dashboard's OpenTrain key",
        "OpenTrain no longer accepts the dashboard's key: an administrator must set a new one.",
    ),
}


def groups(account: Account | None, user, *, now=None) -> list[Group]:
    """The open items not snoozed by `user`, grouped (empty groups left out)."""
    hidden = Snooze.hidden_keys(user)
    by_kind = {kind: Group(kind, title) for kind, title in GROUPS.items()}
    for item in collect(account, now=now):
        if item.key not in hidden:
            by_kind[item.kind].items.append(item)
    return [group for group in by_kind.values() if group.items]


def open_count(account: Account | None, user) -> int:
    """The navigation's count: the same items, without the forecasts' history reads."""
    hidden = Snooze.hidden_keys(user)
    items = collect(account, forecasts=False) + setup_items(account)
    return sum(1 for item in items if item.key not in hidden)


def setup_items(account: Account | None) -> list[Item]:
    """One checklist item per stored setup problem: several may apply at once (an unclaimed
    account with no payment method)."""
    problems = access.stored_problems(account.access) if account is not None else []
    items = []
    for problem in problems:
        what, why = SETUP.get(problem.kind, (problem.title, problem.message))
        items.append(
            Item(
                key=f"setup:{problem.kind}",
                kind="setup",
                what=what,
                note=why,
                detail=f"{problem.title}. {problem.message}",
                action_label=problem.link_label,
                action_url=problem.link_url,
            )
        )
    return items


def collect(account: Account | None, *, now=None, forecasts: bool = True) -> list[Item]:
    if account is None:
        return []
    now = now or timezone.now()
    contracts = Contract.objects.for_account(account).filter(status="active").defer("data")
    approvals = list(Approval.objects.filter(token_fingerprint=account.fingerprint))
    waiting = [a for a in approvals if is_waiting(a, now)]
    asked_for = {a.milestone_id for a in waiting if a.milestone_id}

    items = budgets.budget_items(contracts, now, forecasts)
    items += approval_items.approval_items(account, waiting, now)
    items += _milestone_items(account, asked_for, now)
    items += _no_funded_items(contracts)
    items += approval_items.ask_again_items(account, approvals, now)
    items += _over_committed_items(contracts)
    items += approval_items.payment_items(account, asked_for)
    return items


def _milestone_items(account, asked_for: set[str], now) -> list[Item]:
    """Review, overdue and not funded: one group per milestone, the most urgent."""
    rows = (
        Milestone.objects.filter(contract__account=account, contract__status="active")
        .exclude(milestone_id__in=asked_for)
        .filter(
            Q(needs_review=True, status__in=OPEN_STATUSES)
            | Q(status=FUNDED, contract__budget_state="DEPLETED")
            | Q(status__in=OPEN_STATUSES, due_date__lt=now)
            | Q(status=NOT_FUNDED, upstream_created_at__lt=now - UNFUNDED_GRACE)
        )
        .select_related("contract")
        .defer("data", "contract__data")
        .order_by("due_date", "upstream_created_at")
    )
    items = []
    for row in rows:
        contract = row.contract
        fund = url("milestone_fund", row.milestone_id, query={"contract": contract.contract_id})
        payout = url(
            "milestone_approve", row.milestone_id, query={"contract": contract.contract_id}
        )
        item = Item(
            key="",
            kind="",
            what="",
            contract_id=contract.contract_id,
            contract_title=contract.title,
            stake=money(row.amount_usd),
        )
        name = str(row)
        if row.status == FUNDED and (row.needs_review or contract.budget_state == "DEPLETED"):
            item.kind, item.since = "review", None
            reason = "is marked for review" if row.needs_review else "is funded and fully used"
            item.what = f"Milestone {name} {reason}"
            item.action_label, item.action_url = "Request payout approval", payout
        elif row.due_date is not None and row.due_date < now:
            item.kind, item.since, item.since_label = "overdue", row.due_date, "due"
            item.what = f"Milestone {name} is past its due date and not paid"
            if row.status == NOT_FUNDED:
                item.action_label, item.action_url = "Request funding", fund
            else:
                item.action_label, item.action_url = "Request payout approval", payout
        elif row.status == NOT_FUNDED:
            if row.upstream_created_at is None or row.upstream_created_at >= now - UNFUNDED_GRACE:
                continue
            item.kind, item.since_label = "not_funded", "created"
            item.since = row.upstream_created_at
            item.what = f"Milestone {name} was created but never funded"
            item.action_label, item.action_url = "Request funding", fund
        else:
            continue
        item.key = f"{item.kind}:{row.milestone_id}"
        items.append(item)
    return items


def _no_funded_items(contracts) -> list[Item]:
    rows = contracts.exclude(milestone_rows__status__in=OPEN_STATUSES).order_by("title")
    return [
        Item(
            key=f"no_funded:{row.contract_id}",
            kind="no_funded",
            what="No funded milestone: the AI trainer has nothing to work on",
            contract_id=row.contract_id,
            contract_title=row.title,
            stake=f"Estimated total {money(row.estimated_total_usd)}"
            if row.estimated_total_usd
            else "",
            since=row.upstream_created_at,
            since_label="started",
            action_label="Add a milestone",
            action_url=url("milestone_create", row.contract_id),
        )
        for row in rows
    ]


def _over_committed_items(contracts) -> list[Item]:
    rows = (
        contracts.exclude(estimated_total_usd=None)
        .annotate(committed=Sum("milestone_rows__amount_usd"))
        .filter(committed__gt=F("estimated_total_usd"))
        .order_by("title")
    )
    return [
        Item(
            key=f"over_committed:{row.contract_id}",
            kind="over_committed",
            what="The milestones add up to more than the contract's estimated total",
            contract_id=row.contract_id,
            contract_title=row.title,
            stake=f"{money(row.committed)} of {money(row.estimated_total_usd)} "
            f"({money(row.committed - row.estimated_total_usd)} over)",
            action_label="Review the milestones",
            action_url=url("contract_detail", row.contract_id),
        )
        for row in rows
    ]
