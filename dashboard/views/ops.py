"""For load balancers and Prometheus: liveness, readiness and metrics. No sign-in, no OpenTrain
call, no database write; answers say nothing about the account."""

from __future__ import annotations

import hmac
from datetime import timedelta

from asgiref.sync import async_to_sync
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from health_check.checks import Cache, Database

from dashboard import metrics
from dashboard.mirror import accounts

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
    return HttpResponse(metrics.exposition(), content_type=metrics.CONTENT_TYPE)
