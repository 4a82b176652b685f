"""What is urgent now, and who is told: the alerts opened and closed by each scan, and the notices
(one per person or channel that wants each new alert, one digest a day per person).

No HTTP and no sending here: `send` does that, in the worker.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from dashboard import inbox
from dashboard.inbox import approvals as approval_items
from dashboard.inbox import budgets
from dashboard.inbox.items import is_waiting
from dashboard.mirror import accounts, pace
from dashboard.mirror.models import Account, Contract, InboxItem
from dashboard.models import Approval, Snooze, Submission
from dashboard.submissions import named
from dashboard.words import ago, until, when

from .models import Alert, Channel, Notice, Preference

EXPIRES_SOON = timedelta(hours=24)
UNCLEAR_AFTER = timedelta(hours=1)
SYNC_FAILING_AFTER = timedelta(minutes=30)


@dataclass(frozen=True)
class Urgent:
    """An urgent item as the alert stores it."""

    key: str
    kind: str  # one of models.URGENT_KINDS
    subject: str
    summary: str
    action_label: str
    action_path: str
    contract_id: str = ""
    contract_title: str = ""


def scan(now: datetime | None = None) -> dict[str, int]:
    """Open an alert for each urgent item not yet open and close those no longer urgent (their
    waiting notices are then not sent); then queue each due digest. Returns what it did."""
    now = now or timezone.now()
    done = {"opened": 0, "closed": 0, "notices": 0, "digests": 0}
    for account in notified_accounts():
        opened, closed = _alerts(account, urgent_items(account, now), now)
        done["opened"] += len(opened)
        done["closed"] += closed
        done["notices"] += _notices_for(opened, now)
    done["digests"] = queue_digests(now)
    return done


def notified_accounts() -> list[Account]:
    """The mirror of the account the dashboard acts for: OT_API_TOKEN's. On the sandbox, the demo
    account a new session acts as, so that every link in a message opens for the PM as it is; the
    other demo accounts are there to reproduce OpenTrain's errors, not to be watched."""
    known = accounts.known()[:1]
    return list(Account.objects.filter(fingerprint__in=[k.fingerprint for k in known]))


def urgent_items(account: Account, now: datetime) -> list[Urgent]:
    """The account's urgent items now: budgets depleted or running out within a day, approvals
    expiring within 24 h, writes unclear for more than an hour, a sync failing for 30 minutes."""
    return [
        *_budgets(account, now),
        *_approvals(account, now),
        *_unclear(account, now),
        *_sync(account, now),
    ]


def _budgets(account: Account, now: datetime) -> list[Urgent]:
    rows = list(
        InboxItem.objects.filter(account=account, kind__in=budgets.BUDGET_KINDS, starts_at__lt=now)
        .filter(Q(ends_at=None) | Q(ends_at__gte=now))
        .select_related("contract")
    )
    low = [row for row in rows if row.kind == "low"]
    read = budgets.readings([row.contract.pk for row in low], now)
    soon = set()
    for row in low:
        reading = read.get(row.contract.pk)  # None: the contract went away meanwhile
        left = pace.days_left(reading, now) if reading is not None else None
        if left is not None and left < 1:
            soon.add(row.pk)
    rows = [row for row in rows if row.kind == "depleted" or row.pk in soon]
    made = budgets.budget_items(rows, now)
    found = []
    for row in rows:
        item, title = made[row.pk], row.contract.title
        depleted = row.kind == "depleted"
        found.append(
            Urgent(
                key=row.key,
                kind="budget",
                subject=f"Budget depleted: {title}"
                if depleted
                else f"Budget runs out within a day: {title}",
                summary=" ".join(filter(None, [f"{item.what}.", item.note, item.stake])),
                action_label=item.action_label,
                action_path=item.action_url,
                contract_id=row.contract.contract_id,
                contract_title=title,
            )
        )
    return found


def _approvals(account: Account, now: datetime) -> list[Urgent]:
    rows = Approval.objects.filter(
        token_fingerprint=account.fingerprint, expires_at__lte=now + EXPIRES_SOON
    ).defer("data")
    waiting = [approval for approval in rows if is_waiting(approval, now)]
    found = approval_items.approval_items(account, waiting, now, set(), None)
    return [
        Urgent(
            key=item.key,
            kind="approval",
            subject=f"Approval expires in {until(item.expires_at)}: {item.contract_title}",
            summary=" ".join(
                filter(
                    None,
                    [
                        f"{item.what}.",
                        f"It expires in {until(item.expires_at)}, on {when(item.expires_at)}.",
                        item.stake,
                    ],
                )
            ),
            action_label=item.action_label,
            action_path=item.action_url,
            contract_id=item.contract_id,
            contract_title=item.contract_title,
        )
        for item in found.items
    ]


def _unclear(account: Account, now: datetime) -> list[Urgent]:
    on_account = Contract.objects.filter(account=account, contract_id=OuterRef("contract_id"))
    rows = Submission.objects.filter(
        state=Submission.State.UNKNOWN, created_at__lt=now - UNCLEAR_AFTER
    ).filter(Exists(on_account))
    found = []
    for submission in rows.order_by("created_at", "id"):
        label, worth = named(submission)
        for_worth = f" for {worth}" if worth else ""
        found.append(
            Urgent(
                key=f"unclear:{submission.key}",
                kind="unclear",
                subject=f"Not known whether “{label}” was created: {submission.contract_title}",
                summary=(
                    f"Milestone “{label}”{for_worth} was sent {ago(submission.created_at)} ago and "
                    "OpenTrain has not shown it since. Compare with the contract's milestones "
                    "before creating it again."
                ),
                action_label="Compare with the contract's milestones",
                action_path=reverse("submission_detail", args=[submission.key]),
                contract_id=submission.contract_id,
                contract_title=submission.contract_title,
            )
        )
    return found


