"""Background work on the mirror, run by the worker (`python manage.py sync_worker`).

Task arguments are stored in the database: they name accounts by fingerprint, never by token.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.tasks import task
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from dashboard import submissions
from dashboard.mirror import accounts, signals, sync
from dashboard.mirror.models import BudgetSnapshot, Contract, Delivery

# A redelivery older than this is not expected, and the sync has long applied what it said.
KEEP_DELIVERIES = timedelta(days=30)
# Budget snapshots older than this are thinned to one a contract a day, once a day.
THIN_SNAPSHOTS_AFTER = timedelta(days=30)
THIN_CHUNK = 500  # contracts a statement
# While a milestone write's outcome is not known, the ticker reads the feed this often, so that a
# write OpenTrain carried out after the dashboard gave up settles within seconds of the feed
# showing it, even where no webhook arrives.
UNCLEAR_POLL_SECONDS = 5.0


@task()
def sync_account(fingerprint: str) -> str:
    """Apply the updates feed (and a full reconciliation when one is due) to one account."""
    known = accounts.by_fingerprint(fingerprint)
    if known is None:
        return "unknown account"
    account = sync.account_for(fingerprint, known.label)
    ran = sync.sync_account(account, known.token)
    if ran:
        signals.account_synced.send(sender=account)
    return "synced" if ran else "another worker is on it"


@task()
def sync_everything() -> int:
    """Queue a sync of every account the dashboard acts for (finding them may need HTTP)."""
    return request_sync_all()


def request_sync_everywhere() -> None:
    """Queue `sync_everything` unless it is already waiting (for the web process: no HTTP)."""
    if not _waiting(sync_everything):
        sync_everything.enqueue()


def request_sync(fingerprint: str) -> bool:
    """Queue a sync of this account unless one is already waiting; True when one was queued."""
    if _waiting(sync_account, fingerprint=fingerprint):
        return False
    sync_account.enqueue(fingerprint=fingerprint)
    return True


def _waiting(task_, **kwargs) -> bool:
    """Whether a run of `task_` with these keyword arguments is already queued."""
    lookups = {f"args_kwargs__kwargs__{name}": value for name, value in kwargs.items()}
    return DBTaskResult.objects.filter(
        status="READY", task_path=task_.module_path, **lookups
    ).exists()


def request_sync_all() -> int:
    """Queue a sync of every account the dashboard acts for."""
    return sum(request_sync(known.fingerprint) for known in accounts.known())


@task()
def prune_deliveries() -> int:
    """Forget the webhook deliveries received more than 30 days ago; returns how many."""
    cutoff = timezone.now() - KEEP_DELIVERIES
    deleted, _ = Delivery.objects.filter(received_at__lt=cutoff).delete()
    return deleted


@task()
def thin_budget_history() -> int:
    """Keep one budget snapshot a contract a day for those older than 30 days; returns how many
    went (the contract page's chart needs no more, and the table stays bounded).

    A few hundred contracts a statement, each its own short write, so a web request waiting to
    write (a sign-in) never waits for the lot; and only the days since the last run that
    finished, so the daily run reads a day or two of each contract's history, not all of it."""
    before = timezone.now() - THIN_SNAPSHOTS_AFTER
    last = (
        DBTaskResult.objects.filter(task_path=thin_budget_history.module_path, status="SUCCESSFUL")
        .order_by("-enqueued_at")
        .values_list("enqueued_at", flat=True)
        .first()
    )
    since = last - THIN_SNAPSHOTS_AFTER - timedelta(days=1) if last else None
    pks = list(Contract.objects.order_by("pk").values_list("pk", flat=True))
    return sum(
        BudgetSnapshot.objects.filter(contract__in=pks[i : i + THIN_CHUNK]).thin(before, since)
        for i in range(0, len(pks), THIN_CHUNK)
    )


def _ran_today(task_) -> bool:
    since = timezone.now() - timedelta(days=1)
    return DBTaskResult.objects.filter(task_path=task_.module_path, enqueued_at__gte=since).exists()


def poll_seconds() -> float:
    """How long the worker's ticker waits before the next upkeep."""
    if submissions.watching():
        return min(settings.OT_SYNC_POLL_SECONDS, UNCLEAR_POLL_SECONDS)
    return settings.OT_SYNC_POLL_SECONDS


def request_upkeep() -> int:
    """What the worker's ticker queues every OT_SYNC_POLL_SECONDS: a sync of every account (the
    backstop for missed webhooks) and, unless one is waiting, the pruning of old deliveries, and
    once a day the thinning of old budget snapshots."""
    if not _waiting(prune_deliveries):
        prune_deliveries.enqueue()
    if not _ran_today(thin_budget_history):
        thin_budget_history.enqueue()
    queued = request_sync_all()
    signals.worker_ticked.send(sender=None)
    return queued
