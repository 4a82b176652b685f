"""The e-mails: an urgent alert or a day's digest, with an HTML and a plain-text part rendered from
templates (templates/notify/), absolute links from SITE_URL, and one-click unsubscribe (RFC 8058)
from the one setting each e-mail belongs to.

No sending here: `send` sends what `message` makes, and words a failure with `refusal`.
"""

from __future__ import annotations

import email.policy
import smtplib
import socket
import ssl
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from dashboard import inbox
from dashboard.mirror import accounts
from dashboard.models import Snooze

from . import unsubscribe
from .models import Notice

# Items a digest lists in each group ("and N more" links to the rest on the home page).
LISTED = 10
SETUP_TITLE = "Setup"


def absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}" if path.startswith("/") else path


class Email(EmailMultiAlternatives):
    """An e-mail whose headers are folded only past RFC 5322's hard limit (998 characters).

    Python folds a long header without spaces, such as List-Unsubscribe's `<https://…>`, into
    RFC 2047 encoded words, and Gmail and Outlook then show no unsubscribe button; one line is
    what mail clients read (cpython#85725)."""

    def message(self, *, policy=email.policy.default):
        return super().message(policy=policy.clone(max_line_length=998))


@dataclass
class Line:
    """One item of a digest: its contract, what is wrong, and its one link."""

    contract: str
    what: str
    stake: str
    url: str
    label: str


@dataclass
class Listed:
    """One group of a digest, as on the home page: its title, its count, its first items."""

    kind: str
    title: str
    total: int
    lines: list[Line] = field(default_factory=list)
    more_url: str = ""

    @property
    def more(self) -> int:
        return self.total - len(self.lines)


def message(notice: Notice) -> Email | None:
    """The e-mail for a person's notice; None when a digest finds nothing open any more."""
    if notice.kind == Notice.Kind.DIGEST:
        return _digest(notice)
    if notice.alert is None:
        return None
    alert = notice.alert
    context = {
        "alert": alert,
        "action_url": absolute(alert.action_path or reverse("inbox")),
        "action_label": alert.action_label or "Open the dashboard",
    }
    return _email(notice, alert.subject, "notify/urgent", context, setting=alert.kind)


def _digest(notice: Notice) -> Email | None:
    account = notice.account
    if account is None:
        return None
    hidden = Snooze.hidden_keys(notice.user)
    found = inbox.collect(account, hidden, limit=LISTED)
    groups = []
    setup = [item for item in inbox.setup_items(account) if item.key not in hidden]
    if setup:
        groups.append(_listed("setup", SETUP_TITLE, setup, len(setup)))
    for kind, title in inbox.GROUPS.items():
        if found.get(kind) and found[kind].total:
            groups.append(_listed(kind, title, found[kind].items, found[kind].total))
    count = sum(group.total for group in groups)
    if not count:
        return None
    need = "item needs" if count == 1 else "items need"
    where = f" ({account.label})" if account.label and accounts.followed().count() > 1 else ""
    subject = f"{count:,} {need} you on the OpenTrain dashboard{where}"
    context = {"groups": groups, "heading": f"{count:,} {need} you{where}"}
    return _email(notice, subject, "notify/digest", context, setting=unsubscribe.DIGEST)


def _listed(kind: str, title: str, items: list, total: int) -> Listed:
    home = absolute(reverse("inbox"))
    lines = []
    for item in items[:LISTED]:
        # Only the dashboard's own pages are linked: a setup item's OpenTrain link (a claim link
        # carries its token) stays on the home page's checklist.
        if item.action_url.startswith("/"):
            url, label = absolute(item.action_url), item.action_label or "Open it"
        else:
            url, label = home, "Open it on the dashboard"
        contract = item.contract_title or item.contract_id
        lines.append(Line(contract, item.what, item.stake, url, label))
    more_url = f"{home}?all={kind}#group-{kind}" if kind in inbox.GROUPS else home
    return Listed(kind, title, total, lines, more_url)


def _email(notice: Notice, subject: str, template: str, context: dict, *, setting: str) -> Email:
    unsubscribe_url = absolute(
        reverse("unsubscribe", args=[unsubscribe.token(notice.user, setting)])
    )
    subject = " ".join(subject.split())  # one line: a title may hold a line break
    context = {
        **context,
        "subject": subject,
        "home_url": absolute(reverse("inbox")),
        "settings_url": absolute(reverse("notification_settings")),
        "unsubscribe_url": unsubscribe_url,
        "unsubscribe_words": unsubscribe.words(setting),
        "site_url": settings.SITE_URL,
    }
    mail = Email(
        subject=subject,
        body=render_to_string(f"{template}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notice.user.email],
        headers={
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    mail.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
    return mail


def refusal(error: Exception) -> tuple[str, bool]:
    """A failed send in words a PM understands, and whether trying again cannot help (the server
    refused for good: a 5xx). Never the server's address, user name or password."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        refused = list(error.recipients.values())
        code, said = refused[0] if refused else (0, b"")
        return _refused(code, said)
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return (
            f"The mail server did not accept the dashboard's user name and password "
            f"({error.smtp_code}): check EMAIL_URL.",
            500 <= error.smtp_code < 600,
        )
    if isinstance(error, smtplib.SMTPResponseException) and error.smtp_code >= 100:
        return _refused(error.smtp_code, error.smtp_error)
    if isinstance(error, smtplib.SMTPServerDisconnected):
        # smtplib words a reset or a timeout while it reads the server's answer as a
        # disconnection; what happened is its cause.
        if isinstance(error.__context__, ConnectionResetError):
            return "The connection to the mail server was reset.", False
        if isinstance(error.__context__, TimeoutError):
            return "The mail server did not answer in time.", False
        return "The mail server closed the connection before the message was sent.", False
    if isinstance(error, smtplib.SMTPNotSupportedError):
        return "The mail server does not support what EMAIL_URL asks for (such as TLS).", False
    if isinstance(error, smtplib.SMTPException):
        return "The mail server did not take the message.", False
    if isinstance(error, TimeoutError):
        return "The mail server did not answer in time.", False
    if isinstance(error, ConnectionResetError):
        return "The connection to the mail server was reset.", False
    if isinstance(error, ConnectionRefusedError):
        return "The mail server refused the connection: nothing answers at its address.", False
    if isinstance(error, socket.gaierror):
        return "The mail server's name could not be found.", False
    if isinstance(error, ssl.SSLError):
        return "The secure connection to the mail server failed.", False
    why = f": {error.strerror}" if isinstance(error, OSError) and error.strerror else "."
    return f"The mail server could not be reached{why}", False


def _refused(code: int, said: bytes | str) -> tuple[str, bool]:
    if isinstance(said, bytes):
        said = said.decode("utf-8", "replace")
    said = " ".join(said.split())[:200]
    return f"The mail server refused the message: {code} {said}".rstrip(), 500 <= code < 600
