"""Fault injection: make the sandbox misbehave on purpose, to test the dashboard's resilience.

Only the sandbox honours these. A fault comes from either place, and both apply together:

- `Account.fault`: every API request made with that account's tokens (tests set it in the DB);
- the request header `X-Sandbox-Fault`: that one request, and only with a usable token; each
  costs its account one unit plus its delay in seconds from a budget of `BUDGET` a minute,
  past which the header is ignored. Nobody can hold the server's threads without a token, and a
  token holder only briefly.

Syntax: a comma-separated list of faults. Each may be scoped to one HTTP method with a `METHOD:`
prefix, e.g. `POST:500` fails writes only, `latency=300,POST:drop`; and to the endpoints whose
path ends in one word with `METHOD@word:`, e.g. `POST@fund:503` fails funding requests only (a
milestone create in the same flow goes through).

Faults, and when they act:

- `latency=<ms>` (before): sleep, then answer normally (at most 30 s).
- `hang` (before): sleep 30 s, past any client timeout, then answer normally; `hang=<s>` picks
  the seconds, at most 30 (keep it short in tests: the live server waits for its threads at
  shutdown).
- `late=<s>` (before): `hang=<s>` for a write, named for what it makes: the client gives up
  (its timeout is shorter), and OpenTrain carries the write out anyway a moment later, as in the
  reproduced case of a milestone created 4 s after the dashboard's 10 s timeout.
- `500`, `502`, `503`, `504` (instead): that status with the error envelope; nothing is processed.
- `429` (instead): 429 RATE_LIMITED with `Retry-After: 2`; `429=<s>` picks the value.
- `html` (instead): 502 with an HTML error page, as from a proxy in front.
- `notjson` (after): the request is processed, then the answer is 200 with the body `not json`.
- `truncated` (after): processed; the real status, a Content-Length for the full body, half the
  body, then the connection closes.
- `drop` (after): processed (a milestone create DOES create the milestone), then the connection
  is closed without any answer: the ambiguous write.

An account's faults may carry `times=<n>`: they then act on the next n requests they apply to,
after which the account's fault is cleared (e.g. `GET:503,times=2`: two failed reads, then normal
answers), which is how tests watch the client retry and succeed.

"instead" faults have no side effect. "after" faults leave the write done but the answer lost or
garbled, which is what the dashboard must treat as ambiguous.

Dropping a connection needs the client socket. Under gunicorn it is `gunicorn.socket`; under
Django's own server (`runserver`, the test live server) it sits behind `wsgi.input`. Without a
socket (Django's test `Client`), `drop` raises `ConnectionDropped` instead.
"""

from __future__ import annotations

import contextlib
import socket
import time
import uuid
from dataclasses import dataclass, field

from django.core.cache import cache
from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from django.template.loader import render_to_string

from .models import Account

HEADER = "HTTP_X_SANDBOX_FAULT"
HANG_SECONDS = 30.0
MAX_DELAY_SECONDS = 30.0
BUDGET = 60  # units a minute per account: one a header fault, plus its delay in seconds
STATUS_FAULTS = {"500", "502", "503", "504"}


class ConnectionDropped(Exception):
    """Raised for `drop` when there is no socket to close (Django's test Client)."""


@dataclass
class Faults:
    latency_ms: int = 0
    hang_seconds: float = 0.0
    status: int | None = None
    retry_after: int = 2
    html: bool = False
    notjson: bool = False
    truncated: bool = False
    drop: bool = False
    names: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.names)


def parse(spec: str, method: str, path: str = "") -> Faults:
    """Parse a fault list, keeping the faults that apply to `method` (and `path`, for a scope
    with `@word`); unknown ones are ignored."""
    faults = Faults()
    for raw in (spec or "").split(","):
        item = raw.strip()
        if not item:
            continue
        scope, sep, rest = item.partition(":")
        if sep:
            scope_method, _, word = scope.strip().partition("@")
            if scope_method.upper() != method.upper():
                continue
            if word and not path.rstrip("/").endswith("/" + word):
                continue
            item = rest.strip()
        name, _, value = item.partition("=")
        name = name.strip().lower()
        value = value.strip()
        if name == "latency":
            latency_ms = min(_int(value, 0), int(MAX_DELAY_SECONDS * 1000))
            faults.latency_ms = max(faults.latency_ms, latency_ms)
        elif name in ("hang", "late"):
            faults.hang_seconds = min(float(_int(value, int(HANG_SECONDS))), MAX_DELAY_SECONDS)
        elif name in STATUS_FAULTS:
            faults.status = int(name)
        elif name == "429":
            faults.status = 429
            faults.retry_after = _int(value, 2)
        elif name == "html":
            faults.html = True
        elif name == "notjson":
            faults.notjson = True
        elif name == "truncated":
            faults.truncated = True
        elif name == "drop":
            faults.drop = True
        else:
            continue
        faults.names.append(name)
    return faults


