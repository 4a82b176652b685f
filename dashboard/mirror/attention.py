"""Which contracts need the PM, per contract, for the contracts list. No HTTP here.

The reasons are the inbox's groups (dashboard/inbox) seen per contract. They are worked out when a
contract is written (`columns`), as a score the list sorts and filters by with an index. Two
reasons start or end with time passing (a due date passed, a milestone left unfunded for a day):
their moments are stored too, with the next moment the score changes (`attention_next_at`), and
the list brings the few scores whose moment has come up to date before it reads (`refresh`).

Like the inbox, only active contracts need attention. Unlike it, a milestone whose approval the
dashboard is waiting on still counts here: those approvals live in the dashboard's own tables,
which a contract's row does not see.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from dashboard import opentrain
from dashboard.mirror.models import NEVER
from dashboard.opentrain.vocabulary import (
    FUNDED,
    NOT_FUNDED,
    OPEN_STATUSES,
    UNFUNDED_GRACE,
    UNITS,
)

# Each reason's badge, most urgent first (the inbox's order). Its bit is its weight: a contract
# with a more urgent reason sorts before one with any number of lesser ones.
BADGES = {
    "depleted": "Budget depleted",
    "review": "Work to review",
    "overdue": "Overdue",
    "low": "Budget low",
    "no_funded": "Nothing funded",
    "not_funded": "Unfunded over a day",
    "over_committed": "Over-committed",
}
BITS = {kind: 1 << (len(BADGES) - 1 - i) for i, kind in enumerate(BADGES)}


def columns(contract: opentrain.Contract) -> dict:
    """The attention columns of one contract, from OpenTrain's detail answer."""
    values = {"attention_flags": 0, "overdue_at": None, "unfunded_since": None}
    values |= {"unfunded_due_at": None, "attention_score": 0, "attention_next_at": NEVER}
    if not contract.is_active:
        return values
    budget = contract.budget
    state = budget.state if budget else ""
    milestones = contract.milestones
    review = {
        m.id for m in milestones if m.status == FUNDED and (m.needs_review or state == "DEPLETED")
    }
    reasons = {
        "depleted": state == "DEPLETED",
        "low": state == "LOW",
        "review": bool(review),
        "no_funded": not any(m.status in OPEN_STATUSES for m in contract.milestones),
        "over_committed": _over_committed(contract),
    }
    values["attention_flags"] = sum(BITS[kind] for kind, on in reasons.items() if on)
    due = [
        opentrain.parse_timestamp(m.due_date)
        for m in milestones
        if m.status in OPEN_STATUSES and m.id not in review
    ]
    values["overdue_at"] = min(filter(None, due), default=None)
    values["unfunded_since"], values["unfunded_due_at"] = _unfunded(milestones)
    values["attention_score"], values["attention_next_at"] = score_now(
        values["attention_flags"],
        values["overdue_at"],
        values["unfunded_since"],
        values["unfunded_due_at"],
        timezone.now(),
    )
    return values


def _unfunded(milestones) -> tuple:
    """(created, due) of the milestone not funded that stays "not funded" longest: the inbox calls
    one past its due date "overdue" instead, so the one due last (or never), and of those the
    oldest. Exact for a contract with one such milestone."""
    waiting = [
        (opentrain.parse_timestamp(m.due_date), opentrain.parse_timestamp(m.created_at))
        for m in milestones
        if m.status == NOT_FUNDED
    ]
    waiting = [(due, created) for due, created in waiting if created is not None]
    if not waiting:
        return None, None
    latest_due = max(waiting, key=lambda pair: (pair[0] is None, pair[0] or 0))[0]
    created = min(created for due, created in waiting if due == latest_due)
    return created, latest_due


def _over_committed(contract: opentrain.Contract) -> bool:
    if contract.estimated_total_usd is None:
        return False
    committed = sum((m.amount_usd for m in contract.milestones if m.amount_usd), Decimal(0))
    return committed > contract.estimated_total_usd


def remaining_usd(contract: opentrain.Contract) -> Decimal | None:
    """What is funded and not yet used, in dollars: the remaining hours or labels at the rate, or
    (fixed price) the funded milestones' amounts. None without a budget."""
    budget = contract.budget
    if budget is None:
        return None
    if contract.payment_type in UNITS:
        if budget.remaining_volume is None or contract.rate_usd is None:
            return None
        return (budget.remaining_volume * contract.rate_usd).quantize(Decimal("0.01"))
    return sum(
        (m.amount_usd for m in contract.milestones if m.status == FUNDED and m.amount_usd),
        Decimal(0),
    )


def score_now(flags: int, overdue_at, unfunded_since, unfunded_due_at, now) -> tuple:
    """(score, next change): the stored reasons plus those the clock has started by `now`, and
    the next moment the clock changes them (NEVER when it does not)."""
    score, moments = flags, []
    if overdue_at is not None:
        if overdue_at < now:
            score |= BITS["overdue"]
        else:
            moments.append(overdue_at)
    if unfunded_since is not None:
        starts = unfunded_since + UNFUNDED_GRACE
        ends = unfunded_due_at
        moments += [moment for moment in (starts, ends) if moment is not None and moment >= now]
        if starts < now and (ends is None or ends >= now):
            score |= BITS["not_funded"]
    return score, min(moments, default=NEVER)


