"""The sandbox's outbox: with no EMAIL_URL in sandbox mode, every e-mail the dashboard sends is
kept here (a mail backend), and every team chat message it posts to a channel under
/sandbox/chat/<slug>/ too (a Slack-style receiver). /sandbox/outbox/ shows both (pages.py)."""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_not_required
from django.core.mail.backends.base import BaseEmailBackend
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .models import ChatMessage, OutboxMessage

# The headers the outbox page shows besides From, To and Subject.
KEPT_HEADERS = ("Reply-To", "Cc", "List-Unsubscribe", "List-Unsubscribe-Post")


class OutboxBackend(BaseEmailBackend):
    """A mail backend that stores each message as an OutboxMessage instead of sending it."""

    def send_messages(self, email_messages):
        kept = 0
        for email in email_messages:
            email.message()  # the checks a real send makes (a header with a line break, ...)
            OutboxMessage.objects.create(
                to=", ".join(email.to),
                from_email=email.from_email or "",
                subject=email.subject,
                text=email.body if email.content_subtype == "plain" else "",
                html=_html_of(email),
                headers=_headers_of(email),
            )
            kept += 1
        return kept


def _html_of(email) -> str:
    if email.content_subtype == "html":
        return email.body
    for content, mimetype in getattr(email, "alternatives", []):
        if mimetype == "text/html":
            return content if isinstance(content, str) else content.decode("utf-8", "replace")
    return ""


def _headers_of(email) -> dict[str, str]:
    headers = {name.title(): str(value) for name, value in email.extra_headers.items()}
    if email.cc:
        headers["Cc"] = ", ".join(email.cc)
    if email.reply_to:
        headers["Reply-To"] = ", ".join(email.reply_to)
    return {name: headers[name] for name in KEPT_HEADERS if name in headers}


# An API endpoint, as Slack's incoming webhooks are: the dashboard's worker posts without a
# session or a CSRF token.
@csrf_exempt
@login_not_required
@require_POST
def chat_receiver(request, slug):
    """Keep a Slack-style message (`text`, optional `blocks`) and answer as Slack does."""
    try:
        payload = json.loads(request.body)
    except ValueError:
        return HttpResponse("invalid_payload", status=400, content_type="text/plain")
    if not isinstance(payload, dict):
        return HttpResponse("invalid_payload", status=400, content_type="text/plain")
    if not payload.get("text") and not payload.get("blocks"):
        return HttpResponse("no_text", status=400, content_type="text/plain")
    ChatMessage.objects.create(slug=slug, payload=payload)
    return HttpResponse("ok", content_type="text/plain")
