"""Which URLs that come back from OpenTrain may be rendered as links.

Claim, approval, billing and profile links are handed to a human, so only https links to the
OpenTrain hosts qualify; in sandbox mode, also the sandbox's own pages (same origin as the API).
Anything else (another host, `javascript:`, plain http) is shown as text. And the e-mail that
hands an approval's link to whoever confirms it.
"""

from decimal import Decimal
from urllib.parse import quote, urlsplit

from django.conf import settings

from dashboard.opentrain.vocabulary import APPROVAL_TYPES
from dashboard.words import money, when


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


def mailto(approval, amount: Decimal | None) -> str:
    """An e-mail to whoever confirms payments (`approval`: the stored `Approval`): what is asked,
    for what, how much, and the link."""
    kind = APPROVAL_TYPES.get(approval.type, approval.type)
    label = approval.milestone_label or approval.contract_title or approval.contract_id
    worth = f" ({money(amount)})" if amount is not None else ""
    contract = (
        f" on the contract “{approval.contract_title}”"
        if approval.contract_title and approval.milestone_label
        else ""
    )
    expires = f"\nIt expires on {when(approval.expires_at)}." if approval.expires_at else ""
    subject = f"Please confirm in OpenTrain: {kind} for {label}{worth}"
    body = (
        f"Hello,\n\nThe OpenTrain dashboard asked for this: {kind} for {label}{worth}{contract}."
        f"\nNo money moves until a person signed in to OpenTrain confirms it here:\n"
        f"{approval.approval_url}{expires}\n"
    )
    return f"mailto:?subject={quote(subject)}&body={quote(body)}"
