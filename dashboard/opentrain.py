"""The OpenTrain Public API client: the only code that knows HTTP and the API's JSON.

Plain functions over one pooled `httpx.Client`. Every failure, whether an error envelope, a timeout,
a refused connection or a body that is not JSON, becomes one `OpenTrainError`. Results are small
dataclasses that tolerate extra fields and unknown enum values. They are shared between requests
through the cache, so treat them as read-only (they are not frozen: frozen dataclasses cost twice
as much to build, and a list page builds thousands). Money is `Decimal`, never float.

The token is passed in by the caller and never logged.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import Any, NamedTuple
from urllib.parse import quote

import httpx
from django.conf import settings

logger = logging.getLogger("dashboard.opentrain")

GET_ATTEMPTS = 3
RETRY_STATUSES = {502, 503, 504}
RETRY_AFTER_CAP = 5.0  # seconds: longer waits are reported to the user instead
BACKOFF = (0.5, 1.0)


class OpenTrainError(Exception):
    """Any failure talking to OpenTrain.

    `status` is the HTTP status (None when no response arrived); `code` is the envelope's code, or
    one of TIMEOUT, CONNECTION_FAILED, BAD_RESPONSE for transport failures; `ambiguous` is True when
    the request may have reached OpenTrain but no answer came back (a write may have happened).
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str = "",
        request_id: str | None = None,
        details: dict | None = None,
        retry_after: int | None = None,
        ambiguous: bool = False,
    ):
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.request_id = request_id
        self.details = details if isinstance(details, dict) else {}
        self.retry_after = retry_after
        self.ambiguous = ambiguous

    @property
    def reason(self) -> str:
        return str(self.details.get("reason") or "")

    @property
    def field(self) -> str:
        return str(self.details.get("field") or "")

    @property
    def is_transport(self) -> bool:
        """True when OpenTrain gave no usable answer (down, slow, or nonsense)."""
        return self.status is None or self.status >= 500 or self.code == "BAD_RESPONSE"

    def __repr__(self) -> str:
        return f"OpenTrainError(status={self.status}, code={self.code!r}, reason={self.reason!r})"


# --- results ---------------------------------------------------------------------------------


def _dec(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    # _parse already made JSON numbers Decimal (or int): no second trip through str.
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, int):
        return Decimal(value)
    try:
        result = Decimal(str(value))
    except ArithmeticError:
        return None
    return result if result.is_finite() else None


def _str(value: Any) -> str:
    return "" if value is None else str(value)


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


@dataclass
class Freelancer:
    user_id: str
    display_name: str
    country: str
    profile_path: str

    @classmethod
    def from_api(cls, data: Any) -> Freelancer:
        data = _dict(data)
        return cls(
            user_id=_str(data.get("userId")),
            display_name=_str(data.get("displayName")),
            country=_str(data.get("country")),
            profile_path=_str(data.get("profilePath")),
        )


@dataclass
class Milestone:
    id: str
    name: str
    description: str
    status: str
    amount_usd: Decimal | None
    volume: Decimal | None
    number: int | None
    due_date: str
    pending_approval: bool
    needs_review: bool
    invoice_id: str
    created_at: str

    @classmethod
    def from_api(cls, data: Any) -> Milestone:
        data = _dict(data)
        number = data.get("milestoneNumber")
        return cls(
            id=_str(data.get("id")),
            name=_str(data.get("name")),
            description=_str(data.get("description")),
            status=_str(data.get("status")),
            amount_usd=_dec(data.get("amountUsd")),
            volume=_dec(data.get("volume")),
            number=number if isinstance(number, int) else None,
            due_date=_str(data.get("dueDate")),
            pending_approval=bool(data.get("pendingApproval")),
            needs_review=bool(data.get("needsReview")),
            invoice_id=_str(data.get("invoiceId")),
            created_at=_str(data.get("createdAt")),
        )


