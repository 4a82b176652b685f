"""OpenTrain's webhook signature: `t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`."""

from __future__ import annotations

import hashlib
import hmac
import time

TOLERANCE_SECONDS = 300


def _digest(secret: str, timestamp: int, raw_body: bytes) -> str:
    return hmac.new(
        secret.encode(), f"{timestamp}.".encode() + raw_body, hashlib.sha256
    ).hexdigest()


def parse(header: str) -> tuple[int, list[str]] | None:
    """The timestamp and every v1 signature in the header; None when it is malformed."""
    # ASCII only: "²" is a digit to `isdigit` but not to `int`, and `compare_digest` raises on
    # any other character.
    if not (header or "").isascii():
        return None
    timestamp, signatures = None, []
    for part in (header or "").split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1" and value:
            signatures.append(value)
    if timestamp is None or not signatures:
        return None
    return timestamp, signatures


def verify(secret: str, raw_body: bytes, header: str, *, now: float | None = None) -> bool:
    """True when the header signs this exact body with this secret, within the tolerance."""
    parsed = parse(header)
    if parsed is None or not secret:
        return False
    timestamp, signatures = parsed
    if abs((time.time() if now is None else now) - timestamp) > TOLERANCE_SECONDS:
        return False
    expected = _digest(secret, timestamp, raw_body)
    # Check every candidate, always: the time taken says nothing about which one matched.
    matched = False
    for candidate in signatures:
        matched |= hmac.compare_digest(expected, candidate)
    return matched
