"""What stands between this token and a write: probed by the sync worker, learned from writes,
stored on the mirror account, and read by every page (no upstream call) to disable the buttons a
setup problem blocks, with the reason beside them.

Two sources, kept apart in `Account.access`:
- `problems`: what the worker's probe read (`GET /auth/me`, the capabilities probe): the token,
  its scopes, the payments feature, and an account that is not claimed yet;
- `learned`: what OpenTrain refused a write with, that no read reveals (no payment method, and
  the claim link): kept until a write of that kind succeeds or a person asks to check again.

No HTTP here: everything upstream goes through `dashboard.opentrain`.
"""

from __future__ import annotations

from dataclasses import asdict, fields
from datetime import timedelta
from urllib.parse import urlsplit

from django.urls import Resolver404, resolve

from dashboard import opentrain
from dashboard.opentrain import OpenTrainError
from dashboard.opentrain.problems import Problem, explain

# The writes a page can offer, and which setup problems block each.
CREATE, FUND, APPROVE, END = "create", "fund", "approve", "end"
EVERY_WRITE = frozenset({CREATE, FUND, APPROVE, END})
BLOCKS = {
    "auth": EVERY_WRITE,
    "scope": EVERY_WRITE,
    "feature": EVERY_WRITE,
    "claim": EVERY_WRITE,
    "payment_method_required": frozenset({FUND}),
}
# Refusals worth remembering: no read tells them before a write is refused.
LEARNABLE = frozenset({"claim", "payment_method_required"})
# "Check again" asks OpenTrain at most this often an account, whoever asks: each costs calls
# against the account's rate limit.
RECHECK_EVERY = timedelta(seconds=10)
# Scopes only a claimed account's tokens carry (the docs' post-claim set, beyond the pre-claim).
POST_CLAIM_SCOPES = ("proposals:write", "messages:write", "team:write")


def _claim_problem(token: str, me: opentrain.Me, capabilities: dict) -> Problem | None:
    """An unclaimed account, as the docs say to read it: no post-claim scope on the token, and
    the claim-gated capabilities (hiring, messaging) off. A narrow token minted in the app on a
    claimed account lacks those scopes too, so the capabilities must agree."""
    if any(me.has_scope(s) for s in POST_CLAIM_SCOPES):
        return None
    if capabilities.get("hiring") is not False or capabilities.get("messagingWrites") is not False:
        return None
    try:
        opentrain.check_claim(token)
    except OpenTrainError as error:
        if error.reason == "account_claim_required":
            return explain(error)  # with OpenTrain's claim link
    # Without the link OpenTrain gives with a refusal, the words still say what to do.
    return explain(OpenTrainError("", status=403, details={"reason": "account_claim_required"}))


def _probed_problems(token: str, me: opentrain.Me) -> list[Problem]:
    if not me.has_scope("payments:write"):
        return [
            explain(OpenTrainError("", status=403, details={"requiredScopes": ["payments:write"]}))
        ]
    try:
        capabilities = opentrain.get_capabilities(token)
    except OpenTrainError:
        return []  # the probe is behind its own feature flag and may be refused: ignore it
    problems = []
    if capabilities.get("paymentsWrite") is False:
        feature = {"featureKey": "public_api_payments_write"}
        problems.append(explain(OpenTrainError("", status=403, details=feature)))
    claim = _claim_problem(token, me, capabilities)
    return [*problems, claim] if claim else problems


def probe(token: str, previous: dict | None = None) -> dict:
    """What the sync worker stores about the token's write access (JSON): the probed problems,
    and what earlier writes learned (`previous`), less what the probe shows is solved."""
    try:
        me = opentrain.get_me(token)
    except OpenTrainError as error:
        if error.status != 401:
            raise
        problems = [explain(error)]
    else:
        problems = _probed_problems(token, me)
    learned = dict((previous or {}).get("learned") or {})
    if "claim" in learned and not any(p.kind == "claim" for p in problems):
        learned.pop("claim")  # claimed since: the probe no longer sees an unclaimed account
    return {"problems": [asdict(p) for p in problems], "learned": learned}