def _int(value: str, default: int) -> int:
    try:
        return max(0, int(value))
    except ValueError:
        return default


def for_request(request, account=None, *, authenticated=False) -> Faults:
    """The faults for this request: the account's, and the header's when the token is usable."""
    method, path = request.method, request.path
    account_spec = account.fault if account else ""
    if account_spec and parse(account_spec, method, path) and not _use_once(account):
        account_spec = ""
    header_spec = request.META.get(HEADER, "") if account and authenticated else ""
    if header_spec and not _within_budget(account, parse(header_spec, method, path)):
        header_spec = ""
    spec = ",".join(s for s in (account_spec, header_spec) if s)
    return parse(spec, method, path)


def _within_budget(account, faults: Faults) -> bool:
    """Spend the header's cost from the account's budget for this minute; False when it is spent."""
    if not faults:
        return True
    cost = 1 + int(faults.latency_ms / 1000 + faults.hang_seconds)
    key = f"sandbox-fault-budget:{account.pk}:{int(time.time() // 60)}"
    cache.add(key, 0, timeout=120)
    return cache.incr(key, cost) <= BUDGET


def _use_once(account) -> bool:
    """Spend one use of an account fault with `times=<n>`; False when none is left."""
    items = [item.strip() for item in account.fault.split(",")]
    counts = [item.partition("=")[2] for item in items if item.lower().startswith("times=")]
    if not counts:
        return True
    left = _int(counts[0], 0)
    if left < 1:
        return False
    rest = [item for item in items if item and not item.lower().startswith("times=")]
    spec = ",".join([*rest, f"times={left - 1}"]) if left > 1 else ""
    # Compare-and-set: of two requests racing for the last use, only one gets it.
    return Account.objects.filter(pk=account.pk, fault=account.fault).update(fault=spec) == 1


def before(faults: Faults):
    """Apply the faults that act before processing; return a response to send instead, or None."""
    if faults.latency_ms:
        time.sleep(faults.latency_ms / 1000)
    if faults.hang_seconds:
        time.sleep(faults.hang_seconds)
    if faults.html:
        return HttpResponse(render_to_string("sandbox/bad_gateway.html"), status=502)
    if faults.status:
        code = "RATE_LIMITED" if faults.status == 429 else "INTERNAL_ERROR"
        response = JsonResponse(
            {
                "error": f"Injected sandbox fault: {faults.status}.",
                "code": code,
                "requestId": str(uuid.uuid4()),
            },
            status=faults.status,
        )
        if faults.status == 429:
            response["Retry-After"] = str(faults.retry_after)
        return response
    return None


def after(faults: Faults, request, response):
    """Apply the faults that act after processing: the work is done, the answer is lost or bad."""
    if faults.drop:
        drop_connection(request)
        return response
    if faults.notjson:
        return HttpResponse(b"not json", status=200, content_type="application/json")
    if faults.truncated:
        return _truncated(request, response)
    return response


def drop_connection(request) -> None:
    """Shut the client socket so the server's attempt to answer fails and the client sees EOF."""
    sock = client_socket(request.META)
    if sock is None:
        raise ConnectionDropped("sandbox fault: drop (no socket to close)")
    # shutdown, not close: the server still owns the descriptor, and writing to a shut socket
    # fails with a broken pipe, which Django's server and gunicorn both swallow quietly.
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


def client_socket(environ) -> socket.socket | None:
    """Find the client socket behind a WSGI environ (gunicorn, or Django's wsgiref server)."""
    sock = environ.get("gunicorn.socket")
    if isinstance(sock, socket.socket):
        return sock
    # Django's server: wsgi.input is LimitedStream(rfile); rfile is a BufferedReader over a
    # SocketIO whose `_sock` is the connection.
    obj = environ.get("wsgi.input")
    for _ in range(6):
        if obj is None:
            return None
        if isinstance(obj, socket.socket):
            return obj
        reader = getattr(obj, "_read", None)
        obj = (
            getattr(reader, "__self__", None)
            or getattr(obj, "raw", None)
            or getattr(obj, "_sock", None)
            or getattr(obj, "stream", None)
        )
    return None


def _truncated(request, response):
    body = response.content
    half = body[: len(body) // 2]

    def chunks():
        yield half
        # Runs once the half has been written: close so the client sees a short body.
        sock = client_socket(request.META)
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    truncated = StreamingHttpResponse(chunks(), status=response.status_code)
    truncated["Content-Type"] = response["Content-Type"]
    truncated["Content-Length"] = str(len(body))
    return truncated