@dataclass
class Budget:
    payment_type: str
    state: str
    funded_volume: Decimal | None
    funded_amount_usd: Decimal | None
    consumed_volume: Decimal | None
    remaining_volume: Decimal | None
    consumed_fraction: Decimal | None
    active_milestone: dict
    last_usage_at: str

    @classmethod
    def from_api(cls, data: Any) -> Budget | None:
        if not isinstance(data, dict):
            return None
        return cls(
            payment_type=_str(data.get("paymentType")),
            state=_str(data.get("state")),
            funded_volume=_dec(data.get("fundedVolume")),
            funded_amount_usd=_dec(data.get("fundedAmountUsd")),
            consumed_volume=_dec(data.get("consumedVolume")),
            remaining_volume=_dec(data.get("remainingVolume")),
            consumed_fraction=_dec(data.get("consumedFraction")),
            active_milestone=_dict(data.get("activeMilestone")),
            last_usage_at=_str(data.get("lastUsageAt")),
        )


@dataclass
class Contract:
    id: str
    status: str
    title: str
    job_id: str
    payment_type: str
    rate_usd: Decimal | None
    estimated_total_usd: Decimal | None
    estimated_volume: Decimal | None
    has_active_milestone: bool
    start_date: str
    end_date: str
    created_at: str
    updated_at: str
    freelancer: Freelancer
    budget: Budget | None = None
    # Milestones stay raw until a page reads them: a list view of 5,000 contracts shows 25.
    milestones_data: tuple[dict, ...] = field(default=(), repr=False, compare=False)

    @classmethod
    def from_api(cls, data: Any) -> Contract:
        data = _dict(data)
        milestones = data.get("milestones")
        return cls(
            id=_str(data.get("id")),
            status=_str(data.get("status")),
            title=_str(data.get("title")),
            job_id=_str(data.get("jobId")),
            payment_type=_str(data.get("paymentType")),
            rate_usd=_dec(data.get("rateUsd")),
            estimated_total_usd=_dec(data.get("estimatedTotalUsd")),
            estimated_volume=_dec(data.get("estimatedVolume")),
            has_active_milestone=bool(data.get("hasActiveMilestone")),
            start_date=_str(data.get("startDate")),
            end_date=_str(data.get("endDate")),
            created_at=_str(data.get("createdAt")),
            updated_at=_str(data.get("updatedAt")),
            freelancer=Freelancer.from_api(data.get("freelancer")),
            budget=Budget.from_api(data.get("budget")),
            milestones_data=tuple(
                m
                for m in (milestones if isinstance(milestones, list) else [])
                if isinstance(m, dict)
            ),
        )

    @cached_property
    def milestones(self) -> tuple[Milestone, ...]:
        return tuple(Milestone.from_api(m) for m in self.milestones_data)

    @property
    def is_active(self) -> bool:
        return self.status == "active"

    @property
    def latest_milestone(self) -> Milestone | None:
        if not self.milestones:
            return None
        return max(self.milestones, key=lambda m: (m.number or 0, m.created_at))


@dataclass
class Approval:
    id: str
    type: str
    status: str
    contract_id: str
    milestone_id: str
    approval_url: str
    expires_at: str
    resolved_at: str
    created_at: str
    result: dict
    raw: dict = field(repr=False, compare=False, default_factory=dict)

    TERMINAL = frozenset({"confirmed", "declined", "expired"})

    @classmethod
    def from_api(cls, data: Any) -> Approval:
        data = _dict(data)
        return cls(
            id=_str(data.get("id")),
            type=_str(data.get("type")),
            status=_str(data.get("status")),
            contract_id=_str(data.get("contractId")),
            milestone_id=_str(data.get("milestoneId")),
            approval_url=_str(data.get("approvalUrl")),
            expires_at=_str(data.get("expiresAt")),
            resolved_at=_str(data.get("resolvedAt")),
            created_at=_str(data.get("createdAt")),
            result=_dict(data.get("result")),
            raw=data,
        )

    @property
    def is_terminal(self) -> bool:
        return self.status in self.TERMINAL


