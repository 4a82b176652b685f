"""Approval items: waiting, declined or expired, and pending payments. No HTTP here."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import quote

from django.db.models import Count, OuterRef, Window

from dashboard import links
from dashboard.mirror.models import Milestone
from dashboard.models import Approval
from dashboard.opentrain.vocabulary import APPROVAL_TYPES, FUNDED, NOT_FUNDED
from dashboard.words import money, sentence, when

from .items import URGENT_EXPIRY, Found, Item, is_waiting, url


def approval_items(
    account, waiting: list[Approval], now, hidden: set[str], limit: int | None
) -> Found:
    """The approvals waiting for a person, oldest first: the snoozed left out, and only the
    first `limit` made into items (each with its amount, links and e-mail)."""
    waiting = sorted(waiting, key=lambda a: a.created_at)
    waiting = [a for a in waiting if f"approval:{a.approval_id}" not in hidden]
    shown = waiting if limit is None else waiting[:limit]
    amounts = _amounts(account, {a.milestone_id for a in shown})
    items = []
    for approval in shown:
        amount = amounts.get(approval.milestone_id)
        kind = APPROVAL_TYPES.get(approval.type, approval.type)
        shareable = links.is_allowed(approval.approval_url)
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
                action_url=url("approval_detail", approval.approval_id),
                urgent=approval.expires_at is not None
                and approval.expires_at - now <= URGENT_EXPIRY,
                expires_at=approval.expires_at,
                # Only a link that may be a link is offered to copy or e-mail.
                approval_url=approval.approval_url if shareable else "",
                mailto=mailto(approval, amount) if shareable else "",
            )
        )
    return Found(len(waiting), items)


def _amounts(account, milestone_ids: set[str]) -> dict[str, Decimal]:
    rows = Milestone.objects.filter(contract__account=account, milestone_id__in=milestone_ids)
    return dict(rows.values_list("milestone_id", "amount_usd"))


def ask_again_items(account, approvals: list[Approval], now) -> list[Item]:
    """The latest approval for each action, when it ended without a yes."""
    latest = {}
    for approval in sorted(approvals, key=lambda a: (a.created_at, a.pk)):
        latest[(approval.type, approval.contract_id, approval.milestone_id)] = approval
    ended = [a for a in latest.values() if a.status in ("declined", "expired")]
    ended += [a for a in latest.values() if a.is_pending and not is_waiting(a, now)]
    states = dict(
        Milestone.objects.filter(
            contract__account=account,
            contract__status="active",
            milestone_id__in={a.milestone_id for a in ended if a.milestone_id},
        ).values_list("milestone_id", "status")
    )
    routes = {"milestone_fund": NOT_FUNDED, "milestone_approve": FUNDED}
    items = []
    for approval in ended:
        needs = routes.get(approval.type)
        if needs is None or states.get(approval.milestone_id) != needs:
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
                action_url=url(
                    approval.type, approval.milestone_id, query={"contract": approval.contract_id}
                ),
            )
        )
    return items


def payment_items(account, now, hidden: set[str], limit: int | None) -> Found:
    """The invoices pending on the account, oldest first, but those whose milestone's approval
    is already waiting: the snoozed left out, counted in the database with the first `limit`
    (0: only counted), which are made into items."""
    snoozed = [key.removeprefix("payment:") for key in hidden if key.startswith("payment:")]
    asked_for = Approval.objects.waiting_on(account.fingerprint, OuterRef("milestone_id"), now)
    payments = account.pending_payments.exclude(asked_for).exclude(payment_id__in=snoozed)
    if limit == 0:
        return Found(payments.count())
    payments = payments.annotate(total=Window(Count("pk"))).order_by("upstream_created_at", "pk")
    shown = list(payments.defer("data")[:limit])
    total = shown[0].total if shown else 0
    contracts = dict(
        Milestone.objects.filter(
            contract__account=account, milestone_id__in=[p.milestone_id for p in shown]
        ).values_list("milestone_id", "contract__contract_id")
    )
    items = []
    for payment in shown:
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
                since_label="waiting for",
                action_label="Open the contract",
                action_url=url("contract_detail", contract_id) if contract_id else "",
            )
        )
    return Found(total, items)


def mailto(approval, amount: Decimal | None) -> str:
    """An e-mail to whoever confirms payments (`approval`: the stored `Approval`): what is asked,
    for what, how much, and the link."""
    kind = APPROVAL_TYPES.get(approval.type, approval.type)
    label = approval.milestone_label or approval.contract_title or approval.contract_id
    worth = f" ({money(amount)})" if amount is not None else ""
    contract = (
        f" on the contract “{approval.contract_title}”"
        if approval.contract_title and approval.milestone_label
        else ""
    )
    expires = f"\nIt expires on {when(approval.expires_at)}." if approval.expires_at else ""
    subject = f"Please confirm in OpenTrain: {kind} for {label}{worth}"
    asked = sentence(f"{kind} for {label}{worth}{contract}")  # "… for Kenji T.", not "T.."
    body = (
        f"Hello,\n\nThe OpenTrain dashboard asked for this: {asked}"
        f"\nNo money moves until a person signed in to OpenTrain confirms it here:\n"
        f"{approval.approval_url}{expires}\n"
    )
    return f"mailto:?subject={quote(subject)}&body={quote(body)}"
