"""System checks of the dashboard's own settings (`manage.py check --deploy`)."""

import ipaddress

from django.conf import settings
from django.core.checks import Tags, Warning, register


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@register(Tags.security, deploy=True)
def sandbox_on_a_network(app_configs, **kwargs):
    """The sandbox hands its demo tokens to anyone: warn when it may face a network."""
    if not settings.OT_SANDBOX or settings.DEBUG or _loopback(settings.BIND_HOST):
        return []
    return [
        Warning(
            f"The sandbox is on (OT_SANDBOX) with DEBUG=false and BIND_HOST={settings.BIND_HOST}.",
            hint="The sandbox gives its demo tokens to anyone who asks and must never be "
            "reachable from a network: set OT_API_TOKEN for the real API, or BIND_HOST=127.0.0.1.",
            id="dashboard.W001",
        )
    ]


@register(Tags.security, deploy=True)
def notification_settings(app_configs, **kwargs):
    """In production, e-mails need a mail server and every notification needs the dashboard's
    own address for its links."""
    if settings.OT_SANDBOX:
        return []
    found = []
    if not getattr(settings, "SITE_URL_SET", True):
        found.append(
            Warning(
                f"SITE_URL is not set: links in e-mails and chat messages point at "
                f"{settings.SITE_URL}, which only works on this machine.",
                hint="Set SITE_URL to the address people open the dashboard at, such as "
                "https://dashboard.example.com.",
                id="notify.W001",
            )
        )
    if not settings.EMAIL_URL:
        found.append(
            Warning(
                "EMAIL_URL is not set: e-mail notifications (urgent e-mails and the daily "
                "digest) are off; chat channels still work.",
                hint="Set EMAIL_URL to your mail server, such as smtp+tls://user:pass@host:587.",
                id="notify.W002",
            )
        )
    return found
