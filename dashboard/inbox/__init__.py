""" "Needs you": what a PM must act on now, read from the mirror, grouped by urgency.

No HTTP here, and no writes: every item is a query on the mirror (or on the approvals the dashboard
asked for), with one action that starts the fix. Each milestone appears in one group at most.
"""

from __future__ import annotations

import hashlib
import json
import time

from django.core.cache import cache
from django.db.models import Count, F, Max, Q, Sum
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
    Found,
    Group,
    Item,
    first_rows,
    is_waiting,
    snoozed,
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


# Items a group shows on the page (its heading counts them all; "Show all" lists the rest).
GROUP_LIMIT = 5
# A backstop only: the account's version changes with every sync, which makes a new key.
CONTRACT_WIDE_SECONDS = 600
KEPT_SECONDS = 60


def groups(account: Account | None, user, *, now=None, expand: str = "") -> list[Group]:
    """The open items not snoozed by `user`, grouped (empty groups left out); each group lists
    its first GROUP_LIMIT items, the `expand` group all of them."""
    hidden = Snooze.hidden_keys(user)
    expand = expand if expand in GROUPS else ""
    found = _kept(
        account,
        hidden,
        f"groups:{expand}",
        lambda: collect(account, hidden, now=now, limit=GROUP_LIMIT, expand=expand),
        fresh=now is not None,
    )
    return [
        Group(kind, title, found[kind].items, found[kind].total)
        for kind, title in GROUPS.items()
        if found.get(kind) and found[kind].total
    ]


def open_count(account: Account | None, user) -> int:
    """The navigation's count: the same items, counted in the database."""
    hidden = Snooze.hidden_keys(user)

    def count():
        found = collect(account, hidden, limit=0)
        setup = [item for item in setup_items(account) if item.key not in hidden]
        return sum(kind.total for kind in found.values()) + len(setup)

    return _kept(account, hidden, "count", count)


def _kept(account: Account | None, hidden: set[str], what: str, compute, fresh: bool = False):
    """`compute()`, kept for up to a minute while the mirror (its version and stored setup), the
    approvals and the person's snoozes stay as they are: pages and their navigation read it many
    times between two syncs."""
    if account is None or fresh:
        return compute()
    approvals = Approval.objects.filter(token_fingerprint=account.fingerprint).aggregate(
        n=Count("pk"), last=Max("updated_at")
    )
    synced = account.synced_at.timestamp() if account.synced_at else 0
    last = approvals["last"].timestamp() if approvals["last"] else 0
    changes = f"{account.version}:{synced}:{approvals['n']}:{last}"
    # The setup problems too: a refused write stores one without a sync.
    setup = json.dumps(account.access, sort_keys=True, default=str)
    snoozes = hashlib.sha256("\n".join([setup, *sorted(hidden)]).encode()).hexdigest()[:16]
    # The minute: items also come with time (a due date passing, an approval expiring).
    key = f"inbox:{what}:{account.pk}:{changes}:{snoozes}:{int(time.time() // 60)}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, KEPT_SECONDS)
    return value


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


def collect(
    account: Account | None, hidden: set[str], *, now=None, limit=None, expand: str = ""
) -> dict[str, Found]:
    """Each kind's open items, the snoozed (`hidden` keys) left out: the count of all, and the
    first `limit` as items (None: all; 0: none, only the counts); `expand` names a kind listed
    in full."""
    if account is None:
        return {}
    now = now or timezone.now()
    contracts = Contract.objects.for_account(account).filter(status="active").defer("data")
    approvals = list(Approval.objects.filter(token_fingerprint=account.fingerprint))
    waiting = [a for a in approvals if is_waiting(a, now)]
    asked_for = {a.milestone_id for a in waiting if a.milestone_id}

    def cap(kind):
        return None if kind == expand else limit

    def listed(kind, items):
        return Found.of(items, hidden, cap(kind))

    found = budgets.budget_items(contracts, now, hidden, cap)
    found["approval"] = listed("approval", approval_items.approval_items(account, waiting, now))
    found |= _milestone_items(account, asked_for, now, hidden, cap)
    found["no_funded"] = _no_funded_items(account, contracts, hidden, cap("no_funded"))
    found["ask_again"] = listed(
        "ask_again", approval_items.ask_again_items(account, approvals, now)
    )
    found["over_committed"] = _over_committed_items(
        account, contracts, hidden, cap("over_committed")
    )
    found["payment"] = listed("payment", approval_items.payment_items(account, asked_for))
    return found


def _milestone_kinds(account, now) -> dict[str, Q]:
    """Review, overdue and not funded, as conditions: one group per milestone, the most urgent."""
    # Depleted contracts by ID, so each side of the "or" has an index of its own.
    depleted = Contract.objects.filter(
        account=account, status="active", budget_state="DEPLETED"
    ).values("pk")
    review = Q(status=FUNDED, needs_review=True) | Q(status=FUNDED, contract__in=depleted)
    overdue = Q(status__in=OPEN_STATUSES, due_date__lt=now) & ~review
    not_funded = Q(status=NOT_FUNDED, upstream_created_at__lt=now - UNFUNDED_GRACE) & ~Q(
        due_date__lt=now
    )
    return {"review": review, "overdue": overdue, "not_funded": not_funded}


