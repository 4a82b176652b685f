"""Milestone submissions: exactly one OpenTrain call per one-time key, recorded in the database.

The unique `Submission.key` is the guard against a double click or a browser resubmit: the request
that inserts the row calls OpenTrain, once; any other request with the same key waits briefly and
shows the first outcome. A new form (a new key) with the same milestone on the same contract is
held while an earlier attempt at it is unclear or was created in the last REPEAT_WINDOW: the PM
sees that attempt first and must confirm another (`repeat_of`).

When OpenTrain's answer is lost (timeout, dropped connection, 5xx), the contract is re-read: a
matching new milestone means the submission was created; otherwise the outcome is not known yet,
as a write that timed out can still be carried out later. The mirror settles it: every contract
the sync brings in is checked against the unclear submissions on it (`settle`), and a full
reconciliation a day later calls those it still cannot find not created (`conclude`).

No HTTP here: everything upstream goes through `dashboard.opentrain`.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from datetime import timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from dashboard import opentrain
from dashboard.models import Submission
from dashboard.opentrain import OpenTrainError
from dashboard.opentrain.problems import Problem, explain
from dashboard.opentrain.vocabulary import parse_timestamp
from dashboard.words import ago, money, volume_words

logger = logging.getLogger("dashboard.submissions")

WAIT_FOR_PENDING = 4.0  # seconds a duplicate request waits for the first one to finish
POLL_INTERVAL = 0.2
# OpenTrain's clock and ours may disagree a little when matching a milestone's createdAt.
CLOCK_SKEW = timedelta(minutes=2)
UNKNOWN_LOOKBACK = timedelta(days=1)
# How long an unclear attempt holds the same milestone (and is re-checked before one is sent):
# long past the day after which a full reconciliation settles it either way.
UNCLEAR_HOLDS = timedelta(days=7)
# The same milestone sent again this soon after it was created is held until the PM confirms it.
REPEAT_WINDOW = timedelta(minutes=10)
# An attempt unclear for this long goes to "Needs you"; the next full reconciliation after it
# calls it not created when the contract still shows no such milestone.
UNCLEAR_FOR_LONG = timedelta(hours=24)

State = Submission.State


@dataclass(frozen=True)
class Outcome:
    submission: Submission
    error: OpenTrainError | None = None
    replayed: bool = False  # another request (or an earlier, unclear one) owns the result
    held: bool = False  # not sent: `submission` is an earlier attempt at the same milestone

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


def submit(
    *, key, user, token: str, contract: opentrain.Contract, fields: dict, repeat_of: str = ""
) -> Outcome:
    """Create the milestone once for `key`, or report what the first request with `key` got.

    Before sending, earlier unclear attempts at the same milestone are checked on the contract
    (one that created it is the outcome). One still unclear, or one created in the last
    REPEAT_WINDOW, holds this one (`Outcome.held`, nothing sent) unless `repeat_of` names it:
    the PM saw it and asked for another.
    """
    existing = Submission.objects.filter(key=key).first()
    if existing is not None:
        return Outcome(_wait_for(existing), replayed=True)

    payload = opentrain.milestone_payload(**fields)
    # A worker that stopped mid-call left its submission "sending": now it counts as unclear,
    # so the checks below see it.
    Submission.objects.settle_abandoned()
    if not repeat_of:  # a PM who confirmed another has seen the earlier attempt
        try:
            earlier = _settle_unknown(token, contract.id, payload)
        except OpenTrainError:
            earlier = None  # not checked now: the hold below still shows the unclear attempt
        if earlier is not None:
            return Outcome(earlier, replayed=True)
    held = same_milestone(contract.id, payload)
    if held is not None and str(held.key) == str(key):
        # This very form, inserted by another request a moment ago (a double click on two
        # servers): that request owns the call.
        return Outcome(_wait_for(held), replayed=True)
    if held is not None and str(held.key) != str(repeat_of):
        return Outcome(held, held=True)

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


def same_milestone(contract_id: str, payload: dict) -> Submission | None:
    """The latest earlier attempt at this same milestone (the same values on the same contract)
    that is unclear or being sent, or that created it in the last REPEAT_WINDOW."""
    now = timezone.now()
    earlier = Submission.objects.filter(contract_id=contract_id).filter(
        Q(state__in=(State.UNKNOWN, State.PENDING), created_at__gte=now - UNCLEAR_HOLDS)
        | Q(state=State.CREATED, completed_at__gte=now - REPEAT_WINDOW)
    )
    return next((s for s in earlier.order_by("-created_at", "-id") if s.payload == payload), None)


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
    since = timezone.now() - UNCLEAR_HOLDS
    unknown = [
        s
        for s in Submission.objects.filter(
            contract_id=contract_id, state=State.UNKNOWN, created_at__gte=since
        ).order_by("created_at")
        if s.payload == payload
    ]
    if not unknown:
        return None
    return next(iter(settle([opentrain.get_contract(token, contract_id)])), None)


def settle(contracts: list[opentrain.Contract]) -> list[Submission]:
    """The unclear submissions on these contracts (as just read from OpenTrain) that one of
    their milestones shows were created: marked created, with that milestone. The sync calls
    this with every contract it brings in, so a write carried out after the dashboard gave up
    settles by itself."""
    by_id = {contract.id: contract for contract in contracts}
    unclear = Submission.objects.filter(state=State.UNKNOWN, contract_id__in=by_id)
    settled = []
    for submission in unclear.order_by("created_at", "id"):
        match = _find_match(submission, by_id[submission.contract_id])
        if match is not None:
            logger.info(
                "submission %s: milestone %s found on the contract later",
                submission.key,
                match.id,
            )
            submission.adopt(match)
            settled.append(submission)
    return settled


def watching() -> bool:
    """Whether a write's outcome is not known yet (and not yet a day old): the worker then
    reads the feed more often (`mirror.tasks.poll_seconds`)."""
    since = timezone.now() - UNCLEAR_FOR_LONG
    return Submission.objects.filter(state=State.UNKNOWN, created_at__gte=since).exists()


def unclear_for_long():
    """The submissions unclear for more than UNCLEAR_FOR_LONG, oldest first."""
    since = timezone.now() - UNCLEAR_FOR_LONG
    return Submission.objects.filter(state=State.UNKNOWN, created_at__lt=since).order_by(
        "created_at", "id"
    )


def conclude(contracts: list[opentrain.Contract]) -> list[Submission]:
    """After a full reconciliation (these contracts as OpenTrain has them now): the submissions
    unclear for more than UNCLEAR_FOR_LONG that none of their contract's milestones matches were
    not created, and are marked so."""
    settle(contracts)
    by_id = {contract.id: contract for contract in contracts}
    concluded = []
    for submission in unclear_for_long().filter(contract_id__in=by_id):
        logger.info("submission %s: not created (a day later, no such milestone)", submission.key)
        submission.finish(State.FAILED, recheck="not_created")
        concluded.append(submission)
    return concluded


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
    if (
        submission.state == State.FAILED
        and submission.error_details.get("recheck") == "not_created"
    ):
        return Problem(
            "not_created",
            "Not created",
            "OpenTrain did not confirm this milestone, and a day later a full re-read of the "
            "account found no such milestone on the contract: it was not created. Create it "
            "again if it is still needed.",
            submission.request_id or None,
        )
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
    recheck = submission.error_details.get("recheck")
    if recheck == "no_match":
        found = (
            "The contract, read again at once, does not show it yet, but a request that timed "
            "out can still be carried out later."
        )
    elif recheck == "abandoned":
        found = "The dashboard stopped before OpenTrain answered."
    else:
        found = "The dashboard could not read the contract again to check."
    return Problem(
        "ambiguous",
        "Not known yet whether the milestone was created",
        f"{said} {found} The dashboard watches this contract's milestones and OpenTrain's "
        "updates feed: when the milestone appears, this attempt is marked created here, on its "
        "page and in Activity. Meanwhile, look at the contract's milestones before sending it "
        "again: if you send the same milestone, the dashboard first shows you this attempt and "
        "asks you to confirm. Nothing you typed was lost.",
        submission.request_id or None,
    )


@dataclass(frozen=True)
class Hold:
    """Why a new submission was not sent: the earlier attempt at the same milestone, in words,
    with its page and the key that confirms another (`submit(repeat_of=...)`)."""

    title: str
    message: str
    key: str
    label: str  # the milestone's name (or its description's start)
    worth: str  # "$300.00", "40 hours", or ""


def named(submission: Submission) -> tuple[str, str]:
    """The milestone a submission sent, in words: its name (or its description's start), and
    what it is worth ("$300.00", "40 hours", or "")."""
    payload = submission.payload
    label = str(payload.get("name") or payload.get("description") or "this milestone")[:80]
    if payload.get("amountUsd") is not None:
        return label, money(payload["amountUsd"])
    if payload.get("volume") is not None:
        return label, volume_words(submission.payment_type, Decimal(str(payload["volume"])))
    return label, ""


def hold_for(earlier: Submission) -> Hold:
    label, worth = named(earlier)
    recent = timezone.now() - earlier.created_at < timedelta(minutes=1)
    ago_words = "a moment ago" if recent else f"{ago(earlier.created_at)} ago"
    for_worth = f" for {worth}" if worth else ""
    if earlier.state == State.CREATED:
        title = "You already created this milestone"
        said = f"You created “{label}”{for_worth} {ago_words}."
    else:
        title = "This milestone was already sent, and its outcome is not known yet"
        said = (
            f"You sent “{label}”{for_worth} {ago_words}, and OpenTrain has not confirmed whether "
            "it was created: the dashboard marks it as soon as the contract shows it."
        )
    return Hold(
        title,
        f"{said} Nothing was sent this time. To create a second, identical milestone, tick the "
        "box and send again.",
        str(earlier.key),
        label,
        worth,
    )


def field_problem(problem: Problem, label: str) -> Problem:
    """The summary at the top of the form when the message itself stands next to a field."""
    return replace(problem, message=f"See the message next to “{label}” below.")
