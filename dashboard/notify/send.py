"""Sending the due notices, in the worker: each claimed first, so two workers never send the same
one; a failure tried again after 1, 5 and 30 minutes, then shown as failed, in words."""

from __future__ import annotations

import logging
import smtplib
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from . import chat, emails
from .models import Notice
from .watch import preference

logger = logging.getLogger("dashboard.notify")

CLAIM = timedelta(minutes=2)
BATCH = 50


def deliver(now: datetime | None = None) -> dict[str, int]:
    """Send every notice due now; returns how many were sent, failed (for now or for good) and
    not sent (the item closed, or the person no longer wants it)."""
    now = now or timezone.now()
    done = {"sent": 0, "failed": 0, "cancelled": 0}
    while batch := _claim(now):
        for notice in batch:
            done[_send(notice, timezone.now())] += 1
    return done


def _claim(now: datetime) -> list[Notice]:
    """Up to BATCH due notices, claimed for this sender."""
    due = (
        Notice.objects.filter(state=Notice.State.PENDING, next_attempt_at__lte=now)
        .filter(Q(claimed_until=None) | Q(claimed_until__lt=now))
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:BATCH]
    )
    claimed = []
    for pk in list(due):
        taken = (
            Notice.objects.filter(pk=pk, state=Notice.State.PENDING)
            .filter(Q(claimed_until=None) | Q(claimed_until__lt=now))
            .update(claimed_until=now + CLAIM)
        )
        if taken:
            claimed.append(pk)
    rows = Notice.objects.filter(pk__in=claimed).select_related("alert", "channel", "user")
    return list(rows.order_by("next_attempt_at", "pk"))


def _send(notice: Notice, now: datetime) -> str:
    why_not = _not_wanted(notice, now)
    if why_not:
        notice.mark_cancelled(why_not)
        return "cancelled"
    try:
        if notice.channel_id:
            chat.send(notice.channel, chat.payload(notice))
        else:
            message = emails.message(notice)
            if message is None:
                notice.mark_cancelled("Nothing needed you any more when it was due.")
                return "cancelled"
            message.send()
    except chat.Refused as refused:
        return _failed(notice, refused.words, now, final=refused.final)
    except (smtplib.SMTPException, OSError) as error:
        words, final = emails.refusal(error)
        return _failed(notice, words, now, final=final)
    except Exception:
        logger.exception("notification %s could not be sent", notice.pk)
        return _failed(notice, "The dashboard could not write this message.", now, final=False)
    notice.mark_sent(now)
    logger.info(
        "notification sent", extra={"notice": notice.pk, "kind": notice.kind, "to": _who(notice)}
    )
    return "sent"


def _failed(notice: Notice, words: str, now: datetime, *, final: bool) -> str:
    # A channel's test is tried once: the person who asked for it is waiting for the answer.
    notice.mark_failed(words, now, final=final or notice.kind == Notice.Kind.TEST)
    logger.warning(
        "notification not delivered: %s",
        words,
        extra={"notice": notice.pk, "kind": notice.kind, "to": _who(notice)},
    )
    return "failed"


def _who(notice: Notice) -> str:
    """Who, for the log: a channel by name (its URL is a secret), a person by their user ID."""
    return f"channel {notice.channel.name}" if notice.channel_id else f"user {notice.user_id}"


def _not_wanted(notice: Notice, now: datetime) -> str:
    if notice.alert_id and not notice.alert.is_open:
        return "The item was resolved before it was sent."
    if notice.kind == Notice.Kind.TEST:
        return ""
    if notice.channel_id:
        if notice.alert and notice.alert.kind not in notice.channel.kinds:
            return "The channel no longer takes this kind."
        return ""
    user = notice.user
    if user is None or not user.is_active or not user.email:
        return "The person has no e-mail address any more."
    chosen = preference(user)
    if chosen.paused(now):
        return "Notifications are paused."
    if notice.alert_id and notice.alert.kind not in chosen.urgent_kinds:
        return "The person turned this kind off."
    if notice.kind == Notice.Kind.DIGEST and not chosen.digest:
        return "The person turned the digest off."
    return ""
