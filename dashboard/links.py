"""Which URLs that come back from OpenTrain may be rendered as links.

Claim, approval, billing and profile links are handed to a human, so only https links to the
OpenTrain hosts qualify; in sandbox mode, also the sandbox's own pages (same origin as the API).
Anything else (another host, `javascript:`, plain http) is shown as text.
"""

from urllib.parse import urlsplit

from django.conf import settings


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
