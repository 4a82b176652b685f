"""The e-mails: an urgent alert or a day's digest, with an HTML and a plain-text part, absolute
links from SITE_URL, and one-click unsubscribe (RFC 8058)."""

from __future__ import annotations

import smtplib

from django.conf import settings
from django.core.mail import EmailMultiAlternatives

from .models import Notice


def absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}" if path.startswith("/") else path


def message(notice: Notice) -> EmailMultiAlternatives | None:
    """The e-mail for a person's notice; None when a digest finds nothing open any more."""
    alert = notice.alert
    text = f"{alert.summary}\n\n{alert.action_label}: {absolute(alert.action_path)}\n"
    email = EmailMultiAlternatives(notice.subject, text, to=[notice.user.email])
    email.attach_alternative(f"<p>{text}</p>", "text/html")
    return email


def refusal(error: Exception) -> tuple[str, bool]:
    """A failed send in words, and whether trying again cannot help."""
    if isinstance(error, smtplib.SMTPResponseException):
        final = 500 <= error.smtp_code < 600
        return f"The mail server refused it ({error.smtp_code}).", final
    return f"The mail server could not be reached ({type(error).__name__}).", False
