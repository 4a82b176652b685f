"""What the notifications remember: each person's choices, the team's channels, the urgent items
seen open (alerts) and every message sent or to be sent (notices)."""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from dashboard.mirror.models import Account

# The urgent kinds, sent at once: (a short name for a setting, what it means).
URGENT_KINDS = {
    "budget": "A budget is depleted, or will run out within a day at its current burn",
    "approval": "An approval expires within 24 hours and still waits for a person",
    "unclear": "Whether a milestone was created is still not known after an hour",
    "sync": "The sync with OpenTrain has been failing for more than 30 minutes",
}
# After a failed delivery, the next tries wait this long; after the last, it has failed.
RETRY_AFTER = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30))
DEFAULT_DIGEST_HOUR = 8


class Preference(models.Model):
    """What one person wants. A person without a row gets the defaults: every urgent kind and the
    digest at 08:00 in TIME_ZONE."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    urgent_kinds = models.JSONField(default=list, blank=True)
    digest = models.BooleanField(default=True)
    digest_hour = models.PositiveSmallIntegerField(default=DEFAULT_DIGEST_HOUR)
    time_zone = models.CharField(max_length=64, blank=True)  # blank: TIME_ZONE
    paused_until = models.DateTimeField(null=True, blank=True)
    # The person's local day of the last digest made (or found empty): one a day at most.
    digest_day = models.DateField(null=True, blank=True)

    def __str__(self):
        return f"notifications of {self.user}"

    @classmethod
    def of(cls, user) -> Preference:
        """The person's stored choices, or the defaults (not saved)."""
        found = cls.objects.filter(user=user).first()
        return found or cls(user=user, urgent_kinds=list(URGENT_KINDS))

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        try:
            return zoneinfo.ZoneInfo(self.time_zone or settings.TIME_ZONE)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return zoneinfo.ZoneInfo(settings.TIME_ZONE)

    def paused(self, now: datetime) -> bool:
        return self.paused_until is not None and self.paused_until > now

    def wants(self, kind: str, now: datetime) -> bool:
        return not self.paused(now) and kind in self.urgent_kinds

    def digest_due(self, now: datetime) -> date | None:
        """The local day whose digest is due now (its hour has come and none was made for it), or
        None."""
        if not self.digest or self.paused(now):
            return None
        local = now.astimezone(self.zone)
        if local.hour < self.digest_hour or self.digest_day == local.date():
            return None
        if self.digest_day is not None and self.digest_day > local.date():
            return None
        return local.date()


class Channel(models.Model):
    """A team chat's incoming webhook (Slack, Mattermost, Discord's /slack endpoint). The URL is a
    secret: pages show `masked_url`, logs never see it."""

    name = models.CharField(max_length=80, unique=True)
    url = models.CharField(max_length=500)
    kinds = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def masked_url(self) -> str:
        """`https://hooks.slack.com/…/x9Qe`: the host and the last four characters."""
        scheme, _, rest = self.url.partition("://")
        host = rest.split("/", 1)[0]
        return (
            f"{scheme}://{host}/…{self.url[-4:]}"
            if len(rest) > len(host) + 8
            else f"{scheme}://{host}/…"
        )


class Alert(models.Model):
    """An urgent item's open spell, from the scan that first found it open to the one that found
    it gone. One notice per recipient per alert: an item that closes and opens again is a new
    alert, and is sent again."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="alerts")
    key = models.CharField(max_length=250)  # the inbox item's key ("depleted:C-1", "sync")
    kind = models.CharField(max_length=20)  # one of URGENT_KINDS
    subject = models.CharField(max_length=300)  # "Budget depleted: Spanish Sentiment Labels"
    summary = models.TextField(blank=True)  # what it means, in a sentence or two
    contract_id = models.CharField(max_length=100, blank=True)
    contract_title = models.CharField(max_length=500, blank=True)
    action_label = models.CharField(max_length=200, blank=True)
    action_path = models.CharField(max_length=500, blank=True)  # on this dashboard
    opened_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "key"], condition=Q(closed_at=None), name="alert_open_once"
            )
        ]

    def __str__(self):
        return self.subject

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class Notice(models.Model):
    """One message to one person or one channel: an alert, a digest, or a channel's test."""

    class Kind(models.TextChoices):
        URGENT = "urgent", "Urgent"
        DIGEST = "digest", "Daily digest"
        TEST = "test", "Test"

    class State(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        SENT = "sent", "Sent"
        FAILED = "failed", "Delivery failed"
        CANCELLED = "cancelled", "Not sent"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    alert = models.ForeignKey(Alert, null=True, blank=True, on_delete=models.CASCADE)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE
    )
    channel = models.ForeignKey(Channel, null=True, blank=True, on_delete=models.CASCADE)
    # The account a digest is about (an alert names its own).
    account = models.ForeignKey(Account, null=True, blank=True, on_delete=models.CASCADE)
    address = models.CharField(max_length=254, blank=True)  # the e-mail address it went to
    digest_day = models.DateField(null=True, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    contract_id = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    # A sender claims a notice until then: two workers never send the same one.
    claimed_until = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)  # the last failure, in words
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="notice_due"),
            models.Index(fields=["contract_id", "-created_at"], name="notice_contract"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["alert", "user"], name="notice_alert_person"),
            models.UniqueConstraint(fields=["alert", "channel"], name="notice_alert_channel"),
            models.UniqueConstraint(
                fields=["user", "account", "digest_day"], name="notice_digest_once"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} to {self.recipient}: {self.subject}"

    @property
    def recipient(self) -> str:
        if self.channel_id:
            return f"#{self.channel.name}"
        return self.address or "(nobody)"

    def mark_sent(self, now: datetime) -> None:
        self._store(state=self.State.SENT, sent_at=now, error="", claimed_until=None)

    def mark_cancelled(self, why: str) -> None:
        self._store(state=self.State.CANCELLED, error=why, claimed_until=None)

    def mark_failed(self, why: str, now: datetime, *, final: bool = False) -> None:
        """A failed try: tried again after 1, 5 and 30 minutes, then (or at once when `final`:
        the receiver refused for good) failed."""
        attempts = self.attempts + 1
        if final or attempts > len(RETRY_AFTER):
            self._store(state=self.State.FAILED, attempts=attempts, error=why, claimed_until=None)
        else:
            later = now + RETRY_AFTER[attempts - 1]
            self._store(attempts=attempts, error=why, next_attempt_at=later, claimed_until=None)

    def _store(self, **fields) -> None:
        for name, value in fields.items():
            setattr(self, name, value)
        Notice.objects.filter(pk=self.pk).update(**fields)