def _sync(account: Account, now: datetime) -> list[Urgent]:
    failing = account.error and account.attempted_at
    since = account.synced_at
    if not failing or since is None or now - since < SYNC_FAILING_AFTER:
        return []
    where = f" ({account.label})" if account.label else ""
    return [
        Urgent(
            key="sync",
            kind="sync",
            subject=f"Sync with OpenTrain failing for {ago(since)}{where}",
            summary=(
                f"The dashboard has not been able to read OpenTrain since "
                f"{timezone.localtime(since):%d %b %H:%M}: {account.error} What it shows may be "
                "out of date."
            ),
            action_label="Open the dashboard",
            action_path=reverse("inbox"),
        )
    ]


def _alerts(account: Account, items: list[Urgent], now: datetime) -> tuple[list[Alert], int]:
    """Open the new items' alerts, close the gone ones'; returns (the opened, how many closed)."""
    by_key = {item.key: item for item in items}
    open_now = {alert.key: alert for alert in Alert.objects.filter(account=account, closed_at=None)}
    gone = [alert.pk for key, alert in open_now.items() if key not in by_key]
    if gone:
        Alert.objects.filter(pk__in=gone).update(closed_at=now)
        Notice.objects.filter(alert__in=gone, state=Notice.State.PENDING).update(
            state=Notice.State.CANCELLED,
            error="The item was resolved before it was sent.",
            claimed_until=None,
        )
    new = [
        Alert(
            account=account,
            key=key,
            kind=item.kind,
            subject=item.subject[:300],
            summary=item.summary,
            contract_id=item.contract_id[:100],
            contract_title=item.contract_title[:500],
            action_label=item.action_label[:200],
            action_path=item.action_path[:500],
            opened_at=now,
        )
        for key, item in by_key.items()
        if key not in open_now
    ]
    # One statement; a key another worker's scan opened a moment ago is left to that scan (the
    # open-alert constraint), and the alerts opened are read back by this scan's moment.
    Alert.objects.bulk_create(new, ignore_conflicts=True)
    keys = [alert.key for alert in new]
    opened = list(
        Alert.objects.filter(account=account, closed_at=None, opened_at=now, key__in=keys)
    )
    return opened, len(gone)


def recipients():
    """The people who may be e-mailed: active, with an address."""
    users = get_user_model().objects.filter(is_active=True).exclude(email="")
    return users.select_related("notification_preference").order_by("pk")


def preference(user) -> Preference:
    try:
        return user.notification_preference
    except Preference.DoesNotExist:
        return Preference.of(user)


def _notices_for(alerts: list[Alert], now: datetime) -> int:
    """One notice per person and per channel that wants each alert."""
    if not alerts:
        return 0
    people = [(user, preference(user)) for user in recipients()] if settings.NOTIFY_BY_EMAIL else []
    channels = list(Channel.objects.all())
    notices = []
    for alert in alerts:
        common = {
            "kind": Notice.Kind.URGENT,
            "alert": alert,
            "subject": alert.subject,
            "contract_id": alert.contract_id,
            "created_at": now,
            "next_attempt_at": now,
        }
        for user, chosen in people:
            if chosen.wants(alert.kind, now):
                notices.append(Notice(user=user, address=user.email, **common))
        for channel in channels:
            if alert.kind in channel.kinds:
                notices.append(Notice(channel=channel, **common))
    made = Notice.objects.bulk_create(notices, ignore_conflicts=True)
    return len(made)


def queue_digests(now: datetime) -> int:
    """For each person whose digest hour has come today (in their time zone), one digest per
    account with open items; none when nothing is open. Each day is claimed once, so two workers
    never make the same digest."""
    if not settings.NOTIFY_BY_EMAIL:
        return 0
    followed = notified_accounts()
    queued = 0
    for user in recipients():
        chosen = preference(user)
        day = chosen.digest_due(now)
        if day is None or not _claim_day(user, chosen, day):
            continue
        hidden = Snooze.hidden_keys(user)
        for account in followed:
            found = inbox.collect(account, hidden, now=now, limit=0)
            setup = [item for item in inbox.setup_items(account) if item.key not in hidden]
            count = sum(kind.total for kind in found.values()) + len(setup)
            if not count:
                continue
            _, made = Notice.objects.get_or_create(
                user=user,
                account=account,
                digest_day=day,
                defaults={
                    "kind": Notice.Kind.DIGEST,
                    "address": user.email,
                    "subject": "1 item needs you" if count == 1 else f"{count} items need you",
                    "created_at": now,
                    "next_attempt_at": now,
                },
            )
            queued += made
    return queued


def _claim_day(user, chosen: Preference, day) -> bool:
    """Store `day` as the person's last digest day; False when another worker stored it first."""
    if chosen.pk is None:
        chosen, _ = Preference.objects.get_or_create(
            user=user, defaults={"urgent_kinds": chosen.urgent_kinds}
        )
    claimed = (
        Preference.objects.filter(pk=chosen.pk)
        .filter(Q(digest_day=None) | Q(digest_day__lt=day))
        .update(digest_day=day)
    )
    return bool(claimed)
