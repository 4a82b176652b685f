"""Who is calling and what they may do: token (401), then scope, feature flag and claim (403).

Each check raises `ApiError`; endpoints call them before they look at the resource or the body.
"""

from __future__ import annotations

from django.urls import reverse

from ..models import Account, Token
from .envelope import ApiError, bearer

PAYMENTS_WRITE_FEATURE = "public_api_payments_write"
JOB_DRAFTING_FEATURE = "public_api_job_drafting"
WEBHOOKS_FEATURE = "public_api_webhooks"


def authenticate(request) -> Token:
    value = bearer(request)
    if not value:
        raise ApiError(401, "Missing bearer token. Send Authorization: Bearer ot_pat_...")
    token = Token.objects.select_related("account").filter(value=value).first()
    if token is None or not token.is_usable():
        raise ApiError(401, "Invalid, expired or revoked API token.")
    return token


def require_scope(token: Token, scope: str) -> None:
    if not token.has_scope(scope):
        raise ApiError(
            403,
            f"This token lacks the {scope} scope.",
            {"requiredScopes": [scope], "resource": scope.split(":")[0]},
        )


def require_job_drafting(account: Account) -> None:
    if not account.job_drafting_enabled:
        raise _feature_off(JOB_DRAFTING_FEATURE)


def require_webhooks(token: Token) -> Account:
    """Scope, then the feature flag: what every webhook subscription call needs."""
    require_scope(token, "webhooks:manage")
    if not token.account.webhooks_enabled:
        raise _feature_off(WEBHOOKS_FEATURE)
    return token.account


def require_payments_write(request, token: Token, action: str) -> Account:
    """Scope, then the feature flag, then the claim: what every milestone and money write needs."""
    require_scope(token, "payments:write")
    account = token.account
    if not account.payments_write_enabled:
        raise _feature_off(PAYMENTS_WRITE_FEATURE)
    if not account.claimed:
        raise ApiError(
            403,
            f"A human must claim this agent account before it can {action}.",
            {
                "reason": "account_claim_required",
                "action": action,
                "claimUrl": request.build_absolute_uri(
                    reverse("sandbox:claim", args=[account.claim_token])
                ),
            },
        )
    return account


def _feature_off(feature: str) -> ApiError:
    return ApiError(
        403,
        f"The {feature} feature is not enabled for this account.",
        {"featureKey": feature, "mode": "OFF"},
    )
