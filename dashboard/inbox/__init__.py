""" "Needs you": what a PM must act on now, read from the mirror, grouped by urgency.

No HTTP here, and no writes: every item is a query on the mirror (or on the approvals the dashboard
asked for), with one action that starts the fix. Each milestone appears in one group at most.
"""

from __future__ import annotations

import hashlib
import json
import time
from decimal import Decimal

from django.core.cache import cache
from django.db.models import Count, Exists, F, Max, OuterRef, Q, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from dashboard import access, submissions
from dashboard.mirror import reading
from dashboard.mirror.models import Account, Contract, InboxItem
from dashboard.models import Approval, Snooze
from dashboard.opentrain.vocabulary import NOT_FUNDED
from dashboard.words import money, sentence

from . import approvals as approval_items
from . import budgets
from .items import Found, Group, Item, is_waiting, url

# Most urgent first: the order of the page's groups.
GROUPS = {
    "depleted": "Budget depleted: work has stopped",
    "approval": "Approvals waiting for a person",
    "unclear": "Milestones sent a day ago whose outcome is still not known",
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
    "Milestones sent more than a day ago whose outcome is still not known",
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
KEPT_SECONDS = 60


def page(request, *, expand: str = "") -> dict:
    """The inbox page's context: the request's mirror, the open items not snoozed by the person
    asking, grouped (empty groups left out; each lists its first GROUP_LIMIT items, the `expand`
    group all of them), the setup checklist, and the navigation's count of them all."""
    account = reading.account_for_request(request)
    hidden = Snooze.hidden_keys(request.user)
    expand = expand if expand in GROUPS else ""
    found = collect(account, hidden, limit=GROUP_LIMIT, expand=expand)
    groups = [
        Group(kind, title, found[kind].items, found[kind].total)
        for kind, title in GROUPS.items()
        if found.get(kind) and found[kind].total
    ]
    setup = setup_items(account)
    count = sum(group.total for group in groups)
    return {
        "mirror": account,
        "groups": groups,
        "setup": setup,
        "inbox_count": count + len([item for item in setup if item.key not in hidden]),
    }


def open_count(request) -> int:
    """The navigation's count on the other pages: the same items, counted in the database, and
    kept for up to a minute while nothing they depend on changes."""
    account = reading.account_for_request(request)
    hidden = Snooze.hidden_keys(request.user)

    def count():
        found = collect(account, hidden, limit=0)
        setup = [item for item in setup_items(account) if item.key not in hidden]
        return sum(kind.total for kind in found.values()) + len(setup)

    if account is None:
        return count()
    # Kept while the mirror (its version, bumped by every sync, and the setup problems a refused
    # write stores without one), the approvals and the person's snoozes stay as they are; and
    # for the minute, as items also come with time (a due date passing, an approval expiring).
    approvals = Approval.objects.filter(token_fingerprint=account.fingerprint)
    changed = approvals.aggregate(Count("pk"), Max("updated_at"))
    depends = [account.version, account.access, changed, sorted(hidden), int(time.time() // 60)]
    digest = hashlib.sha256(json.dumps(depends, default=str, sort_keys=True).encode())
    key = f"inbox:count:{account.pk}:{request.user.pk}:{digest.hexdigest()[:32]}"
    return cache.get_or_set(key, count, KEPT_SECONDS)


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
                detail=" ".join(
                    filter(None, [sentence(problem.title), problem.message, problem.detail])
                ),
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
    # Not their stored answers (`data`): the inbox reads the columns alone.
    approvals = list(Approval.objects.filter(token_fingerprint=account.fingerprint).defer("data"))
    waiting = [a for a in approvals if is_waiting(a, now)]

    def limit_of(kind):
        return None if kind == expand else limit

    found = _mirrored(account, hidden, now, limit, expand)
    found["approval"] = approval_items.approval_items(
        account, waiting, now, hidden, limit_of("approval")
    )
    ended = approval_items.ask_again_items(account, approvals, now)
    found["ask_again"] = Found.of(ended, hidden, limit_of("ask_again"))
    found["payment"] = approval_items.payment_items(account, now, hidden, limit_of("payment"))
    found["unclear"] = Found.of(_unclear_items(account), hidden, limit_of("unclear"))
    return found


def _unclear_items(account: Account) -> list[Item]:
    """Milestones sent more than a day ago on this account's contracts that OpenTrain never
    confirmed and the mirror has not shown since: the PM compares them with the contract."""
    on_account = Contract.objects.filter(account=account, contract_id=OuterRef("contract_id"))
    rows = submissions.unclear_for_long().filter(Exists(on_account))
    items = []
    for submission in rows:
        label, worth = submissions.named(submission)
        items.append(
            Item(
                key=f"unclear:{submission.key}",
                kind="unclear",
                what=f"Whether milestone “{label}” was created is still not known",
                contract_id=submission.contract_id,
                contract_title=submission.contract_title,
                stake=worth,
                since=submission.created_at,
                since_label="sent",
                action_label="Compare with the contract's milestones",
                action_url=url("submission_detail", str(submission.key)),
            )
        )
    return items


def _mirrored(account, hidden: set[str], now, limit, expand) -> dict:
    """The kinds the mirror knows of (written with each contract: `mirror/attention.py`), open
    now: counted, and each kind's first `limit` read, in one query. A milestone whose approval
    the dashboard is waiting on is left to that approval's item."""
    asked_for = Approval.objects.waiting_on(account.fingerprint, OuterRef("milestone_ref"), now)
    rows = (
        InboxItem.objects.filter(account=account, starts_at__lt=now)
        .filter(Q(ends_at=None) | Q(ends_at__gte=now))
        .exclude(key__in=hidden)
        .exclude(Q(kind__in=MILESTONE_KINDS), asked_for)
    )
    if limit == 0:
        counts = rows.values("kind").annotate(n=Count("pk")).values_list("kind", "n")
        return {kind: Found(n) for kind, n in counts}
    # The places first (over the open items' own columns), then the rows shown with their
    # contracts: sorting the open items with their contracts' columns costs three times as much.
    kind = [F("kind")]
    places = rows.annotate(
        total=Window(Count("pk"), partition_by=kind),
        place=Window(RowNumber(), partition_by=kind, order_by=[F("position"), F("pk")]),
    )
    if limit is not None:
        shown = Q(place__lte=limit) | Q(kind=expand) if expand else Q(place__lte=limit)
        places = places.filter(shown)
    places = {
        pk: (kind, total, place)
        for pk, kind, total, place in places.values_list("pk", "kind", "total", "place")
    }
    rows = (
        InboxItem.objects.filter(pk__in=places)
        .select_related("contract")
        .only(*ITEM_FIELDS, *(f"contract__{name}" for name in CONTRACT_FIELDS))
    )
    by_kind: dict[str, list[InboxItem]] = {}
    totals = {}
    for row in sorted(rows, key=lambda row: places[row.pk]):
        by_kind.setdefault(row.kind, []).append(row)
        totals[row.kind] = places[row.pk][1]
    made = budgets.budget_items(
        [row for kind in budgets.BUDGET_KINDS for row in by_kind.get(kind, [])], now
    )
    found = {}
    for kind, shown in by_kind.items():
        if kind in budgets.BUDGET_KINDS:
            items = [made[row.pk] for row in shown]
        else:
            items = [MAKERS[kind](row) for row in shown]
        found[kind] = Found(totals[kind], items)
    return found


# What the items show: these columns of the item and of its contract.
ITEM_FIELDS = (
    "kind",
    "key",
    "milestone_ref",
    "milestone_label",
    "milestone_status",
    "marked",
    "since",
    "amount_usd",
    "volume",
)
CONTRACT_FIELDS = (
    "contract_id",
    "title",
    "payment_type",
    "rate_usd",
    "estimated_total_usd",
    "budget_state",
    "remaining_volume",
    "upstream_created_at",
)


def _milestone_item(row: InboxItem) -> Item:
    contract, kind = row.contract, row.kind
    query = {"contract": contract.contract_id}
    fund = url("milestone_fund", row.milestone_ref, query=query)
    payout = url("milestone_approve", row.milestone_ref, query=query)
    item = Item(
        key=row.key,
        kind=kind,
        what="",
        contract_id=contract.contract_id,
        contract_title=contract.title,
        stake=money(row.amount_usd),
    )
    name = row.milestone_label
    if kind == "review":
        reason = "is marked for review" if row.marked else "is funded and fully used"
        item.what = f"Milestone {name} {reason}"
        item.action_label, item.action_url = "Request payout approval", payout
    elif kind == "overdue":
        item.since, item.since_label = row.since, "due"
        item.what = f"Milestone {name} is past its due date and not paid"
        if row.milestone_status == NOT_FUNDED:
            item.action_label, item.action_url = "Request funding", fund
        else:
            item.action_label, item.action_url = "Request payout approval", payout
    else:
        item.since, item.since_label = row.since, "created"
        item.what = f"Milestone {name} was created but never funded"
        item.action_label, item.action_url = "Request funding", fund
    return item


def _no_funded_item(row: InboxItem) -> Item:
    contract = row.contract
    return Item(
        key=row.key,
        kind="no_funded",
        what="No funded milestone: the AI trainer has nothing to work on",
        contract_id=contract.contract_id,
        contract_title=contract.title,
        stake=f"Estimated total {money(contract.estimated_total_usd)}"
        if contract.estimated_total_usd
        else "",
        since=contract.upstream_created_at,
        since_label="started",
        action_label="Add a milestone",
        action_url=url("milestone_create", contract.contract_id),
    )


def _over_committed_item(row: InboxItem) -> Item:
    contract = row.contract
    committed, estimate = row.amount_usd or Decimal(0), contract.estimated_total_usd or Decimal(0)
    return Item(
        key=row.key,
        kind="over_committed",
        what="The milestones add up to more than the contract's estimated total",
        contract_id=contract.contract_id,
        contract_title=contract.title,
        stake=f"{money(committed)} of {money(estimate)} ({money(committed - estimate)} over)",
        action_label="Review the milestones",
        action_url=url("contract_detail", contract.contract_id),
    )


MILESTONE_KINDS = ("review", "overdue", "not_funded")
MAKERS = {
    "review": _milestone_item,
    "overdue": _milestone_item,
    "not_funded": _milestone_item,
    "no_funded": _no_funded_item,
    "over_committed": _over_committed_item,
}
