"""Every API answer leaves through `api_view`; every failure is an `ApiError` sent as the envelope.

The envelope is `{"error", "code", "requestId", "details"?}`. `api_view` also answers wrong
methods with 405 and applies the injected faults (faults.py) around the view.
"""

from __future__ import annotations

import logging
import uuid
from functools import wraps

from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt

from .. import faults
from ..models import Account, Token

logger = logging.getLogger("sandbox")

CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "BAD_REQUEST",
    409: "CONFLICT",
    429: "RATE_LIMITED",
}


class ApiError(Exception):
    def __init__(self, status: int, message: str, details: dict | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = details


def error_response(status: int, message: str, details: dict | None = None) -> JsonResponse:
    body = {"error": message, "code": CODES.get(status, "INTERNAL_ERROR")}
    body["requestId"] = str(uuid.uuid4())
    if details:
        body["details"] = details
    return JsonResponse(body, status=status)


def bearer(request) -> str:
    """The bearer token the request carries, or ""."""
    scheme, _, value = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def api_view(*methods: str):
    """Wrap an API view: open to tokens (no session, no CSRF), 405s, faults, the envelope."""

    def decorate(view):
        @login_not_required
        @csrf_exempt
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method not in methods:
                response = error_response(
                    405,
                    f"Method {request.method} is not allowed here.",
                    {"allowedMethods": list(methods)},
                )
                response["Allow"] = ", ".join(methods)
                return response
            account, authenticated = _caller(request)
            injected = faults.for_request(request, account, authenticated=authenticated)
            if injected:
                instead = faults.before(injected)
                if instead is not None:
                    return instead
            try:
                response = view(request, *args, **kwargs)
            except ApiError as exc:
                response = error_response(exc.status, exc.message, exc.details)
            except Exception:
                # The real API answers its envelope even when it breaks; so does the sandbox.
                logger.exception("sandbox API view failed")
                response = error_response(500, "Internal error in the OpenTrain sandbox.")
            if injected:
                response = faults.after(injected, request, response)
            return response

        return wrapper

    return decorate


def _caller(request) -> tuple[Account | None, bool]:
    """The token's account, and whether the token is usable (the header's faults need one).

    Any token, even a revoked one, names an account: its faults apply before authentication
    answers."""
    value = bearer(request)
    if not value:
        return None, False
    token = Token.objects.select_related("account").filter(value=value).first()
    return (token.account, token.is_usable()) if token else (None, False)
