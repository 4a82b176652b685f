"""Milestone submissions: exactly one OpenTrain call per one-time key, recorded in the database.

The unique `Submission.key` is the guard. The request that inserts the row calls OpenTrain, once;
any other request with the same key (double click, browser resubmit) waits briefly and shows the
first outcome. When OpenTrain's answer is lost (timeout, dropped connection, 5xx), the contract is
re-read: a matching new milestone means the submission was created; otherwise the outcome is
unknown, and the next attempt for the same milestone re-reads the contract before sending again.

No HTTP here: everything upstream goes through `dashboard.opentrain`.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from datetime import timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from dashboard import opentrain
from dashboard.models import Submission
from dashboard.opentrain import OpenTrainError
from dashboard.opentrain.problems import Problem, explain
from dashboard.opentrain.vocabulary import parse_timestamp

logger = logging.getLogger("dashboard.submissions")

WAIT_FOR_PENDING = 4.0  # seconds a duplicate request waits for the first one to finish
POLL_INTERVAL = 0.2
# OpenTrain's clock and ours may disagree a little when matching a milestone's createdAt.
CLOCK_SKEW = timedelta(minutes=2)
UNKNOWN_LOOKBACK = timedelta(days=1)
# A write that timed out may still be running at OpenTrain and land later, where a re-read cannot
# see it yet: for this long after such an attempt, the same milestone is not sent again.
IN_FLIGHT = timedelta(seconds=60)

State = Submission.State


@dataclass(frozen=True)
class Outcome:
    submission: Submission
    error: OpenTrainError | None = None
    replayed: bool = False  # another request (or an earlier, unclear one) owns the result

    @property
    def created(self) -> bool:
        return self.submission.state == State.CREATED

    @property
    def pending(self) -> bool:
        return self.submission.state == State.PENDING

    @property
    def problem(self) -> Problem | None:
        if self.error is not None and self.submission.state == State.FAILED:
            return explain(self.error)  # fresh: keeps Retry-After, which is not stored
        return problem_for(self.submission)


def submit(*, key, user, token: str, contract: opentrain.Contract, fields: dict) -> Outcome:
    """Create the milestone once for `key`, or report what the first request with `key` got.

    Raises OpenTrainError only when an earlier unclear submission of the same milestone could
    not be checked; nothing is sent then.
    """
    existing = Submission.objects.filter(key=key).first()
    if existing is not None:
        return Outcome(_wait_for(existing), replayed=True)

    payload = opentrain.milestone_payload(**fields)
    # A worker that stopped mid-call left its submission "sending": now it counts as unknown,
    # so the check below re-reads the contract before this milestone is sent again.
    Submission.objects.settle_abandoned()
    earlier = _settle_unknown(token, contract.id, payload)
    if earlier is not None:
        return Outcome(earlier, replayed=True)

    try:
        with transaction.atomic():
            submission = Submission.objects.create(
                key=key,
                user=user,
                contract_id=contract.id,
                contract_title=contract.title,
                payment_type=contract.payment_type,
                payload=payload,
                retry_of=_failed_before(contract.id, payload),
            )
    except IntegrityError:
        # Another request inserted this key between our check and our insert: it owns the call.
        return Outcome(_wait_for(Submission.objects.get(key=key)), replayed=True)

    try:
        milestone = opentrain.create_milestone(token, contract.id, **fields)
    except OpenTrainError as error:
        submission.record_error(error)
        if error.ambiguous:
            _reconcile(submission, token)
        else:
            submission.finish(State.FAILED)
        return Outcome(submission, error=error)
    except BaseException:
        # A bug or a worker shutdown mid-call: the milestone may or may not exist.
        submission.finish(State.UNKNOWN)
        raise
    submission.adopt(milestone)
    return Outcome(submission)


def _failed_before(contract_id: str, payload: dict) -> Submission | None:
    """The latest earlier attempt at this same milestone that did not create it: the one a new
    attempt ("Submit again") retries."""
    since = timezone.now() - UNKNOWN_LOOKBACK
    earlier = Submission.objects.filter(
        contract_id=contract_id, state__in=(State.FAILED, State.UNKNOWN), created_at__gte=since
    ).order_by("-created_at", "-id")
    return next((s for s in earlier if s.payload == payload), None)


def _wait_for(submission: Submission) -> Submission:
    deadline = time.monotonic() + WAIT_FOR_PENDING
    while submission.state == State.PENDING and time.monotonic() < deadline:
        time.sleep(POLL_INTERVAL)
        submission.refresh_from_db()
    if submission.state == State.PENDING and Submission.objects.settle_abandoned():
        submission.refresh_from_db()
    return submission


# --- unclear outcomes ------------------------------------------------------------------------


def _reconcile(submission: Submission, token: str) -> None:
    """After a lost answer, look for the milestone on the contract; else the outcome is unknown."""
    try:
        contract = opentrain.get_contract(token, submission.contract_id)
    except OpenTrainError:
        submission.finish(State.UNKNOWN, recheck="unreadable")
        return
    match = _find_match(submission, contract)
    if match is not None:
        logger.info(
            "submission %s: milestone %s found after a lost answer", submission.key, match.id
        )
        submission.adopt(match)
        return
    submission.finish(State.UNKNOWN, recheck="no_match")


def _settle_unknown(token: str, contract_id: str, payload: dict) -> Submission | None:
    """Before sending a milestone again, check whether an earlier unclear attempt created it."""
    since = timezone.now() - UNKNOWN_LOOKBACK
    unknown = [
        s
        for s in Submission.objects.filter(
            contract_id=contract_id, state=State.UNKNOWN, created_at__gte=since
        ).order_by("created_at")
        if s.payload == payload
    ]
    if not unknown:
        return None
    contract = opentrain.get_contract(token, contract_id)
    for submission in unknown:
        match = _find_match(submission, contract)
        if match is not None:
            submission.adopt(match)
            return submission
    in_flight = [s for s in unknown if _may_still_land(s)]
    return in_flight[-1] if in_flight else None


def _may_still_land(submission: Submission) -> bool:
    return submission.error_code == "TIMEOUT" and submission.created_at > timezone.now() - IN_FLIGHT


def _find_match(submission: Submission, contract: opentrain.Contract) -> opentrain.Milestone | None:
    """The contract's milestone this submission created: same values, new, and not claimed."""
    claimed = set(
        Submission.objects.filter(contract_id=submission.contract_id, state=State.CREATED)
        .exclude(pk=submission.pk)
        .values_list("milestone_id", flat=True)
    )
    candidates = [
        m
        for m in contract.milestones
        if m.id not in claimed
        and _same_values(m, submission.payload)
        and _created_since(m, submission.created_at - CLOCK_SKEW)
    ]
    return min(candidates, key=lambda m: (m.created_at, m.number or 0), default=None)


