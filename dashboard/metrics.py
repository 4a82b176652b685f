"""The dashboard's Prometheus counters and histograms. It imports nothing of the project's.

They move in the code they describe (the API client, the webhook receiver, the sync,
submissions) through the small `record_*` functions below; the /metrics view (views/ops.py) adds
what the database knows at scrape time. No label carries a token, a title or free text: callers
pass upstream routes as templates (`/contracts/{id}`), every other label comes from a fixed set,
and what a request brings (its method, its status) is `other` when it is not in one.
"""

from __future__ import annotations

import time
from http import HTTPStatus

from django.db import connection
from prometheus_client import Counter, Histogram

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
STATUSES = frozenset(str(status.value) for status in HTTPStatus)
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


def record_upstream(method: str, route: str, status: int | str, seconds: float, attempt: int):
    UPSTREAM_CALLS.labels(route, method, str(status)).inc()
    UPSTREAM_SECONDS.labels(route, method).observe(seconds)
    if attempt > 1:
        UPSTREAM_RETRIES.labels(route, method).inc()


def record_ambiguous(method: str, route: str) -> None:
    UPSTREAM_AMBIGUOUS.labels(route, method).inc()


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
        method = request.method if request.method in METHODS else "other"
        status = str(response.status_code)
        HTTP_SECONDS.labels(view, method).observe(time.monotonic() - started)
        HTTP_RESPONSES.labels(status if status in STATUSES else "other", view, method).inc()
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
