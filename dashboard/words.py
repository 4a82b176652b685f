"""Money, volumes, statuses, dates and spans of time in words: the one place the dashboard writes
them, for Python (inbox items, forms, exports) and, registered as filters by
`templatetags/dashboard.py`, for templates. No HTML here."""

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from django.utils import timezone

from dashboard.opentrain.vocabulary import (
    APPROVAL_STATUSES,
    APPROVAL_TYPES,
    CONTRACT_STATUSES,
    MILESTONE_STATUSES,
    PAYMENT_TYPES,
    UNITS,
    parse_timestamp,
)


def _decimal(value) -> Decimal | None:
    """The value as a finite Decimal, or None when it is no number."""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return amount if amount.is_finite() else None


def money(value):
    """$1,250.00 / $0.07; amounts keep cents and sub-cent rates keep their digits."""
    if value in (None, ""):
        return "—"
    amount = _decimal(value)
    if amount is None:
        return str(value)
    exponent = amount.as_tuple().exponent
    places = max(2, -exponent) if isinstance(exponent, int) else 2
    sign = "-" if amount < 0 else ""
    return f"{sign}${abs(amount):,.{places}f}"


def number(value):
    """A volume without trailing zeros: 12.5, 5,000."""
    if value in (None, ""):
        return "—"
    amount = _decimal(value)
    if amount is None:
        return str(value)
    if amount == amount.to_integral_value():
        return f"{int(amount):,}"
    return f"{amount.normalize():,f}"


def payment_model(value):
    return PAYMENT_TYPES.get(value, value or "Unknown")


def unit(payment_type, plural=True):
    singular, many = UNITS.get(payment_type, ("", ""))
    return many if plural else singular


def rate(contract):
    """$12.50 / hour, $0.07 / label, $300.00 (fixed), or "No rate"."""
    if contract.rate_usd is None:
        return "No rate"
    # The mirror's column keeps 4 places: $0.07, not $0.0700.
    amount = money(Decimal(str(contract.rate_usd)).normalize())
    singular, _ = UNITS.get(contract.payment_type, ("", ""))
    return f"{amount} / {singular}" if singular else amount


def milestone_status(value):
    return MILESTONE_STATUSES.get(value, value or "Unknown")


def contract_status(value):
    return CONTRACT_STATUSES.get(value, value or "Unknown")


def approval_type(value):
    return APPROVAL_TYPES.get(value, value or "Unknown")


def approval_status(value):
    return APPROVAL_STATUSES.get(value, value or "Unknown")


def css_token(value):
    """A status turned into a safe CSS class suffix (unknown values become `other`)."""
    value = str(value or "").lower()
    return value if value.replace("_", "").isalnum() and len(value) < 40 else "other"


def iso(value):
    """Parse the API's ISO 8601 timestamps so the `date` filter can format them."""
    if isinstance(value, datetime):
        return value
    return parse_timestamp(value)


# One way to write a date and one for a moment across the app: "26 Nov 2026" and
# "26 Nov 2026, 14:05 UTC" (app.js writes the same shape in the reader's own time zone).
def day(value):
    moment = iso(value)
    return f"{moment.day} {moment:%b %Y}" if moment else ""


def when(value):
    moment = iso(value)
    if not moment:
        return ""
    moment = moment.astimezone(UTC)
    return f"{moment.day} {moment:%b %Y, %H:%M} UTC"


def datetime_attr(value):
    """A `<time datetime>` value: ISO 8601 to the second (HTML refuses microseconds), or ""."""
    moment = iso(value)
    return moment.isoformat(timespec="seconds") if moment else ""


def ago(value):
    """How long ago, short: "4 s", "3 min", "2 h", "5 days" (app.js keeps it ticking)."""
    if not isinstance(value, datetime):
        return ""
    return _span(int((timezone.now() - value).total_seconds()))


def until(value):
    """How long from now, short, as `ago` words it ("3 h")."""
    if not isinstance(value, datetime):
        return ""
    return _span(int((value - timezone.now()).total_seconds()))


def _span(seconds: int) -> str:
    seconds = max(0, seconds)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86400:
        return f"{seconds // 3600} h"
    days = seconds // 86400
    return f"{days} day{'s' if days != 1 else ''}"


def volume_words(payment_type: str, volume) -> str:
    """A volume with its unit, agreeing with the number: "1 hour", "2.5 hours"."""
    singular, plural = UNITS.get(payment_type, ("", ""))
    return f"{number(volume)} {singular if volume == 1 else plural}".strip()