@dataclass
class Handoff:
    """What a money-moving request answered: a pending approval, or (contract end) done at once."""

    approval: Approval | None
    message: str
    done: bool = False


@dataclass
class Me:
    user_email: str
    user_name: str
    token_label: str
    scopes: tuple[str, ...]
    organization_id: str

    @classmethod
    def from_api(cls, data: Any) -> Me:
        data = _dict(data)
        actor, token, account = (_dict(data.get(k)) for k in ("actor", "token", "account"))
        scopes = token.get("scopes")
        return cls(
            user_email=_str(actor.get("email")),
            user_name=_str(actor.get("fullName")),
            token_label=_str(token.get("label")),
            scopes=tuple(str(s) for s in scopes) if isinstance(scopes, list) else (),
            organization_id=_str(account.get("organizationId")),
        )

    def has_scope(self, scope: str) -> bool:
        if scope in self.scopes:
            return True
        # A :write scope covers its :read.
        return scope.endswith(":read") and scope.replace(":read", ":write") in self.scopes


# --- transport -------------------------------------------------------------------------------

_client: httpx.Client | None = None
_client_lock = threading.Lock()


def _http() -> httpx.Client:
    """One pooled client per process, so connections are reused across requests and threads."""
    global _client
    if _client is None:
        with _client_lock:
            if _client is None:
                _client = httpx.Client(
                    limits=httpx.Limits(max_connections=50, max_keepalive_connections=20),
                    headers={"Accept": "application/json", "User-Agent": "opentrain-dashboard/0.1"},
                    follow_redirects=False,
                )
    return _client


def _timeout() -> httpx.Timeout:
    total = float(settings.OT_API_TIMEOUT)
    return httpx.Timeout(total, connect=min(total, 5.0))


def _path(template: str, *ids: str) -> str:
    """Percent-encode IDs into the path: `../` or `?` in an ID cannot reach another endpoint."""
    return template.format(*(_segment(i) for i in ids))


def _segment(value: str) -> str:
    encoded = quote(str(value), safe="")
    # `.` and `..` are path steps, not names (httpx resolves them: /contracts/. is the list);
    # with their dots encoded they stay one opaque segment.
    if encoded.strip(".") == "":
        encoded = encoded.replace(".", "%2E")
    return encoded


def _retry_after(response: httpx.Response) -> int | None:
    value = response.headers.get("Retry-After", "").strip()
    if value.isdigit():
        return int(value)
    return None


def _parse(response: httpx.Response) -> Any:
    return _parse_body(response.content)


def _parse_body(content: bytes) -> Any:
    try:
        return json.loads(content, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError):
        return None


