"""What the dashboard counts for Prometheus, and how a scrape reads it. No HTTP to OpenTrain here.

Counters and histograms move in the code they describe (the API client, the webhook receiver, the
sync, submissions) through the small `record_*` functions below; what the database already knows
(approvals by state, sync lag, the task queue) is read at scrape time. No label carries a token,
a title or free text: upstream routes are templates (`/contracts/{id}`), every other label comes
from a fixed set.

With several gunicorn workers set PROMETHEUS_MULTIPROC_DIR (gunicorn.conf.py): each process
writes its counters to files there and a scrape adds them up.
"""

from __future__ import annotations

import logging
import math
import os
import time

from django.db import DatabaseError, connection
from django.db.models import Count
from django.utils import timezone
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

from dashboard.opentrain.vocabulary import APPROVAL_STATUSES, route_template

logger = logging.getLogger("dashboard.metrics")

CONTENT_TYPE = CONTENT_TYPE_LATEST

SECONDS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)

UPSTREAM_CALLS = Counter(
    "dashboard_upstream_requests",
    "Attempts to call OpenTrain, by route template, method and status "
    "(an HTTP status, TIMEOUT or CONNECTION_FAILED).",
    ["route", "method", "status"],
)
UPSTREAM_SECONDS = Histogram(
    "dashboard_upstream_request_duration_seconds",
    "How long one attempt to call OpenTrain took.",
    ["route", "method"],
    buckets=SECONDS,
)
UPSTREAM_RETRIES = Counter(
    "dashboard_upstream_retries", "Attempts after the first (GETs only).", ["route", "method"]
)
UPSTREAM_AMBIGUOUS = Counter(
    "dashboard_upstream_ambiguous",
    "Writes whose answer was lost: OpenTrain may or may not have carried them out.",
    ["route", "method"],
)
SUBMISSIONS = Counter(
    "dashboard_submissions", "Milestone submissions by final outcome.", ["outcome"]
)
WEBHOOKS = Counter(
    "dashboard_webhook_deliveries",
    "Webhook deliveries received: accepted, refused (bad signature or body) or duplicate.",
    ["outcome"],
)
EVENTS_APPLIED = Counter(
    "dashboard_sync_events_applied", "Events of the updates feed applied to the mirror."
)
# The Django side, named as django-prometheus names them, so its dashboards read these too.
HTTP_SECONDS = Histogram(
    "django_http_requests_latency_seconds_by_view_method",
    "Time to answer a request, by view name and method.",
    ["view", "method"],
    buckets=SECONDS,
)
HTTP_RESPONSES = Counter(
    "django_http_responses_total_by_status_view_method",
    "Responses by status, view name and method.",
    ["status", "view", "method"],
)
DB_QUERIES = Counter("django_db_execute", "Queries run while answering requests.", ["vendor"])
DB_ERRORS = Counter("django_db_errors", "Queries that raised, by error type.", ["vendor", "type"])
DB_SECONDS = Histogram(
    "django_db_query_duration_seconds", "Time one query took.", ["vendor"], buckets=SECONDS
)


# --- recorded where it happens ---------------------------------------------------------------


def record_upstream(method: str, path: str, status: int | str, seconds: float, attempt: int):
    route = route_template(path)
    UPSTREAM_CALLS.labels(route, method, str(status)).inc()
    UPSTREAM_SECONDS.labels(route, method).observe(seconds)
    if attempt > 1:
        UPSTREAM_RETRIES.labels(route, method).inc()


def record_ambiguous(method: str, path: str) -> None:
    UPSTREAM_AMBIGUOUS.labels(route_template(path), method).inc()


def record_submissions(outcome: str, count: int = 1) -> None:
    SUBMISSIONS.labels(outcome).inc(count)


def record_webhook(outcome: str) -> None:
    WEBHOOKS.labels(outcome).inc()


def record_events(count: int) -> None:
    EVENTS_APPLIED.inc(count)


class RequestMetricsMiddleware:
    """Latency and status of every request by view name (never the raw path), and its queries."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.monotonic()
        with connection.execute_wrapper(_timed_query):
            response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        view = match.view_name if match is not None else "<unresolved>"
        HTTP_SECONDS.labels(view, request.method).observe(time.monotonic() - started)
        HTTP_RESPONSES.labels(str(response.status_code), view, request.method).inc()
        return response


def _timed_query(execute, sql, params, many, context):
    vendor = context["connection"].vendor
    started = time.monotonic()
    try:
        return execute(sql, params, many, context)
    except Exception as error:
        DB_ERRORS.labels(vendor, type(error).__name__).inc()
        raise
    finally:
        DB_QUERIES.labels(vendor).inc()
        DB_SECONDS.labels(vendor).observe(time.monotonic() - started)


# --- read at scrape time ---------------------------------------------------------------------


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
    from django_tasks_db.models import DBTaskResult

    from dashboard.mirror import accounts
    from dashboard.models import Approval

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


def exposition() -> bytes:
    """Everything, in Prometheus' text format."""
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_Process())
    registry.register(_Database())
    return generate_latest(registry)
