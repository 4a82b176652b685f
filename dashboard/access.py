"""Can this token create milestones? Known before the PM types, as a hint shown above the form.

No HTTP here: everything upstream goes through `dashboard.opentrain`.
"""

from __future__ import annotations

from dataclasses import asdict, fields

from django.core.cache import cache

from dashboard import opentrain, services
from dashboard.opentrain import OpenTrainError
from dashboard.opentrain.problems import Problem, explain

ACCESS_CACHE_SECONDS = 300


def write_access_problem(token: str) -> Problem | None:
    """Why the token cannot create milestones, known before the PM types; None when it can.

    From `GET /auth/me` scopes and, when it answers, `GET /job-drafts/capabilities`; cached a few
    minutes per token. Only a hint: OpenTrain's answer to the submission still decides.
    """
    key = f"write-access:{services.token_fingerprint(token)}"
    cached = cache.get(key)
    if cached is not None:
        return cached or None
    try:
        me = opentrain.get_me(token)
    except OpenTrainError as error:
        if error.status != 401:
            return None  # unknown: do not guess, and ask again next time
        problem = explain(error)
    else:
        problem = _access_problem(token, me)
    cache.set(key, problem or False, ACCESS_CACHE_SECONDS)
    return problem


def _access_problem(token: str, me: opentrain.Me) -> Problem | None:
    if not me.has_scope("payments:write"):
        return explain(
            OpenTrainError("", status=403, details={"requiredScopes": ["payments:write"]})
        )
    try:
        capabilities = opentrain.get_capabilities(token)
    except OpenTrainError:
        return None  # the probe is behind its own feature flag and may be refused: ignore it
    if capabilities.get("paymentsWrite") is False:
        return explain(
            OpenTrainError("", status=403, details={"featureKey": "public_api_payments_write"})
        )
    return None


def probe(token: str) -> dict:
    """What the sync worker stores about the token's write access (JSON), for `stored_problem`."""
    try:
        me = opentrain.get_me(token)
    except OpenTrainError as error:
        if error.status != 401:
            raise
        problem = explain(error)
    else:
        problem = _access_problem(token, me)
    return {"problem": asdict(problem) if problem else None}


def stored_problem(access: dict) -> Problem | None:
    """The write-access problem the worker last stored for an account (no upstream call)."""
    data = (access or {}).get("problem")
    if not isinstance(data, dict):
        return None
    known = {f.name for f in fields(Problem)}
    return Problem(**{k: v for k, v in data.items() if k in known})
