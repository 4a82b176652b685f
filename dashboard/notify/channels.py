"""The team's chat channels, for /settings/channels/ and `manage.py notify_channels`: the form that
checks a new one, adding, removing and testing, and each channel's last delivery in words.

A channel's URL is a secret: nothing here returns it for showing, only `Channel.masked_url`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.utils import timezone

from dashboard.words import ago, until

from . import chat, tasks
from .models import URGENT_KINDS, Channel, Notice

LOCAL_HOSTS = ("localhost", "127.0.0.1")
# A test sent from the shell is claimed this long, so no worker sends it as well.
SHELL_CLAIM = timedelta(minutes=2)


def local_http_allowed() -> bool:
    """http:// to this machine, for the sandbox's receiver and a developer's own."""
    return bool(settings.DEBUG or settings.OT_SANDBOX)


def check_url(url: str) -> str:
    """The webhook URL, or a ValidationError in words (which never repeat the URL)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValidationError(
            "Paste the whole incoming-webhook URL the chat service gave you, starting with "
            "https://."
        )
    if "@" in parts.netloc:
        raise ValidationError(
            "Leave the user name and password out of the URL: an incoming webhook's URL carries "
            "its own secret."
        )
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise ValidationError(
            "This is not a web address the dashboard can send to: paste the incoming-webhook URL "
            "exactly as the chat service shows it."
        ) from None
    if parts.scheme == "http":
        local = parts.hostname in LOCAL_HOSTS
        if local and not local_http_allowed():
            raise ValidationError(
                "http://localhost and http://127.0.0.1 are accepted only in sandbox mode or with "
                "DEBUG on: use the webhook's https:// URL."
            )
        if not local:
            raise ValidationError(
                "Only https:// URLs are accepted: the URL is a secret and must not cross the "
                "network unencrypted."
                + (
                    " Here, http:// is fine for localhost and 127.0.0.1."
                    if local_http_allowed()
                    else ""
                )
            )
    return url


class ChannelForm(forms.Form):
    name = forms.CharField(
        label="Name",
        max_length=80,
        help_text="Shown as #name here and in the logs, e.g. pm-alerts.",
        error_messages={
            "required": "Give the channel a name, e.g. pm-alerts.",
            "max_length": "Keep the name to 80 characters or fewer.",
        },
    )
    url = forms.CharField(
        label="Incoming webhook URL",
        max_length=500,
        help_text=(
            "From Slack, Mattermost, or Discord (its webhook URL with /slack at the end). It is a "
            "secret: once added, this page shows only its host and last four characters."
        ),
        widget=forms.URLInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        error_messages={
            "required": "Paste the incoming-webhook URL the chat service gave you.",
            "max_length": "A webhook URL this long (over 500 characters) is not one: paste it "
            "again, exactly as the chat service shows it.",
        },
    )
    kinds = forms.MultipleChoiceField(
        label="What it gets",
        choices=list(URGENT_KINDS.items()),
        initial=list(URGENT_KINDS),
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "Choose at least one kind of alert for this channel.",
            "invalid_choice": "“%(value)s” is not a kind of alert: choose from "
            + ", ".join(URGENT_KINDS)
            + ".",
        },
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip().lstrip("#").strip()
        if not name:
            raise ValidationError("Give the channel a name, e.g. pm-alerts.")
        if Channel.objects.filter(name__iexact=name).exists():
            raise ValidationError(
                f"There is a channel called #{name} already: choose another name."
            )
        return name

    def clean_url(self) -> str:
        return check_url(self.cleaned_data["url"].strip())

    def clean_kinds(self) -> list[str]:
        chosen = self.cleaned_data["kinds"]
        return [kind for kind in URGENT_KINDS if kind in chosen]


def add(form: ChannelForm, user=None) -> Channel | None:
    """The channel of a valid form; None, with the error on the form, when someone took the name
    meanwhile."""
    data = form.cleaned_data
    try:
        with transaction.atomic():
            return Channel.objects.create(
                name=data["name"], url=data["url"], kinds=data["kinds"], created_by=user
            )
    except IntegrityError:
        form.add_error("name", f"There is a channel called #{data['name']} already.")
        return None


def remove(channel: Channel) -> None:
    """The channel and its delivery history go; it gets nothing more."""
    channel.delete()


def named(name: str) -> Channel | None:
    """The channel called `name` (with or without its #), or None."""
    return Channel.objects.filter(name__iexact=name.strip().lstrip("#")).first()


def queue_test(channel: Channel) -> Notice:
    """A test for the worker to send (never a web request); it wakes once this is committed."""
    notice = Notice.objects.create(kind=Notice.Kind.TEST, channel=channel, subject="Test")
    transaction.on_commit(tasks.request)
    return notice


def send_test_now(channel: Channel, now: datetime | None = None) -> Notice:
    """A test sent from here (the shell, not a web request) and recorded like the worker's: sent,
    or failed with the refusal in words. Tried once."""
    now = now or timezone.now()
    notice = Notice.objects.create(
        kind=Notice.Kind.TEST, channel=channel, subject="Test", claimed_until=now + SHELL_CLAIM
    )
    try:
        chat.send(channel, chat.payload(notice))
    except chat.Refused as refused:
        notice.mark_failed(refused.words, timezone.now(), final=True)
    else:
        notice.mark_sent(timezone.now())
    return notice


def find_test(notice_id) -> Notice | None:
    """A channel's test, by its ID (from the page's address), or None."""
    try:
        pk = int(notice_id)
    except (TypeError, ValueError):
        return None
    return Notice.objects.filter(pk=pk, kind=Notice.Kind.TEST).select_related("channel").first()


@dataclass(frozen=True)
class Outcome:
    """A channel's last delivery: "sent" (at `at`), "failed" (for good), "retrying" (next try at
    `at`) or "none"."""

    state: str
    words: str = ""
    at: datetime | None = None

    def __str__(self) -> str:
        if self.state == "sent":
            return f"last sent {ago(self.at)} ago"
        if self.state == "failed":
            return f"last delivery failed: {self.words}"
        if self.state == "retrying":
            return f"not delivered yet: {self.words} Tried again in {until(self.at)}."
        return "nothing sent yet"


def last_outcome(channel: Channel) -> Outcome:
    notice = (
        Notice.objects.filter(channel=channel)
        .exclude(state=Notice.State.CANCELLED)
        .exclude(state=Notice.State.PENDING, attempts=0)
        .order_by("-created_at", "-pk")
        .first()
    )
    if notice is None:
        return Outcome("none")
    if notice.state == Notice.State.SENT:
        return Outcome("sent", at=notice.sent_at)
    if notice.state == Notice.State.FAILED:
        return Outcome("failed", notice.error)
    return Outcome("retrying", notice.error, notice.next_attempt_at)


@dataclass(frozen=True)
class Listed:
    """A channel as pages and the shell show it: never its URL."""

    channel: Channel
    outcome: Outcome

    @property
    def kinds_words(self) -> str:
        return chat.kinds_in_words(self.channel.kinds)


def listed() -> list[Listed]:
    return [Listed(channel, last_outcome(channel)) for channel in Channel.objects.all()]


def receiver_hint() -> str:
    """In sandbox mode, the sandbox's own chat receiver, to try a channel without a chat
    service; "" otherwise."""
    return f"{settings.SITE_URL}/sandbox/chat/team/" if settings.OT_SANDBOX else ""