def _milestone_items(account, asked_for: set[str], now, hidden: set[str], cap) -> dict:
    rows = (
        Milestone.objects.filter(contract__account=account, contract__status="active")
        .exclude(milestone_id__in=asked_for)
        .select_related("contract")
        .defer("data", "contract__data")
        .order_by("due_date", "upstream_created_at")
    )
    found = {}
    for kind, condition in _milestone_kinds(account, now).items():
        of_kind = rows.filter(condition).exclude(milestone_id__in=snoozed(hidden, kind))
        total, shown = first_rows(of_kind, cap(kind))
        found[kind] = Found(total, [_milestone_item(kind, row) for row in shown])
    return found


def _milestone_item(kind: str, row: Milestone) -> Item:
    contract = row.contract
    fund = url("milestone_fund", row.milestone_id, query={"contract": contract.contract_id})
    payout = url("milestone_approve", row.milestone_id, query={"contract": contract.contract_id})
    item = Item(
        key=f"{kind}:{row.milestone_id}",
        kind=kind,
        what="",
        contract_id=contract.contract_id,
        contract_title=contract.title,
        stake=money(row.amount_usd),
    )
    name = str(row)
    if kind == "review":
        reason = "is marked for review" if row.needs_review else "is funded and fully used"
        item.what = f"Milestone {name} {reason}"
        item.action_label, item.action_url = "Request payout approval", payout
    elif kind == "overdue":
        item.since, item.since_label = row.due_date, "due"
        item.what = f"Milestone {name} is past its due date and not paid"
        if row.status == NOT_FUNDED:
            item.action_label, item.action_url = "Request funding", fund
        else:
            item.action_label, item.action_url = "Request payout approval", payout
    else:
        item.since, item.since_label = row.upstream_created_at, "created"
        item.what = f"Milestone {name} was created but never funded"
        item.action_label, item.action_url = "Request funding", fund
    return item


def _contract_wide(account, name: str, rows) -> list[dict]:
    """Facts found by looking at every active contract (which have nothing funded, which are
    over-committed): they change only with the mirror, so they are kept per account version."""
    synced = account.synced_at.timestamp() if account.synced_at else 0
    key = f"inbox:{name}:{account.pk}:{account.version}:{synced}"
    found = cache.get(key)
    if found is None:
        found = list(rows)
        cache.set(key, found, CONTRACT_WIDE_SECONDS)
    return found


def _capped(rows: list[dict], kind: str, hidden: set[str], limit) -> tuple[int, list[dict]]:
    ids = snoozed(hidden, kind)
    rows = [row for row in rows if row["contract_id"] not in ids]
    return len(rows), rows if limit is None else rows[:limit]


def _no_funded_items(account, contracts, hidden: set[str], limit) -> Found:
    rows = (
        contracts.exclude(milestone_rows__status__in=OPEN_STATUSES)
        .order_by("title")
        .values("contract_id", "title", "estimated_total_usd", "upstream_created_at")
    )
    total, shown = _capped(_contract_wide(account, "no_funded", rows), "no_funded", hidden, limit)
    items = [
        Item(
            key=f"no_funded:{row['contract_id']}",
            kind="no_funded",
            what="No funded milestone: the AI trainer has nothing to work on",
            contract_id=row["contract_id"],
            contract_title=row["title"],
            stake=f"Estimated total {money(row['estimated_total_usd'])}"
            if row["estimated_total_usd"]
            else "",
            since=row["upstream_created_at"],
            since_label="started",
            action_label="Add a milestone",
            action_url=url("milestone_create", row["contract_id"]),
        )
        for row in shown
    ]
    return Found(total, items)


def _over_committed_items(account, contracts, hidden: set[str], limit) -> Found:
    rows = (
        contracts.exclude(estimated_total_usd=None)
        .annotate(committed=Sum("milestone_rows__amount_usd"))
        .filter(committed__gt=F("estimated_total_usd"))
        .order_by("title")
        .values("contract_id", "title", "estimated_total_usd", "committed")
    )
    found = _contract_wide(account, "over_committed", rows)
    total, shown = _capped(found, "over_committed", hidden, limit)
    items = [
        Item(
            key=f"over_committed:{row['contract_id']}",
            kind="over_committed",
            what="The milestones add up to more than the contract's estimated total",
            contract_id=row["contract_id"],
            contract_title=row["title"],
            stake=f"{money(row['committed'])} of {money(row['estimated_total_usd'])} "
            f"({money(row['committed'] - row['estimated_total_usd'])} over)",
            action_label="Review the milestones",
            action_url=url("contract_detail", row["contract_id"]),
        )
        for row in shown
    ]
    return Found(total, items)
