"""Request bodies: read strictly, and the first bad field answers 400 with `details.field`."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

from ..models import Contract
from .envelope import ApiError

MAX_AMOUNT = Decimal("9999999999.99")  # what Decimal(12, 2) holds
MAX_VOLUME = Decimal("9999999999.9999")  # Decimal(14, 4)


def milestone_fields(request, contract: Contract) -> dict:
    """Validate the create body; raise 400 naming the first bad field."""
    try:
        body = json.loads(request.body or b"", parse_float=Decimal)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "Request body must be valid JSON.") from None
    if not isinstance(body, dict):
        raise ApiError(400, "Request body must be a JSON object.")

    description = body.get("description")
    if not isinstance(description, str) or not description.strip():
        raise ApiError(
            400, "description is required and must be non-empty.", {"field": "description"}
        )
    name = body.get("name")
    if name is not None and not isinstance(name, str):
        raise ApiError(400, "name must be a string.", {"field": "name"})

    amount = _positive(body, "amountUsd", places=2, maximum=MAX_AMOUNT)
    volume = _positive(body, "volume", places=4, maximum=MAX_VOLUME)
    due_date = _due_date(body.get("dueDate"))

    if contract.payment_type == Contract.FIXED_PRICE:
        if amount is None:
            raise ApiError(
                400, "amountUsd is required for fixed-price contracts.", {"field": "amountUsd"}
            )
    elif volume is None:
        raise ApiError(
            400, "volume is required for hourly and per-label contracts.", {"field": "volume"}
        )
    return {
        "description": description.strip(),
        "name": (name or "").strip(),
        "amount": amount,
        "volume": volume,
        "due_date": due_date,
    }


def _positive(body: dict, field: str, *, places: int, maximum: Decimal) -> Decimal | None:
    if field not in body or body[field] is None:
        return None
    value = body[field]
    # JSON numbers only: strings, booleans, NaN and Infinity (floats here) are refused.
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise ApiError(400, f"{field} must be a number.", {"field": field})
    value = Decimal(value)
    if not value.is_finite() or value <= 0:
        raise ApiError(400, f"{field} must be positive.", {"field": field})
    if value > maximum:
        raise ApiError(400, f"{field} is too large.", {"field": field})
    if value != value.quantize(Decimal(1).scaleb(-places)):
        raise ApiError(400, f"{field} has more than {places} decimal places.", {"field": field})
    return value


def _due_date(value) -> date | None:
    if value is None:
        return None
    bad = ApiError(400, "dueDate must be an ISO 8601 date.", {"field": "dueDate"})
    if not isinstance(value, str):
        raise bad
    try:
        return date.fromisoformat(value)
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise bad from None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC)
    return parsed.date()
