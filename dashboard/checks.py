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
