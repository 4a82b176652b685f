"""Can this token create milestones? Probed by the sync worker, stored on the mirror account, and
shown as a hint above the form before the PM types (only a hint: OpenTrain's answer decides).

No HTTP here: everything upstream goes through `dashboard.opentrain`.
"""

from __future__ import annotations

from dataclasses import asdict, fields

from dashboard import opentrain
from dashboard.opentrain import OpenTrainError
from dashboard.opentrain.problems import Problem, explain


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
