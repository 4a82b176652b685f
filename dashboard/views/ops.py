"""For load balancers and Prometheus: liveness, readiness and metrics. No sign-in, no OpenTrain
call, no database write; answers say nothing about the account.

/metrics adds to the counters of `dashboard.metrics` what the database already knows, read at
scrape time: approvals by state, sync lag, the task queue. With several gunicorn workers set
PROMETHEUS_MULTIPROC_DIR (gunicorn.conf.py): each process writes its counters to files there and
a scrape adds them up.
"""

from __future__ import annotations

import hmac
import logging
import math
import os
from datetime import timedelta

from asgiref.sync import async_to_sync
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django_tasks_db.models import DBTaskResult
from health_check.checks import Cache, Database
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

from dashboard.mirror import accounts
from dashboard.models import Approval
from dashboard.notify.models import Notice
from dashboard.opentrain.vocabulary import APPROVAL_STATUSES

logger = logging.getLogger("dashboard.metrics")

# django-health-check's probes: a SELECT 1, and a short-lived key set and read back in the cache.
CHECKS = (("database", Database()), ("cache", Cache()))


def _text(body: str, status: int = 200) -> HttpResponse:
    return HttpResponse(body, status=status, content_type="text/plain; charset=utf-8")


@login_not_required
@never_cache
@require_safe
def healthz(request):
    return _text("ok")


@login_not_required
@never_cache
@require_safe
def readyz(request):
    reason = _not_ready()
    if reason:
        return _text(reason, status=503)
    return _text("ready")


def _not_ready() -> str:
    """The first thing that fails, in one word, or "" when everything answers."""
    for word, check in CHECKS:
        if async_to_sync(check.get_result)().error is not None:
            return word
    try:
        behind = _sync_behind()
    except DatabaseError:  # it went away since the probe, or has no tables yet
        return "database"
    return "sync" if behind else ""


def _sync_behind() -> bool:
    """An account the dashboard acts for last synced longer ago than OT_READY_SYNC_SECONDS.

    Accounts never synced yet do not count: a first reconciliation may take minutes, and taking
    every server out of the load balancer meanwhile helps nobody (the lag metric shows them).
    """
    if not settings.OT_READY_SYNC_SECONDS:
        return False
    cutoff = timezone.now() - timedelta(seconds=settings.OT_READY_SYNC_SECONDS)
    return accounts.followed().filter(synced_at__lt=cutoff).exists()


@login_not_required
@never_cache
@require_safe
def metrics_view(request):
    # Without a token configured, or with a wrong one, there is nothing here: the same 404 as
    # any unknown address, and never the sign-in form.
    expected = f"Bearer {settings.METRICS_TOKEN}".encode()
    given = request.headers.get("Authorization", "").encode()
    if not settings.METRICS_TOKEN or not hmac.compare_digest(given, expected):
        raise Http404
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_Process())
    registry.register(_Database())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)


class _Process:
    """This process's counters (one process; the multiprocess collector replaces it)."""

    def collect(self):
        return REGISTRY.collect()


class _Database:
    """Gauges the database already knows; a database that is down leaves them out."""

    def collect(self):
        try:
            yield from _database_gauges()
        except DatabaseError:
            logger.warning("metrics: the database did not answer; its gauges are left out")


def _database_gauges():
    approvals = GaugeMetricFamily(
        "dashboard_approvals", "Approvals the dashboard knows of, by state.", labels=["state"]
    )
    counts = dict.fromkeys(APPROVAL_STATUSES, 0) | {"other": 0}
    for status, number in Approval.objects.values_list("status").annotate(n=Count("id")):
        counts[status if status in APPROVAL_STATUSES else "other"] += number
    for state, number in counts.items():
        approvals.add_metric([state], number)
    yield approvals

    lag = GaugeMetricFamily(
        "dashboard_sync_lag_seconds",
        "Seconds since the last successful sync of each followed account (+Inf: never).",
        labels=["account"],
    )
    now = timezone.now()
    for pk, synced_at in accounts.followed().values_list("pk", "synced_at"):
        seconds = (now - synced_at).total_seconds() if synced_at else math.inf
        lag.add_metric([str(pk)], seconds)
    yield lag

    queue = GaugeMetricFamily(
        "dashboard_task_queue_depth", "Background tasks waiting for a worker."
    )
    queue.add_metric([], DBTaskResult.objects.filter(status="READY").count())
    yield queue

    notices = GaugeMetricFamily(
        "dashboard_notifications",
        "Notifications (e-mails, chat messages) by state: pending ones wait for the worker or a "
        "retry; failed ones were given up after the last retry.",
        labels=["state"],
    )
    counts = dict.fromkeys(Notice.State.values, 0)
    for state, number in Notice.objects.values_list("state").annotate(n=Count("id")):
        counts[state] = counts.get(state, 0) + number
    for state, number in counts.items():
        notices.add_metric([state], number)
    yield notices
