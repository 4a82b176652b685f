"""The OpenTrain Public API, one plain function an endpoint.

Each takes the caller's token, sends one request through `transport`, and answers a result
dataclass or raises `OpenTrainError`. IDs are percent-encoded into paths.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import quote, urlencode

import httpx

from dashboard.opentrain.results import (
    Approval,
    Contract,
    Event,
    Handoff,
    Me,
    Milestone,
    UpdatesPage,
    contracts_from,
)
from dashboard.opentrain.transport import parse_json, request, success_body

# No contract has this ID: `check_claim` posts to it so that nothing can be created.
CLAIM_CHECK_CONTRACT = "dashboard-claim-check"


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


def get_me(token: str) -> Me:
    """Who the token belongs to and what it may do.

    # Reference: https://www.opentrain.ai/docs/developers/api-reference/auth/me/
    """
    body = request("GET", "/auth/me", token).body
    return Me.from_api(body)


def get_capabilities(token: str) -> dict[str, bool]:
    """The account's feature switches (`paymentsWrite`, ...), as a map of booleans.

    # Reference: https://www.opentrain.ai/docs/developers/api-reference/job-drafts/capabilities/
    """
    body = request("GET", "/job-drafts/capabilities", token).body
    caps = body.get("capabilities")
    if not isinstance(caps, dict):
        caps = {}
    return {str(k): bool(v) for k, v in caps.items()}


def list_contracts(
    token: str, *, status: str | None = None, job_id: str | None = None
) -> list[Contract]:
    """Every contract on the account, newest first, each with its milestones.

    # Reference: https://www.opentrain.ai/docs/developers/api-reference/contracts/list/
    """
    params = {k: v for k, v in (("status", status), ("jobId", job_id)) if v}
    path = "/contracts" + (f"?{httpx.QueryParams(params)}" if params else "")
    body = request("GET", path, token).body
    return contracts_from(body)


def list_contracts_raw(token: str) -> tuple[list[Contract], bytes]:
    """Like `list_contracts()` (no filters), plus the JSON as received, compact for a cache.

    # Reference: https://www.opentrain.ai/docs/developers/api-reference/contracts/list/
    """
    reply = request("GET", "/contracts", token)
    return contracts_from(reply.body), reply.raw


def parse_contracts(raw: bytes) -> list[Contract]:
    """The contracts in a body that `list_contracts_raw()` returned earlier."""
    return contracts_from(parse_json(raw))


def get_contract(token: str, contract_id: str) -> Contract:
    """One contract with its milestones and budget.

    # Reference: https://www.opentrain.ai/docs/developers/api-reference/contracts/get/
    """
    body = request("GET", _path("/contracts/{}", contract_id), token).body
    return Contract.from_api(body.get("contract"))


def get_contract_raw(token: str, contract_id: str) -> bytes:
    """`get_contract()`'s answer as received, unparsed: a reader that hands answers to another
    process leaves the parsing to it (`parse_contract`)."""
    return request("GET", _path("/contracts/{}", contract_id), token, parse=False).raw


def parse_contract(raw: bytes) -> Contract:
    """The contract in an answer that `get_contract_raw()` returned; BAD_RESPONSE when the answer
    is not JSON."""
    return Contract.from_api(success_body(raw).get("contract"))


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
    body = request("POST", _path("/contracts/{}/milestones", contract_id), token, payload).body
    return Milestone.from_api(body.get("milestone"))


def check_claim(token: str) -> None:
    """Ask whether milestone writes need a claim, without being able to create anything: an
    empty body (no description) to a contract no account has. OpenTrain checks the claim before
    the contract and the body, so an unclaimed account gets its 403 with the claim link; any
    other account a 404 or a 400. Raises that OpenTrainError.

    # Reference: https://www.opentrain.ai/docs/developers/api-reference/contracts/create-milestone/
    """
    request("POST", _path("/contracts/{}/milestones", CLAIM_CHECK_CONTRACT), token, {})


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


def fund_milestone(token: str, milestone_id: str) -> Handoff:
    """Ask for a milestone to be funded; answers 202 with a pending approval a human confirms.

    # Reference: https://www.opentrain.ai/docs/developers/api-reference/milestones/fund/
    """
    body = request("POST", _path("/milestones/{}/fund", milestone_id), token).body
    return Handoff.from_api(body)


def approve_milestone(token: str, milestone_id: str) -> Handoff:
    """Ask for a funded milestone's payout to be released (202, a human confirms).

    # Reference: https://www.opentrain.ai/docs/developers/api-reference/milestones/approve/
    """
    body = request("POST", _path("/milestones/{}/approve", milestone_id), token).body
    return Handoff.from_api(body)


def end_contract(token: str, contract_id: str) -> Handoff:
    """End a contract: 200 ends it at once; 202 when funded milestones need a human to confirm.

    # Reference: https://www.opentrain.ai/docs/developers/api-reference/contracts/end/
    """
    body = request("POST", _path("/contracts/{}/end", contract_id), token).body
    return Handoff.from_api(body)


def get_approval(token: str, approval_id: str) -> Approval:
    """The current state of an approval (`pending`, `confirmed`, `declined`, `expired`, ...).

    # Reference: https://www.opentrain.ai/docs/developers/api-reference/approvals/get/
    """
    body = request("GET", _path("/approvals/{}", approval_id), token).body
    return Approval.from_api(body.get("approval"))


def list_updates(token: str, *, cursor: str | None = None, limit: int = 200) -> UpdatesPage:
    """One page of the account's event feed, oldest first; pass `next_cursor` back as `cursor`.

    # Reference: https://www.opentrain.ai/docs/developers/api-reference/updates/poll/
    """
    query = {"limit": str(limit)} | ({"cursor": cursor} if cursor else {})
    body = request("GET", "/updates?" + urlencode(query), token).body
    # The array's key is not on the pages we could read: `events`, else `updates` or `data`.
    records = next(
        (body[k] for k in ("events", "updates", "data") if isinstance(body.get(k), list)), []
    )
    return UpdatesPage(
        events=[Event.from_api(r) for r in records if isinstance(r, dict)],
        # Keep the cursor we had when a page carries none (an empty page).
        next_cursor=str(body.get("nextCursor") or cursor or ""),
        has_more=bool(body.get("hasMore")),
    )


def list_pending_payments(token: str) -> list[dict]:
    """Invoices waiting on the account (funding or payout), as OpenTrain sends them.

    # Reference: https://www.opentrain.ai/docs/developers/api-reference/payments/pending/
    """
    payments = request("GET", "/payments/pending", token).body.get("payments")
    return [p for p in payments if isinstance(p, dict)] if isinstance(payments, list) else []


def create_webhook(token: str, url: str, event_types: list[str]) -> tuple[dict, str]:
    """Subscribe `url` to events; answers the webhook and its `whsec_` secret, shown only once.

    # Reference: https://www.opentrain.ai/docs/developers/api-reference/webhooks/create/
    """
    body = request("POST", "/webhooks", token, {"url": url, "eventTypes": event_types}).body
    webhook = body.get("webhook") if isinstance(body.get("webhook"), dict) else {}
    return webhook, str(body.get("secret") or "")


def list_webhooks(token: str) -> list[dict]:
    """The account's webhook subscriptions (without secrets).

    # Reference: https://www.opentrain.ai/docs/developers/guides/stay-in-sync/
    """
    webhooks = request("GET", "/webhooks", token).body.get("webhooks")
    return [w for w in webhooks if isinstance(w, dict)] if isinstance(webhooks, list) else []


def delete_webhook(token: str, webhook_id: str) -> None:
    """Remove a subscription (204).

    # Reference: https://www.opentrain.ai/docs/developers/guides/stay-in-sync/
    """
    request("DELETE", _path("/webhooks/{}", webhook_id), token)