def _error_from(response: httpx.Response, method: str) -> OpenTrainError:
    body = _parse(response)
    status = response.status_code
    if isinstance(body, dict) and ("error" in body or "code" in body):
        return OpenTrainError(
            _str(body.get("error")) or f"OpenTrain answered {status}.",
            status=status,
            code=_str(body.get("code")),
            request_id=_str(body.get("requestId")) or None,
            details=_dict(body.get("details")),
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


class _Reply(NamedTuple):
    body: dict
    status: int
    raw: bytes


def _request(method: str, path: str, token: str, payload: dict | None = None) -> _Reply:
    """Send one request; retry only what is safe: GETs on 502/503/504, 429 and connection errors."""
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
            _log(method, path, "timeout", started, None)
            if method == "GET" and attempt < attempts and not sent:
                time.sleep(BACKOFF[attempt - 1])
                continue
            raise OpenTrainError(
                "OpenTrain did not answer in time.",
                code="TIMEOUT",
                ambiguous=sent and method != "GET",
            ) from None
        except httpx.TransportError as exc:
            sent = not isinstance(exc, httpx.ConnectError | httpx.LocalProtocolError)
            _log(method, path, "connection-failed", started, None)
            if method == "GET" and attempt < attempts:
                time.sleep(BACKOFF[attempt - 1])
                continue
            raise OpenTrainError(
                "OpenTrain could not be reached."
                if not sent
                else "The connection to OpenTrain broke before it answered.",
                code="CONNECTION_FAILED",
                ambiguous=sent and method != "GET",
            ) from None

        body = _parse(response) if response.is_success else None
        request_id = None
        if not response.is_success:
            error = _error_from(response, method)
            request_id = error.request_id
        _log(method, path, response.status_code, started, request_id)

        if response.is_success:
            if not isinstance(body, dict):
                raise OpenTrainError(
                    "OpenTrain answered with something that is not JSON.",
                    status=response.status_code,
                    code="BAD_RESPONSE",
                    ambiguous=method != "GET",
                )
            return _Reply(body, response.status_code, response.content)

        retryable = response.status_code in RETRY_STATUSES or (
            response.status_code == 429 and (error.retry_after or 0) <= RETRY_AFTER_CAP
        )
        if method == "GET" and attempt < attempts and retryable:
            wait = error.retry_after if error.retry_after is not None else BACKOFF[attempt - 1]
            time.sleep(min(wait, RETRY_AFTER_CAP))
            continue
        raise error
    raise AssertionError("unreachable")  # pragma: no cover


def _log(method: str, path: str, status: Any, started: float, request_id: str | None) -> None:
    logger.info(
        "opentrain %s %s -> %s in %.0f ms%s",
        method,
        path,
        status,
        (time.monotonic() - started) * 1000,
        f" requestId={request_id}" if request_id else "",
    )


# --- endpoints -------------------------------------------------------------------------------


def get_me(token: str) -> Me:
    """Who the token belongs to and what it may do.

    # Reference: https://www.opentrain.ai/docs/developers/api-reference/auth/me/
    """
    body = _request("GET", "/auth/me", token).body
    return Me.from_api(body)


def get_capabilities(token: str) -> dict[str, bool]:
    """The account's feature switches (`paymentsWrite`, ...), as a map of booleans.

    # Reference: https://www.opentrain.ai/docs/developers/api-reference/job-drafts/capabilities/
    """
    body = _request("GET", "/job-drafts/capabilities", token).body
    caps = _dict(body.get("capabilities"))
    return {str(k): bool(v) for k, v in caps.items()}


def list_contracts(
    token: str, *, status: str | None = None, job_id: str | None = None
) -> list[Contract]:
    """Every contract on the account, newest first, each with its milestones.

    # Reference: https://www.opentrain.ai/docs/developers/api-reference/contracts/list/
    """
    params = {k: v for k, v in (("status", status), ("jobId", job_id)) if v}
    path = "/contracts" + (("?" + httpx.QueryParams(params).__str__()) if params else "")
    body = _request("GET", path, token).body
    return _contracts_from(body)


def list_contracts_raw(token: str) -> tuple[list[Contract], bytes]:
    """Like `list_contracts()` (no filters), plus the JSON as received, compact for a cache.

    # Reference: https://www.opentrain.ai/docs/developers/api-reference/contracts/list/
    """
    reply = _request("GET", "/contracts", token)
    return _contracts_from(reply.body), reply.raw


def parse_contracts(raw: bytes) -> list[Contract]:
    """The contracts in a body that `list_contracts_raw()` returned earlier."""
    return _contracts_from(_parse_body(raw))


def _contracts_from(body: Any) -> list[Contract]:
    contracts = body.get("contracts") if isinstance(body, dict) else None
    return [
        Contract.from_api(c)
        for c in (contracts if isinstance(contracts, list) else [])
        if isinstance(c, dict)
    ]


def get_contract(token: str, contract_id: str) -> Contract:
    """One contract with its milestones and budget.

    # Reference: https://www.opentrain.ai/docs/developers/api-reference/contracts/get/
    """
    body = _request("GET", _path("/contracts/{}", contract_id), token).body
    return Contract.from_api(body.get("contract"))


def create_milestone(
    token: str,
    contract_id: str,
    *,
    description: str,
    name: str | None = None,
    amount_usd: Decimal | None = None,
    volume: Decimal | None = None,
    due_date: str | None = None,
) -> Milestone:
    """Add an unfunded milestone to an active contract. Never retried: it has no idempotency key.

    # Reference: https://www.opentrain.ai/docs/developers/api-reference/contracts/create-milestone/
    """
    payload = milestone_payload(
        description=description, name=name, amount_usd=amount_usd, volume=volume, due_date=due_date
    )
    body = _request("POST", _path("/contracts/{}/milestones", contract_id), token, payload).body
    return Milestone.from_api(body.get("milestone"))


def milestone_payload(
    *,
    description: str,
    name: str | None = None,
    amount_usd: Decimal | None = None,
    volume: Decimal | None = None,
    due_date: str | None = None,
) -> dict:
    """The JSON body for a milestone: only the fields that have values. Numbers stay exact."""
    payload: dict[str, Any] = {"description": description}
    if name:
        payload["name"] = name
    if amount_usd is not None:
        payload["amountUsd"] = _json_number(amount_usd)
    if volume is not None:
        payload["volume"] = _json_number(volume)
    if due_date:
        payload["dueDate"] = due_date
    return payload


def _json_number(value: Decimal) -> int | float:
    # JSON has no decimal type. Integers go as integers; 2-decimal amounts survive float exactly
    # in their shortest repr (0.21 -> "0.21"), which is what json.dumps writes.
    if value == value.to_integral_value():
        return int(value)
    return float(value)


def _handoff(body: dict) -> Handoff:
    approval = body.get("approval")
    return Handoff(
        approval=Approval.from_api(approval) if isinstance(approval, dict) else None,
        message=_str(body.get("message")),
        done=bool(body.get("ok")),
    )


def fund_milestone(token: str, milestone_id: str) -> Handoff:
    """Ask for a milestone to be funded; answers 202 with a pending approval a human confirms.

    # Reference: https://www.opentrain.ai/docs/developers/api-reference/milestones/fund/
    """
    body = _request("POST", _path("/milestones/{}/fund", milestone_id), token).body
    return _handoff(body)


def approve_milestone(token: str, milestone_id: str) -> Handoff:
    """Ask for a funded milestone's payout to be released (202, a human confirms).

    # Reference: https://www.opentrain.ai/docs/developers/api-reference/milestones/approve/
    """
    body = _request("POST", _path("/milestones/{}/approve", milestone_id), token).body
    return _handoff(body)


def end_contract(token: str, contract_id: str) -> Handoff:
    """End a contract: 200 ends it at once; 202 when funded milestones need a human to confirm.

    # Reference: https://www.opentrain.ai/docs/developers/api-reference/contracts/end/
    """
    body = _request("POST", _path("/contracts/{}/end", contract_id), token).body
    return _handoff(body)


def get_approval(token: str, approval_id: str) -> Approval:
    """The current state of an approval (`pending`, `confirmed`, `declined`, `expired`, ...).

    # Reference: https://www.opentrain.ai/docs/developers/api-reference/approvals/get/
    """
    body = _request("GET", _path("/approvals/{}", approval_id), token).body
    return Approval.from_api(body.get("approval"))


@dataclass
class SandboxAccount:
    key: str
    label: str
    description: str
    token: str = field(repr=False)


def list_sandbox_accounts() -> list[SandboxAccount]:
    """The demo accounts of the project's own sandbox (the real API has no such endpoint).

    # Reference: dashboard/sandbox (the sandbox's `_sandbox/accounts` endpoint)
    """
    body = _request("GET", "/_sandbox/accounts", "").body
    accounts = body.get("accounts")
    return [
        SandboxAccount(
            key=_str(a.get("key")),
            label=_str(a.get("label")),
            description=_str(a.get("description")),
            token=_str(a.get("token")),
        )
        for a in (accounts if isinstance(accounts, list) else [])
        if isinstance(a, dict)
    ]
