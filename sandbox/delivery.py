"""Signed webhook deliveries, sent by a small in-process queue that never blocks an API request.

The queue is the `Delivery` table: `Event.record` writes one row per subscribed webhook in the
event's transaction, and after the commit its caller (`events`) calls `wake()` to nudge this
process's delivery thread. The thread (or `manage.py sandbox_deliver`, after a restart) sends
whatever is due. A sender claims a row by moving its `next_attempt_at` forward first, so two
processes never send the same try.

Retries follow OpenTrain's documented policy scaled from minutes to seconds: 5 attempts, waiting
1, 5, 30 and 120 s between them (the SANDBOX_WEBHOOK_BACKOFF setting); a webhook is disabled
after 10 consecutive failed attempts.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
from datetime import timedelta

import httpx
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, OperationalError, close_old_connections, connections
from django.db.models import F, Min
from django.utils import timezone

from .models import Delivery, Event, Webhook
from .serializers import event_json

logger = logging.getLogger("sandbox")

BACKOFF = (1, 5, 30, 120)
TIMEOUT = httpx.Timeout(5.0)
# A claimed delivery is left alone by other senders for this long (longer than one attempt).
LEASE = timedelta(seconds=60)
IDLE_SECONDS = 30.0
USER_AGENT = "OpenTrain-Webhooks/1.0"


def backoff() -> tuple[float, ...]:
    return tuple(getattr(settings, "SANDBOX_WEBHOOK_BACKOFF", BACKOFF))


def body_of(event: Event) -> bytes:
    """The exact bytes sent (and signed) for an event: the same on every attempt."""
    return json.dumps(event_json(event), separators=(",", ":")).encode()


def signature(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def send_due() -> int:
    """Send every delivery that is due now; return how many attempts were made."""
    attempts = 0
    while True:
        now = timezone.now()
        due = list(
            Delivery.objects.filter(next_attempt_at__lte=now, webhook__status=Webhook.ACTIVE)
            .select_related("webhook", "event")
            .order_by("next_attempt_at", "event_id")[:50]
        )
        if not due:
            return attempts
        for delivery in due:
            # Still due and its webhook still on (an earlier attempt may have disabled it).
            claimed = Delivery.objects.filter(
                pk=delivery.pk,
                next_attempt_at=delivery.next_attempt_at,
                webhook__status=Webhook.ACTIVE,
            ).update(next_attempt_at=now + LEASE)
            if claimed:
                attempt(delivery)
                attempts += 1


def attempt(delivery: Delivery) -> bool:
    """POST one delivery, signed with a fresh timestamp, and record how it went."""
    hook, body = delivery.webhook, body_of(delivery.event)
    stamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-OpenTrain-Event": delivery.event.type,
        "X-OpenTrain-Delivery": delivery.delivery_id,
        "X-OpenTrain-Signature": signature(hook.secret, stamp, body),
    }
    status, error = None, ""
    try:
        response = httpx.post(hook.url, content=body, headers=headers, timeout=TIMEOUT)
        status = response.status_code
        if not response.is_success:
            error = f"The receiver answered HTTP {status}."
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"
    _record(delivery, status, error)
    return not error


def _retrying(write, tries=50):
    """Run a write again while SQLite says a table is locked (only an in-memory database says so,
    since it ignores the busy timeout; see `_run`). One statement each: a statement that failed
    changed nothing, so running it again never counts twice."""
    for _ in range(tries - 1):
        try:
            return write()
        except OperationalError as exc:
            if "locked" not in str(exc):
                raise
            time.sleep(0.02)
    return write()


def _record(delivery: Delivery, status: int | None, error: str) -> None:
    now = timezone.now()
    attempts = delivery.attempts + 1
    hooks = Webhook.objects.filter(pk=delivery.webhook_id)
    if not error:
        next_at, delivered_at = None, now
        _retrying(lambda: hooks.update(consecutive_failures=0))
    else:
        steps = backoff()
        delivered_at = None
        next_at = None
        if attempts < Delivery.MAX_ATTEMPTS:
            next_at = now + timedelta(seconds=steps[min(attempts, len(steps)) - 1])
        _retrying(lambda: hooks.update(consecutive_failures=F("consecutive_failures") + 1))
        disable = hooks.filter(
            status=Webhook.ACTIVE, consecutive_failures__gte=Webhook.DISABLE_AFTER
        )
        _retrying(
            lambda: disable.update(
                status=Webhook.DISABLED,
                disabled_at=now,
                disabled_reason=f"{Webhook.DISABLE_AFTER} consecutive delivery failures",
            )
        )
        logger.info("webhook delivery %s failed: %s", delivery.delivery_id, error)
    # An update, not save(): the webhook may have been deleted while we sent.
    _retrying(
        lambda: Delivery.objects.filter(pk=delivery.pk).update(
            attempts=attempts,
            last_status=status,
            last_error=error[:300],
            next_attempt_at=next_at,
            delivered_at=delivered_at,
        )
    )


def seconds_to_next_due() -> float | None:
    soonest = Delivery.objects.filter(
        next_attempt_at__isnull=False, webhook__status=Webhook.ACTIVE
    ).aggregate(at=Min("next_attempt_at"))["at"]
    if soonest is None:
        return None
    return max((soonest - timezone.now()).total_seconds(), 0.0)


_wakeup = threading.Event()
_lock = threading.Lock()
_thread: threading.Thread | None = None


def wake() -> None:
    """Have this process's delivery thread send what is due now, starting it if needed."""
    global _thread
    with _lock:
        if _thread is None or not _thread.is_alive():
            _thread = threading.Thread(target=_run, name="sandbox-webhooks", daemon=True)
            _thread.start()
    _wakeup.set()


def _run() -> None:
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        # The test suite's in-memory SQLite shares one cache between connections, where a read
        # holds a table lock that fails the live server's writes at once (no busy timeout).
        # Reading uncommitted rows takes no such lock; this thread retries its own writes.
        connection.cursor().execute("PRAGMA read_uncommitted = 1")
    failures = 0
    while True:
        _wakeup.clear()
        try:
            send_due()
            wait = seconds_to_next_due()
            failures = 0
        except Exception:
            logger.exception("sandbox webhook deliveries failed; trying again shortly")
            failures += 1
            wait = min(0.1 * 2**failures, IDLE_SECONDS)
        finally:
            try:
                close_old_connections()
            except Exception:
                logger.exception("sandbox webhook deliveries could not close a connection")
        _wakeup.wait(IDLE_SECONDS if wait is None else min(wait, IDLE_SECONDS))