def refresh(rows, now=None, *, due: bool | None = None) -> int:
    """Brings the stored score of these contracts (a queryset) up to `now` where the clock changed
    it since (a due date passed, a milestone became a day old). Usually none, a few at most: one
    indexed query finds that out, unless the caller knows already (`due`: the pages' read of the
    account asks, `reading.account_for_request`). Returns how many were brought up to date."""
    now = now or timezone.now()
    stale = rows.filter(attention_next_at__lt=now)
    if due is False or (due is None and not stale.exists()):
        return 0
    # Read and written in one transaction: a contract the worker rewrites meanwhile keeps the
    # score it was written with (SQLite's IMMEDIATE transactions and, on PostgreSQL, the row
    # locks keep the two apart).
    with transaction.atomic():
        found = list(
            stale.select_for_update().only(
                "pk", "attention_flags", "overdue_at", "unfunded_since", "unfunded_due_at"
            )
        )
        for row in found:
            row.attention_score, row.attention_next_at = score_now(
                row.attention_flags, row.overdue_at, row.unfunded_since, row.unfunded_due_at, now
            )
        rows.model.objects.bulk_update(
            found, ["attention_score", "attention_next_at"], batch_size=500
        )
    return len(found)


def badges(score: int) -> list[tuple[str, str]]:
    """(kind, words) of each reason in a score, most urgent first."""
    return [(kind, words) for kind, words in BADGES.items() if score & BITS[kind]]


# An item open since always: before any date OpenTrain can send.
ALWAYS = datetime(2000, 1, 1, tzinfo=UTC)
LAST = "~"  # sorts after any date written by _when(): no date comes last
# An item's columns, in one order, with what an item that does not say otherwise has.
ITEM = {
    "kind": "",
    "key": "",
    "starts_at": ALWAYS,
    "ends_at": None,
    "position": "",
    "milestone_ref": "",
    "milestone_label": "",
    "milestone_status": "",
    "marked": False,
    "since": None,
    "amount_usd": None,
    "volume": None,
}


def items(contract: opentrain.Contract) -> list[dict]:
    """The inbox items one contract's answer makes (`InboxItem` rows without their account and
    contract, each with every column in the same order): its budget depleted or low, work to
    review, milestones overdue or unfunded for a day (each from and until when the clock makes it
    so), nothing funded, over-committed. Only an active contract has any; each milestone is in one
    group at most, the most urgent."""
    if not contract.is_active:
        return []
    budget = contract.budget
    state = budget.state if budget else ""
    found = []

    def add(kind, ref, **fields):
        found.append({**ITEM, "kind": kind, "key": f"{kind}:{ref}"[:250], **fields})

    title = contract.title[:500]
    if state in ("DEPLETED", "LOW"):
        last = _last_milestone(contract.milestones)
        add(
            "depleted" if state == "DEPLETED" else "low",
            contract.id,
            position=title,
            amount_usd=last.amount_usd if last else None,
            volume=last.volume if last else None,
        )
    for milestone in contract.milestones:
        due = opentrain.parse_timestamp(milestone.due_date)
        created = opentrain.parse_timestamp(milestone.created_at)
        about = {
            "milestone_ref": milestone.id[:200],
            "milestone_label": f"#{milestone.number} {milestone.name[:500]}",
            "milestone_status": milestone.status[:40],
            "marked": milestone.needs_review,
            "amount_usd": milestone.amount_usd,
            "position": f"{_when(due)}|{_when(created)}",
        }
        if milestone.status == FUNDED and (milestone.needs_review or state == "DEPLETED"):
            add("review", milestone.id, **about)
            continue
        if milestone.status in OPEN_STATUSES and due is not None:
            add("overdue", milestone.id, **about, starts_at=due, since=due)
        if milestone.status == NOT_FUNDED and created is not None:
            starts = created + UNFUNDED_GRACE
            add("not_funded", milestone.id, **about, starts_at=starts, ends_at=due, since=created)
    if not any(m.status in OPEN_STATUSES for m in contract.milestones):
        add("no_funded", contract.id, position=title)
    if _over_committed(contract):
        committed = sum((m.amount_usd for m in contract.milestones if m.amount_usd), Decimal(0))
        add("over_committed", contract.id, position=title, amount_usd=committed)
    return found


def _last_milestone(milestones):
    """The last milestone not cancelled or refunded (the next batch copies it)."""
    kept = [m for m in milestones if m.status not in ("CANCELLED", "REFUNDED")]
    return max(kept, key=lambda m: m.number if m.number is not None else -1, default=None)


def _when(moment) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") if moment else LAST
