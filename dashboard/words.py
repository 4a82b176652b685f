"""Money, volumes, statuses, dates and spans of time in words: the one place the dashboard writes
them, for Python (inbox items, forms, exports) and, registered as filters by
`templatetags/dashboard.py`, for templates. No HTML here."""

from dataclasses import dataclass
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
    """The value as a finite Decimal, or None when it is no number ("$1,575.5" is one, as typed)."""
    text = str(value).strip()
    if text.startswith(("$", "-$")):
        text = text.replace("$", "", 1)
    try:
        amount = Decimal(text.replace(",", ""))
    except (InvalidOperation, ValueError):
        return None
    return amount if amount.is_finite() else None


def money(value):
    """$1,250.00 / $0.07 / $1,575.50 (never $1,575.5 or $1,450): always the cents, and sub-cent
    rates keep their digits. The one way money is written, in Python and in templates."""
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


def unit(payment_type, count=True):
    """The contract's unit: plural ("hours"), singular with `False`, or agreeing with a number
    (`payment_type|unit:milestone.volume`: "hour" for 1, "hours" for 2.5)."""
    singular, many = UNITS.get(payment_type, ("", ""))
    if isinstance(count, bool):
        return many if count else singular
    return singular if _decimal(count) == 1 else many


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
    return f"{number(volume)} {unit(payment_type, volume)}".strip()


def full_stop(text) -> str:
    """The full stop that ends a sentence after `text`, or "" when `text` ends one already: a
    name with an initial ("Kenji T.") is not followed by a second one."""
    return "" if str(text or "").rstrip().endswith((".", "!", "?", "…")) else "."


def sentence(text) -> str:
    """`text` ended with one full stop: "… for Kenji T.", never "Kenji T.."."""
    text = str(text or "").rstrip()
    return text + full_stop(text)


@dataclass(frozen=True)
class BudgetWords:
    """A budget's state in words: the badge's label, its CSS token, and why."""

    label: str
    token: str
    why: str


def budget_words(state: str, payment_type: str, left, funded: bool | None) -> BudgetWords:
    """OpenTrain's budget state, in words that explain it.

    The state is OpenTrain's (`state`), but OpenTrain says "OK" for a fixed price and whenever
    nothing is funded, so its "OK" is worded from the money: "Nothing funded" when no milestone
    was funded (`funded` False); with nothing left (`left`, in dollars), "Used up" when the funded
    milestones are all used or paid (`funded` True), "Nothing left" when that is not known."""
    hours = unit(payment_type) or "units"
    if state == "DEPLETED":
        why = f"Every funded {unit(payment_type, False) or 'unit'} is used: the work has stopped."
        return BudgetWords("DEPLETED", "depleted", why)
    if state == "LOW":
        return BudgetWords("LOW", "low", f"80% or more of the funded {hours} are used.")
    nothing_left = (amount := _decimal(left)) is not None and amount <= 0
    if state and state != "OK" and not nothing_left:
        return BudgetWords(state, css_token(state), "")
    if funded is False and state in ("", "OK"):
        why = "No milestone is funded yet: the AI trainer has nothing to work on."
        return BudgetWords("Nothing funded", "not_funded", why)
    if nothing_left and funded:
        why = (
            f"{money(0)} left: every funded milestone is used or paid. Fund another for more work."
        )
        return BudgetWords("Used up", "depleted", why)
    if nothing_left:
        return BudgetWords(
            "Nothing left", "not_funded", f"{money(0)} left: no milestone is funded now."
        )
    if not state:
        return BudgetWords("Unknown", "other", "OpenTrain sent no budget state.")
    if payment_type in UNITS:
        return BudgetWords("OK", "ok", f"Less than 80% of the funded {hours} are used.")
    if left is None:
        return BudgetWords("OK", "ok", "Fixed price: OpenTrain does not meter it.")
    return BudgetWords("OK", "ok", f"Fixed price: {money(left)} funded and not paid yet.")


def contract_budget(contract) -> BudgetWords | None:
    """`contract|contract_budget`: the budget words of a contract list's row (the mirror's
    columns), or None without a budget. Nothing was funded on a contract without milestones, or
    on one that counts hours or labels with nothing left while OpenTrain says "OK" (its funded
    volume is 0: a used-up one would be "DEPLETED"); otherwise the row does not tell."""
    if not contract.has_budget:
        return None
    left = _decimal(contract.remaining_usd)
    counted_none = contract.payment_type in UNITS and left is not None and left <= 0
    funded = False if not contract.milestone_count or counted_none else None
    return budget_words(contract.budget_state, contract.payment_type, left, funded)
