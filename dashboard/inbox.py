""" "Needs you": what a PM must act on now, read from the mirror, grouped by urgency.

No HTTP here, and no writes: every item is a query on the mirror (or on the approvals the dashboard
asked for), with one action that starts the fix. Each milestone appears in one group at most.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from urllib.parse import quote, urlencode

from django.db.models import F, Q, Sum
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from dashboard import access
from dashboard.forms import milestone_cost
from dashboard.mirror.models import Account, Contract, Milestone
from dashboard.models import Approval, Snooze
from dashboard.opentrain.vocabulary import APPROVAL_TYPES, UNITS
from dashboard.templatetags.dashboard import money, number

NOT_FUNDED, FUNDED = "NOT_FUNDED", "ACTIVE_FUNDED"
OPEN_STATUSES = (NOT_FUNDED, FUNDED)
UNFUNDED_GRACE = timedelta(days=1)
URGENT_EXPIRY = timedelta(hours=4)  # "expires in 3 h" and sooner
PACE_WINDOW = timedelta(days=7)

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


@dataclass
class Item:
    key: str
    kind: str
    what: str  # the problem, in words
    contract_id: str = ""
    contract_title: str = ""
    stake: str = ""  # the amount or volume at stake
    since: datetime | None = None
    since_label: str = "for"
    action_label: str = ""
    action_url: str = ""
    note: str = ""
    urgent: bool = False
    expires_at: datetime | None = None
    approval_url: str = ""
    mailto: str = ""
    detail: str = ""  # technical detail, shown behind a disclosure


@dataclass
class Group:
    kind: str
    title: str
    items: list[Item] = field(default_factory=list)


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
    problem = access.stored_problem(account.access) if account is not None else None
    if problem is None:
        return []
    what, why = SETUP.get(problem.kind, (problem.title, problem.message))
    detail = f"{problem.title}. {problem.message}"
    return [
        Item(
            key=f"setup:{problem.kind}",
            kind="setup",
            what=what,
            note=why,
            detail=detail,
            action_label=problem.link_label,
            action_url=problem.link_url,
        )
    ]


def collect(account: Account | None, *, now=None, forecasts: bool = True) -> list[Item]:
    if account is None:
        return []
    now = now or timezone.now()
    contracts = Contract.objects.for_account(account).filter(status="active").defer("data")
    approvals = list(Approval.objects.filter(token_fingerprint=account.fingerprint))
    waiting = [a for a in approvals if _is_waiting(a, now)]
    asked_for = {a.milestone_id for a in waiting if a.milestone_id}

    items = _budget_items(contracts, now, forecasts)
    items += _approval_items(account, waiting, now)
    items += _milestone_items(account, asked_for, now)
    items += _no_funded_items(contracts)
    items += _ask_again_items(account, approvals, now)
    items += _over_committed_items(contracts)
    items += _payment_items(account, asked_for)
    return items


def _is_waiting(approval: Approval, now) -> bool:
    not_expired = approval.expires_at is None or approval.expires_at > now
    return approval.is_pending and not_expired


def _url(name: str, *args, query: dict | None = None) -> str:
    """A dashboard URL; "" when an ID from OpenTrain cannot be a path segment."""
    try:
        url = reverse(name, args=args)
    except NoReverseMatch:
        return ""
    return f"{url}?{urlencode(query)}" if query else url


def _volume(payment_type: str, volume) -> str:
    singular, plural = UNITS.get(payment_type, ("", ""))
    return f"{number(volume)} {singular if volume == 1 else plural}".strip()


def _budget_items(contracts, now, forecasts: bool) -> list[Item]:
    items = []
    for row in contracts.filter(budget_state__in=("DEPLETED", "LOW")).order_by("title"):
        depleted = row.budget_state == "DEPLETED"
        item = Item(
            key=f"{'depleted' if depleted else 'low'}:{row.contract_id}",
            kind="depleted" if depleted else "low",
            what="Every funded unit is used: the AI trainer cannot go on"
            if depleted
            else "Most of the funded budget is used",
            contract_id=row.contract_id,
            contract_title=row.title,
        )
        if not depleted and row.remaining_volume is not None:
            item.stake = f"{_volume(row.payment_type, row.remaining_volume)} left"
        if forecasts:
            item.since = _state_since(row)
            if not depleted:
                item.note = _forecast(row, now)
        item.action_label, item.action_url, batch = _next_batch(row)
        if batch:
            item.stake = " · ".join(filter(None, [item.stake, f"next batch {batch}"]))
        items.append(item)
    return items


def _state_since(row: Contract) -> datetime | None:
    """When the budget entered its current state, from the budget history."""
    history = row.budget_history.all()
    before = history.exclude(state=row.budget_state).order_by("-observed_at", "-id").first()
    run = history.filter(state=row.budget_state)
    if before is not None:
        run = run.filter(observed_at__gte=before.observed_at)
    first = run.order_by("observed_at", "id").first()
    return first.observed_at if first else None


def _forecast(row: Contract, now) -> str:
    """ "Runs out in about N days at the last 7 days' pace", or "" when there is no pace."""
    history = row.budget_history.exclude(consumed_volume=None)
    latest = history.order_by("-observed_at", "-id").first()
    start = now - PACE_WINDOW
    baseline = history.filter(observed_at__lte=start).order_by("-observed_at", "-id").first()
    if baseline is None:
        baseline = history.order_by("observed_at", "id").first()
    if latest is None or baseline is None or row.remaining_volume is None:
        return ""
    used = latest.consumed_volume - baseline.consumed_volume
    days = Decimal((now - max(start, baseline.observed_at)).total_seconds()) / 86400
    if used <= 0 or days <= 0:
        return ""
    left = row.remaining_volume / (used / days)
    if left < 1:
        return "Runs out within a day at the last 7 days' pace."
    n = math.ceil(left)
    return f"Runs out in about {n} day{'s' if n != 1 else ''} at the last 7 days' pace."


def _next_batch(row: Contract) -> tuple[str, str, str]:
    """ "Add next batch": the form pre-filled with the last milestone's volume or amount."""
    last = row.milestone_rows.exclude(status__in=("CANCELLED", "REFUNDED")).order_by("-number")
    last = last.first()
    query, words = {}, ""
    if last is not None and row.payment_type in UNITS and last.volume:
        query = {"volume": format(last.volume.normalize(), "f")}
        cost = milestone_cost(row.rate_usd, last.volume)
        words = _volume(row.payment_type, last.volume) + (f", {money(cost)}" if cost else "")
    elif last is not None and row.payment_type == "FIXED_PRICE" and last.amount_usd:
        query, words = {"amount_usd": format(last.amount_usd, "f")}, money(last.amount_usd)
    return "Add next batch", _url("milestone_create", row.contract_id, query=query), words


