"""Which URLs that come back from OpenTrain may be rendered as links, and where a form may send
the browser back to.

Claim, approval, billing and profile links are handed to a human, so only https links to the
OpenTrain hosts qualify; in sandbox mode, also the sandbox's own pages (same origin as the API).
Anything else (another host, `javascript:`, plain http) is shown as text.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme.lower(), (parts.hostname or "").lower(), parts.port


def is_allowed(url: str) -> bool:
    if not isinstance(url, str) or not url or any(c in url for c in "\r\n\t\\ "):
        return False
    try:
        scheme, host, port = _origin(url)
    except ValueError:
        return False
    if not host:
        return False
    if scheme == "https" and port in (None, 443) and host in settings.OT_LINK_HOSTS:
        return True
    if settings.OT_SANDBOX:
        try:
            return (scheme, host, port) == _origin(settings.OT_API_BASE_URL)
        except ValueError:
            return False
    return False


def profile_url(path: str) -> str:
    """The freelancer's profile on the OpenTrain web app, from the API's `profilePath`."""
    if not path or not path.startswith("/") or path.startswith("//"):
        return ""
    return settings.OT_WEB_BASE_URL + path


def back_to(request) -> str:
    """The POST's `next` when it is a path on this site; else the contract list.

    Never a URL name or another host: `redirect("logout")` would sign the PM out.
    """
    target = request.POST.get("next", "")
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts=None, require_https=request.is_secure()
    ):
        return target
    return reverse("contract_list")
