"""OpenTrain failures in words a project manager understands.

`explain(error)` turns any `OpenTrainError` into a `Problem`: a title, what happened and what to
do, the link a human must open (only when it is an allowed link), and the `requestId` for support.
"""

from __future__ import annotations

from dataclasses import dataclass

from dashboard import links
from dashboard.opentrain.errors import OpenTrainError

# The API's field names, mapped to the dashboard form's field names.
FORM_FIELDS = {
    "description": "description",
    "name": "name",
    "amountUsd": "amount_usd",
    "volume": "volume",
    "dueDate": "due_date",
}


@dataclass(frozen=True)
class Problem:
    kind: str
    title: str
    message: str
    request_id: str | None = None
    link_url: str = ""
    link_label: str = ""
    raw_url: str = ""  # a URL from the response that is not allowed as a link, shown as text
    field: str = ""  # the form field to attach the message to, when the API named one
    retry_after: int | None = None
    # For whoever runs the dashboard (settings, variable names), shown behind a disclosure.
    detail: str = ""
    # Said only beside a form the PM filled in ("Nothing you typed was lost."), never on a page
    # that shows the problem instead of a form.
    typed: str = ""

    @property
    def has_link(self) -> bool:
        return bool(self.link_url)

    @property
    def can_retry(self) -> bool:
        """Whether sending the same request again may succeed without an administrator or
        OpenTrain changing something first."""
        return self.kind not in NO_RETRY


# What a form page adds when the PM's typing is still in the form.
TYPED_KEPT = "Nothing you typed was lost."
# Refusals a second try gets too: the token, its scopes, a switched-off feature, an ended or
# missing contract.
NO_RETRY = frozenset({"auth", "scope", "feature", "contract_ended", "not_found"})


def _link(url: object, label: str) -> dict:
    url = url if isinstance(url, str) else ""
    if url and links.is_allowed(url):
        return {"link_url": url, "link_label": label}
    return {"raw_url": url}


def explain(error: OpenTrainError) -> Problem:
    status, reason, rid = error.status, error.reason, error.request_id
    details = error.details

    if error.ambiguous:
        return Problem(
            "ambiguous",
            "OpenTrain did not confirm the request",
            "The request was sent but no answer came back, so we cannot tell whether it took "
            "effect. Nothing you typed was lost.",
            rid,
        )
    if error.is_transport:
        return Problem(
            "unavailable",
            "OpenTrain is not answering properly",
            f"{error.message} Nothing was changed and nothing you typed was lost. "
            "Try again in a minute.",
            rid,
        )
    if status == 400:
        field = FORM_FIELDS.get(error.field, "")
        return Problem(
            "invalid",
            "OpenTrain did not accept the request",
            error.message or "OpenTrain rejected one of the values.",
            rid,
            field=field,
        )
    if status == 401:
        return Problem(
            "auth",
            "The dashboard's OpenTrain token does not work",
            "OpenTrain says the token is missing, invalid, expired or revoked. An administrator "
            "must set a valid personal API token in the OT_API_TOKEN setting and restart the "
            "dashboard.",
            rid,
        )
    if status == 403 and reason == "account_claim_required":
        return Problem(
            "claim",
            "A human must claim this OpenTrain account first",
            "This OpenTrain account was created by an agent and has not been claimed by a person "
            "yet. Open the claim link, sign in to OpenTrain and claim the account, then come back "
            "and submit again.",
            rid,
            typed=TYPED_KEPT,
            **_link(details.get("claimUrl"), "Claim the OpenTrain account"),
        )
    if status == 403 and (details.get("featureKey") or details.get("mode")):
        return Problem(
            "feature",
            "Payments through the API are switched off for this account",
            "OpenTrain has the feature "
            f"“{details.get('featureKey') or 'public_api_payments_write'}” "
            "turned off for this account. The account owner must ask OpenTrain support to enable "
            "it; until then, milestones and payments can only be managed in the OpenTrain app.",
            rid,
        )
    if status == 403:
        scopes = details.get("requiredScopes")
        named = ", ".join(str(s) for s in scopes) if isinstance(scopes, list) and scopes else ""
        needed = named or "payments:write"
        said = f"OpenTrain said: {error.message} " if error.message and not named else ""
        return Problem(
            "scope",
            "The dashboard's token is not allowed to do this",
            "This dashboard's OpenTrain key may only read; ask whoever set it up for a key with "
            f"{needed}.",
            rid,
            detail=f"{said}The OpenTrain account owner creates a token with the {needed} scope "
            "(Settings → API keys in the OpenTrain app); the operator puts it in OT_API_TOKEN "
            "and restarts the dashboard.",
        )
    if status == 404:
        return Problem(
            "not_found",
            "Not found on this OpenTrain account",
            "OpenTrain has no such contract, milestone or approval on this account. It may have "
            "been removed, or it belongs to another account.",
            rid,
        )
    if status == 409:
        return _conflict(error)
    if status == 429:
        when = (
            f"Try again in {error.retry_after} seconds."
            if error.retry_after is not None
            else "Try again in a minute."
        )
        return Problem(
            "rate_limited",
            "OpenTrain is rate limiting the dashboard",
            f"Too many requests reached OpenTrain in a short time. {when} Nothing was lost.",
            rid,
            retry_after=error.retry_after,
        )
    return Problem(
        "unknown",
        "OpenTrain refused the request",
        error.message or f"OpenTrain answered {status}.",
        rid,
    )


def _conflict(error: OpenTrainError) -> Problem:
    reason, rid, details = error.reason, error.request_id, error.details
    if reason == "contract_ended":
        return Problem(
            "contract_ended",
            "This contract has ended",
            "OpenTrain no longer accepts changes to an ended contract. Start a new contract with "
            "the AI trainer in OpenTrain if more work is needed.",
            rid,
        )
    if reason == "contract_rate_missing":
        return Problem(
            "contract_rate_missing",
            "This contract has no rate",
            "OpenTrain cannot price a milestone on a contract without an hourly or per-label rate. "
            "Set the rate on the contract in the OpenTrain app, then try again.",
            rid,
        )
    if reason == "milestone_not_fundable":
        return Problem(
            "milestone_not_fundable",
            "This milestone cannot be funded",
            "Only a milestone that is not funded yet, on an active contract, can be funded. It may "
            "already be funded, paid or cancelled: refresh the contract to see its status.",
            rid,
        )
    if reason == "payment_method_required":
        return Problem(
            "payment_method_required",
            "Add a payment method first",
            "OpenTrain needs a card or a credit balance on file before a milestone can be funded. "
            "Open the billing settings, add a payment method, then request funding again.",
            rid,
            **_link(details.get("billingUrl"), "Open billing settings"),
        )
    if reason == "milestone_not_funded":
        return Problem(
            "milestone_not_funded",
            "Fund this milestone first",
            "A payout can only be released for a funded milestone. Request funding, have it "
            "confirmed, then request the payout.",
            rid,
        )
    return Problem(
        "conflict",
        "OpenTrain refused the request in the contract's current state",
        error.message or "The contract or milestone is not in a state that allows this.",
        rid,
    )