def recheck(account, token: str) -> list[Problem]:
    """Probe again now, forgetting what writes learned (the next refused write learns it again):
    for a person who just fixed a setup problem. Returns what still applies."""
    _save(account, probe(token))
    return stored_problems(account.access)


def learn(account, error: OpenTrainError) -> None:
    """Remember a write refusal that no read reveals (called by the write paths)."""
    problem = explain(error)
    if account is None or problem.kind not in LEARNABLE:
        return
    access = dict(account.access or {})
    access["learned"] = {**(access.get("learned") or {}), problem.kind: asdict(problem)}
    _save(account, access)


def succeeded(account, action: str) -> None:
    """A write of `action` went through: what it would have been refused for is solved."""
    if account is None:
        return
    learned = dict((account.access or {}).get("learned") or {})
    solved = {kind for kind in learned if action in BLOCKS.get(kind, ())}
    if solved:
        access = dict(account.access)
        access["learned"] = {k: v for k, v in learned.items() if k not in solved}
        access["problems"] = [p for p in access.get("problems", []) if p.get("kind") != "claim"]
        _save(account, access)


def _save(account, access: dict) -> None:
    # Only this field: the worker may be saving the rest of the row at the same moment.
    type(account).objects.filter(pk=account.pk).update(access=access)
    account.access = access


def stored_problems(access: dict) -> list[Problem]:
    """Every setup problem the worker or a write last stored for an account (no upstream call):
    each kind once, a learned one (which carries OpenTrain's link) before a probed one."""
    access = access or {}
    raw = list((access.get("learned") or {}).values()) + list(access.get("problems") or [])
    if isinstance(access.get("problem"), dict):  # stored before the list existed
        raw.append(access["problem"])
    known = {f.name for f in fields(Problem)}
    problems: dict[str, Problem] = {}
    for data in raw:
        if isinstance(data, dict) and data.get("kind") and data["kind"] not in problems:
            problems[data["kind"]] = Problem(**{k: v for k, v in data.items() if k in known})
    return list(problems.values())


def blocking(access: dict, action: str) -> Problem | None:
    """The stored setup problem that keeps `action` from succeeding, if any."""
    return next((p for p in stored_problems(access) if action in BLOCKS.get(p.kind, ())), None)


class Blocks:
    """Per request: which writes a setup problem blocks, read once from the stored access.
    `blocks.fund` is the Problem that blocks funding, or None (templates read it that way)."""

    def __init__(self, access: dict | None):
        self._access = access or {}
        self._cache: dict[str, Problem | None] = {}
        self._problems = stored_problems(self._access)

    def for_url(self, url: str) -> Problem | None:
        """What blocks the write a dashboard link starts, if anything."""
        if not self._problems:
            return None  # nothing to find: no need to know which write the link starts
        action = action_of(url)
        return getattr(self, action) if action else None

    def __getattr__(self, action: str) -> Problem | None:
        if action.startswith("_") or action not in EVERY_WRITE:
            raise AttributeError(action)
        if action not in self._cache:
            self._cache[action] = blocking(self._access, action)
        return self._cache[action]


# The dashboard's URL names of the write pages, by the action each starts.
ACTION_BY_URL_NAME = {
    "milestone_create": CREATE,
    "milestone_new": CREATE,
    "batch_import": CREATE,
    "milestone_fund": FUND,
    "milestone_approve": APPROVE,
    "contract_end": END,
}


def action_of(url: str) -> str | None:
    """Which write a dashboard link starts ("fund" for a funding page, ...), or None."""
    try:
        match = resolve(urlsplit(url or "").path)
    except Resolver404:
        return None
    return ACTION_BY_URL_NAME.get(match.url_name)


def blocks_for(account) -> Blocks:
    return Blocks(account.access if account is not None else None)
