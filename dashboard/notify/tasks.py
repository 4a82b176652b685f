"""The notifications' background work: scan what is urgent and send what is due, queued when an
account was synced and on every tick of the worker (so retries come due within a tick)."""

from __future__ import annotations

from django.dispatch import receiver
from django.tasks import task
from django_tasks_db.models import DBTaskResult

from dashboard.mirror import signals

from . import send, watch


@task()
def notify() -> dict:
    """Open and close the alerts, queue the digests due, and send every notice due."""
    return {**watch.scan(), **send.deliver()}


def request() -> bool:
    """Queue `notify` unless a run is already waiting; True when one was queued."""
    waiting = DBTaskResult.objects.filter(status="READY", task_path=notify.module_path)
    if waiting.exists():
        return False
    notify.enqueue()
    return True


@receiver(signals.account_synced, dispatch_uid="notify-after-sync")
def _after_sync(sender, **kwargs):
    request()


@receiver(signals.worker_ticked, dispatch_uid="notify-on-tick")
def _on_tick(sender, **kwargs):
    request()
