"""The webhook receiver. It never calls OpenTrain: it
records the delivery and queues a sync, so it answers in milliseconds."""

from __future__ import annotations

import json
import logging

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import IntegrityError, transaction
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from dashboard import metrics
from dashboard.mirror import signatures, sync, tasks
from dashboard.mirror.models import Delivery, WebhookSubscription

logger = logging.getLogger("dashboard.webhooks")
DELIVERY_ID_LENGTH = Delivery._meta.get_field("delivery_id").max_length


def _refuse(reason: str) -> JsonResponse:
    logger.warning("webhook refused: %s", reason, extra={"webhook_outcome": "refused"})
    metrics.record_webhook("refused")
    return JsonResponse({"error": reason}, status=400)


def _no_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def _sender(raw: bytes, header: str) -> str | None:
    """The fingerprint of the account whose secret signed this body, or None."""
    for webhook in WebhookSubscription.objects.select_related("account"):
        if signatures.verify(webhook.secret, raw, header):
            return webhook.account.fingerprint
    if settings.OT_WEBHOOK_SECRET and signatures.verify(settings.OT_WEBHOOK_SECRET, raw, header):
        return ""  # the configured secret: the worker works out which account (no HTTP here)
    return None


@csrf_exempt
@login_not_required
@require_POST
def receive(request):
    raw = request.body
    header = request.headers.get("X-OpenTrain-Signature", "")
    if signatures.parse(header) is None:
        return _refuse("missing or malformed signature")
    fingerprint = _sender(raw, header)
    if fingerprint is None:
        return _refuse("signature does not match, or is older than 5 minutes")
    delivery_id = request.headers.get("X-OpenTrain-Delivery", "").strip()
    if not delivery_id:
        return _refuse("missing X-OpenTrain-Delivery")
    if len(delivery_id) > DELIVERY_ID_LENGTH:
        # Refused, not cut: two IDs that share their start are two deliveries.
        return _refuse(f"X-OpenTrain-Delivery is longer than {DELIVERY_ID_LENGTH} characters")
    try:
        event = json.loads(raw, parse_constant=_no_constant)
    except (ValueError, RecursionError):  # RecursionError: nested deeper than Python parses
        return _refuse("body is not JSON")
    if not isinstance(event, dict):
        return _refuse("body is not a JSON object")
    account = sync.account_for(fingerprint) if fingerprint else None
    try:
        with transaction.atomic():
            Delivery.objects.create(
                delivery_id=delivery_id,
                account=account,
                event_type=request.headers.get("X-OpenTrain-Event", "")[:80],
                event=event,
            )
    except IntegrityError:
        logger.info("webhook duplicate", extra={"webhook_outcome": "duplicate"})
        metrics.record_webhook("duplicate")
        return JsonResponse({"received": True, "duplicate": True})
    if fingerprint:
        tasks.request_sync(fingerprint)
    else:
        tasks.request_sync_everywhere()
    logger.info("webhook accepted", extra={"webhook_outcome": "accepted"})
    metrics.record_webhook("accepted")
    return JsonResponse({"received": True}, status=202)
