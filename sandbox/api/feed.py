"""Staying in sync: the updates feed, webhook subscriptions and pending payments.

`GET /updates` pages an account's events oldest first behind an opaque cursor; `/webhooks`
manages the subscriptions that `delivery.py` posts those events to.
"""

from __future__ import annotations

import base64
import binascii
import json
from urllib.parse import urlsplit

from django.db import transaction
from django.http import HttpResponse, JsonResponse
from django.utils import timezone

from ..models import Account, Approval, Event, Webhook
from ..serializers import event_json, pending_payment_json, webhook_json
from .auth import authenticate, require_scope, require_webhooks
from .envelope import ApiError, api_view

FEED_SCOPES = ["proposals:read", "messages:read", "payments:read"]
DEFAULT_LIMIT, MAX_LIMIT = 50, 200
MAX_WEBHOOKS = 10
MAX_URL_LENGTH = 2048
LOCAL_HOSTS = ("localhost", "127.0.0.1")
SECRET_MESSAGE = (
    "Store this secret now: it is shown only once. Use it to verify the X-OpenTrain-Signature "
    "header of every delivery."
)


def encode_cursor(sequence: int) -> str:
    return base64.urlsafe_b64encode(f"v1:{sequence}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    version, _, sequence = text.partition(":")
    if version != "v1" or not sequence.isdigit():
        raise ApiError(400, "cursor is not one this API gave out.", {"field": "cursor"})
    return int(sequence)


def _limit(value: str | None) -> int:
    if value is None or value == "":
        return DEFAULT_LIMIT
    if not value.isdigit() or not 1 <= int(value) <= MAX_LIMIT:
        raise ApiError(
            400, f"limit must be a whole number from 1 to {MAX_LIMIT}.", {"field": "limit"}
        )
    return int(value)


@api_view("GET")
def updates(request):
    token = authenticate(request)
    if not any(token.has_scope(scope) for scope in FEED_SCOPES):
        raise ApiError(
            403,
            "This token can read none of the feed's events.",
            {"requiredScopes": FEED_SCOPES, "resource": "updates"},
        )
    limit = _limit(request.GET.get("limit"))
    cursor = request.GET.get("cursor") or ""
    after = decode_cursor(cursor) if cursor else 0
    readable = [kind for kind, scope in Event.READ_SCOPES.items() if token.has_scope(scope)]
    page = list(
        Event.objects.filter(account=token.account, sequence__gt=after, type__in=readable).order_by(
            "sequence"
        )[: limit + 1]
    )
    has_more = len(page) > limit
    page = page[:limit]
    return JsonResponse(
        {
            "events": [event_json(e) for e in page],
            # An empty page hands back the cursor it was given, so a client can keep it.
            "nextCursor": encode_cursor(page[-1].sequence if page else after),
            "hasMore": has_more,
        }
    )


@api_view("GET", "POST")
def webhooks(request):
    token = authenticate(request)
    account = require_webhooks(token)
    if request.method == "POST":
        return _create_webhook(request, token, account)
    return JsonResponse({"webhooks": [webhook_json(w) for w in account.webhooks.all()]})


def _create_webhook(request, token, account: Account) -> JsonResponse:
    url, event_types = _webhook_fields(request)
    missing = sorted(
        {Event.READ_SCOPES[t] for t in event_types if not token.has_scope(Event.READ_SCOPES[t])}
    )
    if missing:
        raise ApiError(
            403,
            "This token cannot read every event type asked for.",
            {"requiredScopes": missing, "resource": "webhooks"},
        )
    with transaction.atomic():
        Account.objects.select_for_update().filter(pk=account.pk).first()
        if account.webhooks.count() >= MAX_WEBHOOKS:
            raise ApiError(
                409,
                f"This account already has {MAX_WEBHOOKS} webhooks; delete one first.",
                {"reason": "webhook_limit_reached", "limit": MAX_WEBHOOKS},
            )
        hook = Webhook.objects.create(account=account, url=url, event_types=event_types)
    return JsonResponse(
        {"webhook": webhook_json(hook), "secret": hook.secret, "message": SECRET_MESSAGE},
        status=201,
    )


def _webhook_fields(request) -> tuple[str, list[str]]:
    try:
        body = json.loads(request.body or b"")
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "Request body must be valid JSON.") from None
    if not isinstance(body, dict):
        raise ApiError(400, "Request body must be a JSON object.")
    url = body.get("url")
    if not isinstance(url, str) or not url or len(url) > MAX_URL_LENGTH:
        raise ApiError(
            400, f"url must be a URL of at most {MAX_URL_LENGTH} characters.", {"field": "url"}
        )
    parts = urlsplit(url)
    local = parts.scheme == "http" and parts.hostname in LOCAL_HOSTS
    if not (parts.scheme == "https" and parts.hostname) and not local:
        raise ApiError(
            400, "url must use https (http only for localhost or 127.0.0.1).", {"field": "url"}
        )
    types = body.get("eventTypes")
    if not isinstance(types, list) or not types or not all(isinstance(t, str) for t in types):
        raise ApiError(
            400, "eventTypes must be a non-empty list of event types.", {"field": "eventTypes"}
        )
    unknown = [t for t in types if t not in Event.READ_SCOPES]
    if unknown:
        raise ApiError(
            400,
            f"Unknown event type: {', '.join(unknown)}.",
            {
                "field": "eventTypes",
                "unknownEventTypes": unknown,
                "supportedEventTypes": list(Event.READ_SCOPES),
            },
        )
    return url, list(dict.fromkeys(types))


@api_view("GET", "DELETE")
def webhook_detail(request, webhook_id):
    token = authenticate(request)
    account = require_webhooks(token)
    hook = account.webhooks.filter(id=webhook_id).first()
    if hook is None:
        raise ApiError(404, "Webhook not found.", {"resource": "webhooks", "webhookId": webhook_id})
    if request.method == "DELETE":
        hook.delete()
        return HttpResponse(status=204)
    return JsonResponse({"webhook": webhook_json(hook)})


@api_view("GET")
def payments_pending(request):
    token = authenticate(request)
    require_scope(token, "payments:read")
    waiting = (
        Approval.objects.filter(
            contract__account=token.account,
            type__in=(Approval.MILESTONE_FUND, Approval.MILESTONE_APPROVE),
            status=Approval.PENDING,
            expires_at__gt=timezone.now(),
        )
        .select_related("contract", "milestone")
        .order_by("created_at")
    )
    return JsonResponse({"payments": [pending_payment_json(a) for a in waiting]})