def _approval_items(account, waiting: list[Approval], now) -> list[Item]:
    amounts = _amounts(account, {a.milestone_id for a in waiting})
    items = []
    for approval in sorted(waiting, key=lambda a: a.created_at):
        amount = amounts.get(approval.milestone_id)
        kind = APPROVAL_TYPES.get(approval.type, approval.type)
        label = approval.milestone_label or approval.contract_title or approval.contract_id
        items.append(
            Item(
                key=f"approval:{approval.approval_id}",
                kind="approval",
                what=f"{kind} waits for a person to confirm it in OpenTrain",
                contract_id=approval.contract_id,
                contract_title=approval.contract_title,
                stake=money(amount) if amount is not None else "",
                since=approval.created_at,
                since_label="asked",
                action_label="Open the approval",
                action_url=_url("approval_detail", approval.approval_id),
                urgent=approval.expires_at is not None
                and approval.expires_at - now <= URGENT_EXPIRY,
                expires_at=approval.expires_at,
                approval_url=approval.approval_url,
                mailto=_mailto(kind, label, amount, approval),
            )
        )
    return items


def _mailto(kind: str, label: str, amount, approval: Approval) -> str:
    subject = f"Please confirm in OpenTrain: {kind} for {label}"
    worth = f" ({money(amount)})" if amount is not None else ""
    body = (
        f"Hello,\n\nThe OpenTrain dashboard asked for this: {kind} for {label}{worth}.\n"
        f"Please confirm it here: {approval.approval_url}\n"
    )
    return f"mailto:?subject={quote(subject)}&body={quote(body)}"


def _amounts(account, milestone_ids: set[str]) -> dict[str, Decimal]:
    rows = Milestone.objects.filter(contract__account=account, milestone_id__in=milestone_ids)
    return dict(rows.values_list("milestone_id", "amount_usd"))


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
        fund = _url("milestone_fund", row.milestone_id, query={"contract": contract.contract_id})
        payout = _url(
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
            action_url=_url("milestone_create", row.contract_id),
        )
        for row in rows
    ]


def _ask_again_items(account, approvals: list[Approval], now) -> list[Item]:
    """The latest approval for each action, when it ended without a yes."""
    latest = {}
    for approval in sorted(approvals, key=lambda a: (a.created_at, a.pk)):
        latest[(approval.type, approval.contract_id, approval.milestone_id)] = approval
    ended = [a for a in latest.values() if a.status in ("declined", "expired")]
    ended += [a for a in latest.values() if a.is_pending and not _is_waiting(a, now)]
    states = dict(
        Milestone.objects.filter(contract__account=account, contract__status="active").values_list(
            "milestone_id", "status"
        )
    )
    routes = {
        "milestone_fund": ("milestone_fund", NOT_FUNDED),
        "milestone_approve": (
            "milestone_approve",
            FUNDED,
        ),
    }
    items = []
    for approval in ended:
        route, needs = routes.get(approval.type, ("", ""))
        if not route or states.get(approval.milestone_id) != needs:
            continue  # nothing left to ask for (or not an action the inbox repeats)
        status = "expired" if approval.is_pending else approval.status
        items.append(
            Item(
                key=f"ask_again:{approval.approval_id}",
                kind="ask_again",
                what=f"{APPROVAL_TYPES.get(approval.type, approval.type)} was {status}",
                contract_id=approval.contract_id,
                contract_title=approval.contract_title,
                stake=approval.milestone_label,
                since=approval.updated_at,
                since_label=status,
                action_label="Ask again",
                action_url=_url(
                    route, approval.milestone_id, query={"contract": approval.contract_id}
                ),
            )
        )
    return items


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
            action_url=_url("contract_detail", row.contract_id),
        )
        for row in rows
    ]


def _payment_items(account, asked_for: set[str]) -> list[Item]:
    payments = account.pending_payments.exclude(milestone_id__in=asked_for)
    contracts = dict(
        Milestone.objects.filter(
            contract__account=account, milestone_id__in=[p.milestone_id for p in payments]
        ).values_list("milestone_id", "contract__contract_id")
    )
    items = []
    for payment in payments.order_by("upstream_created_at"):
        contract_id = contracts.get(payment.milestone_id, "")
        funding = payment.status == "PENDING_FUNDING"
        items.append(
            Item(
                key=f"payment:{payment.payment_id}",
                kind="payment",
                what=f"A {'funding' if funding else 'payout'} waits in OpenTrain",
                contract_id=contract_id,
                contract_title=payment.job_title,
                stake=money(payment.amount_usd),
                since=payment.upstream_created_at,
                since_label="waiting",
                action_label="Open the contract",
                action_url=_url("contract_detail", contract_id) if contract_id else "",
            )
        )
    return items
