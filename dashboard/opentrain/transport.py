"""How the client reaches OpenTrain: one pooled httpx client, GET-only retries, one log line a call.

`request()` sends a method and a path with a token and answers the JSON body, or raises
`OpenTrainError` for any failure. It knows no endpoint. The token is sent, never logged; nor is a
query string. Tests observe or replace the HTTP client through `use_client()`, nothing else.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import threading
import time
from decimal import Decimal
from typing import Any, NamedTuple

import httpx
from django.conf import settings

from dashboard import metrics
from dashboard.opentrain.errors import OpenTrainError
from dashboard.opentrain.vocabulary import route_template

logger = logging.getLogger("dashboard.opentrain")

GET_ATTEMPTS = 3
RETRY_STATUSES = frozenset({502, 503, 504})
RETRY_AFTER_CAP = 5.0  # seconds: longer waits are reported to the user instead
BACKOFF = (0.5, 1.0)
# The waits between attempts go through this name, so a test can record them instead of waiting.
sleep = time.sleep

_pooled: httpx.Client | None = None
_installed: httpx.Client | None = None
_lock = threading.Lock()
_quiet: contextvars.ContextVar[bool] = contextvars.ContextVar("quiet_successes", default=False)


def build_client(**options: Any) -> httpx.Client:
    """A client set up like the pooled one (headers, limits, no redirects); `options` add to it."""
    defaults: dict[str, Any] = {
        "limits": httpx.Limits(max_connections=50, max_keepalive_connections=20),
        "headers": {"Accept": "application/json", "User-Agent": "opentrain-dashboard/0.1"},
        "follow_redirects": False,
    }
    return httpx.Client(**(defaults | options))


def use_client(client: httpx.Client | None) -> httpx.Client | None:
    """Send every request through `client` from now on; None goes back to the pooled client.

    Returns the client it replaces (None for the pooled one), to put back afterwards. The one seam
    for tests: a client with `event_hooks` observes the real traffic, one with an
    `httpx.MockTransport` answers instead of OpenTrain.
    """
    global _installed
    previous, _installed = _installed, client
    return previous


@contextlib.contextmanager
def quiet_successes():
    """Successful requests made inside are logged at DEBUG, not INFO: the worker's feed reads and
    a reconciliation's thousands of reads would bury everything else. Failures log as anywhere
    else, and every request is still counted in the metrics."""
    token = _quiet.set(True)
    try:
        yield
    finally:
        _quiet.reset(token)


def _http() -> httpx.Client:
    """One pooled client per process, so connections are reused across requests and threads."""
    global _pooled
    if _installed is not None:
        return _installed
    if _pooled is None:
        with _lock:
            if _pooled is None:
                _pooled = build_client()
    return _pooled


def _timeout() -> httpx.Timeout:
    total = float(settings.OT_API_TIMEOUT)
    return httpx.Timeout(total, connect=min(total, 5.0))


def parse_json(content: bytes) -> Any:
    """A body as JSON with exact numbers (`Decimal`), or None when it is not JSON."""
    try:
        return json.loads(content, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError):
        return None


def success_body(content: bytes, status: int = 200, method: str = "GET") -> dict:
    """A successful answer's JSON object; BAD_RESPONSE when it is not one (a write's outcome is
    then unknown). 204 (a delete) has no body by design."""
    body = parse_json(content) if status != 204 else {}
    if not isinstance(body, dict):
        raise OpenTrainError(
            "OpenTrain answered with something that is not JSON.",
            status=status,
            code="BAD_RESPONSE",
            ambiguous=method != "GET",
        )
    return body


def _retry_after(response: httpx.Response) -> int | None:
    value = response.headers.get("Retry-After", "").strip()
    if value.isdigit():
        return int(value)
    return None


def _error_from(response: httpx.Response, method: str) -> OpenTrainError:
    body = parse_json(response.content)
    status = response.status_code
    if isinstance(body, dict) and ("error" in body or "code" in body):
        return OpenTrainError(
            str(body.get("error") or "") or f"OpenTrain answered {status}.",
            status=status,
            code=str(body.get("code") or ""),
            request_id=str(body.get("requestId") or "") or None,
            details=body.get("details"),
            retry_after=_retry_after(response),
            ambiguous=status >= 500 and method != "GET",
        )
    return OpenTrainError(
        f"OpenTrain answered {status} without a readable error.",
        status=status,
        code="BAD_RESPONSE" if status < 500 else "INTERNAL_ERROR",
        retry_after=_retry_after(response),
        ambiguous=status >= 500 and method != "GET",
    )


class Reply(NamedTuple):
    body: dict  # empty when the request asked for the answer unparsed
    status: int
    raw: bytes


def request(
    method: str, path: str, token: str, payload: dict | None = None, *, parse: bool = True
) -> Reply:
    """Send one request; retry only what is safe: GETs on 502/503/504, 429 and connection errors.

    `path` is relative to `OT_API_BASE_URL`, IDs already encoded; an empty token sends none.
    With `parse=False` a success comes back as received (`raw`), for a caller that parses it
    elsewhere (`success_body`); errors are parsed either way.
    """
    try:
        return _send(method, path, token, payload, parse)
    except OpenTrainError as error:
        if error.ambiguous:
            metrics.record_ambiguous(method, route_template(path))
        raise


def _send(method: str, path: str, token: str, payload: dict | None, parse: bool) -> Reply:
    url = settings.OT_API_BASE_URL + path
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    attempts = GET_ATTEMPTS if method == "GET" else 1
    for attempt in range(1, attempts + 1):
        started = time.monotonic()
        try:
            response = _http().request(
                method, url, headers=headers, json=payload, timeout=_timeout()
            )
        except httpx.TimeoutException as exc:
            # A connect timeout means nothing was sent; any later timeout leaves a write ambiguous.
            sent = not isinstance(exc, httpx.ConnectTimeout)
            _log(method, path, "TIMEOUT", started, attempt, None)
            if method == "GET" and attempt < attempts and not sent:
                sleep(BACKOFF[attempt - 1])
                continue
            raise OpenTrainError(
                "OpenTrain did not answer in time.",
                code="TIMEOUT",
                ambiguous=sent and method != "GET",
            ) from None
        except httpx.TransportError as exc:
            sent = not isinstance(exc, httpx.ConnectError | httpx.LocalProtocolError)
            _log(method, path, "CONNECTION_FAILED", started, attempt, None)
            if method == "GET" and attempt < attempts:
                sleep(BACKOFF[attempt - 1])
                continue
            raise OpenTrainError(
                "OpenTrain could not be reached."
                if not sent
                else "The connection to OpenTrain broke before it answered.",
                code="CONNECTION_FAILED",
                ambiguous=sent and method != "GET",
            ) from None

        if response.is_success:
            _log(method, path, response.status_code, started, attempt, None)
            status, content = response.status_code, response.content
            body = success_body(content, status, method) if parse else {}
            return Reply(body, status, content)

        error = _error_from(response, method)
        _log(method, path, response.status_code, started, attempt, error.request_id)
        retryable = response.status_code in RETRY_STATUSES or (
            response.status_code == 429 and (error.retry_after or 0) <= RETRY_AFTER_CAP
        )
        if method == "GET" and attempt < attempts and retryable:
            wait = error.retry_after if error.retry_after is not None else BACKOFF[attempt - 1]
            sleep(min(wait, RETRY_AFTER_CAP))
            continue
        raise error
    raise AssertionError("unreachable")  # pragma: no cover


def _log(
    method: str, path: str, status: int | str, started: float, attempt: int, request_id: str | None
) -> None:
    # The route keeps the IDs (they name what was asked for) but never a query string's values.
    route = path.partition("?")[0]
    ms = (time.monotonic() - started) * 1000
    metrics.record_upstream(method, route_template(route), status, ms / 1000, attempt)
    logger.log(
        _level(status),
        "opentrain %s %s -> %s in %.0f ms%s",
        method,
        route,
        status,
        ms,
        f" requestId={request_id}" if request_id else "",
        extra={
            "ot_method": method,
            "ot_route": route,
            "ot_status": status,
            "ot_ms": round(ms, 1),
            "ot_attempt": attempt,
            "ot_request_id": request_id,
        },
    )


def _level(status: int | str) -> int:
    """A refusal (4xx) is OpenTrain's answer, and the code that asked decides whether it is a
    problem (a sync says so at WARNING); OpenTrain failing (5xx, no answer) is one already."""
    if isinstance(status, str) or status >= 500:
        return logging.WARNING
    if status >= 300:
        return logging.INFO
    return logging.DEBUG if _quiet.get() else logging.INFO