def _same_values(milestone: opentrain.Milestone, payload: dict) -> bool:
    if milestone.description.strip() != str(payload.get("description", "")).strip():
        return False
    if milestone.name.strip() != str(payload.get("name") or "").strip():
        return False
    for key, value in (("amountUsd", milestone.amount_usd), ("volume", milestone.volume)):
        if key in payload and value != Decimal(str(payload[key])):
            return False
    return "dueDate" not in payload or milestone.due_date[:10] == payload["dueDate"]


def _created_since(milestone: opentrain.Milestone, since) -> bool:
    created = parse_timestamp(milestone.created_at)
    # Without a readable timestamp, the values and the "not claimed" rule decide.
    return created is None or created >= since


# --- what the PM is told ---------------------------------------------------------------------


def problem_for(submission: Submission) -> Problem | None:
    """The stored outcome of a failed or unclear submission, in words."""
    if submission.state == State.FAILED:
        return explain(
            OpenTrainError(
                submission.error_message,
                status=submission.error_status,
                code=submission.error_code,
                request_id=submission.request_id or None,
                details=submission.error_details,
            )
        )
    if submission.state != State.UNKNOWN:
        return None
    said = f"OpenTrain did not confirm the milestone: {submission.error_message}".rstrip()
    if submission.error_details.get("recheck") == "no_match":
        after = (
            "The dashboard then re-read the contract and it shows no new milestone matching this "
            "one, so it was most likely not created. Submitting again is safe: the form has a new "
            "key, and the dashboard checks the contract once more before sending."
        )
        if _may_still_land(submission):
            after += (
                " A request that timed out can still be carried out a little later, so for a "
                "minute the dashboard does not send this milestone again."
            )
    elif submission.error_details.get("recheck") == "abandoned":
        after = (
            "Look at the contract before submitting again; if you do, the dashboard checks the "
            "contract first and does not send the milestone again if this attempt created it."
        )
    else:
        after = (
            "The dashboard could not re-read the contract to check. Look at the contract before "
            "submitting again; if you do, the dashboard checks the contract first and does not "
            "send the milestone again if this attempt turns out to have created it."
        )
    return Problem(
        "ambiguous",
        "The outcome is unknown",
        f"{said} {after} Nothing you typed was lost.",
        submission.request_id or None,
    )


def field_problem(problem: Problem, label: str) -> Problem:
    """The summary at the top of the form when the message itself stands next to a field."""
    return replace(problem, message=f"See the message next to “{label}” below.")
