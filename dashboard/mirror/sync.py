"""Keeping the mirror current: the updates feed, full reconciliation, and one contract on demand.

The webhook is the trigger and `GET /updates` the source of truth. The feed's cursor advances only
after the events before it were applied; applying an event means re-reading what it names, so a
repeated or out-of-order event does no harm. Only one worker syncs an account at a time (a lease
on the account row); work that arrives meanwhile marks the account dirty and the holder goes again.
"""

from __future__ import annotations

import contextlib
import logging
import time
import uuid

from django.conf import settings
from django.utils import timezone

from dashboard import approvals, metrics, opentrain, submissions
from dashboard.mirror import reads, store
from dashboard.mirror.models import Account
from dashboard.opentrain import OpenTrainError
from dashboard.opentrain.problems import explain

logger = logging.getLogger("dashboard.sync")

FEED_PAGE = 200
# Waits longer than the client's own retries, for a 429 during reconciliation.
RATE_LIMIT_WAIT_CAP = 60.0
RATE_LIMIT_TRIES = 5
CONTRACT_EVENTS = ("contract.", "milestone.", "payment.")
APPROVAL_EVENTS = ("approval.",)
FEED_UNAVAILABLE = (403, 404)


def account_for(fingerprint: str, label: str = "") -> Account:
    account, created = Account.objects.get_or_create(
        fingerprint=fingerprint, defaults={"label": label[:200]}
    )
    if label and account.label != label and not created:
        Account.objects.filter(pk=account.pk).update(label=label[:200])
    return account


def sync_account(account: Account, token: str, *, full: bool = False) -> bool:
    """Bring one account's mirror up to date; False when another worker is already on it."""
    owner = uuid.uuid4().hex
    if not account.take_lease(owner):
        return False
    try:
        while True:
            account.refresh_from_db()
            _sync_once(account, token, full=full or _reconcile_due(account))
            full = False
            if not account.release_lease(owner) or not account.take_lease(owner):
                break
    finally:
        account.release_lease(owner)
    return True


def _reconcile_due(account: Account) -> bool:
    if account.full_synced_at is None:
        return True
    age = (timezone.now() - account.full_synced_at).total_seconds()
    return age >= settings.OT_SYNC_FULL_SECONDS


def _sync_once(account: Account, token: str, *, full: bool) -> None:
    started = timezone.now()
    try:
        changed = reconcile(account, token) if full else False
        try:
            changed = follow_updates(account, token, since=started if full else None) or changed
        except OpenTrainError as error:
            if error.status == 400 and account.cursor:
                # OpenTrain no longer takes the stored cursor (expired, or from a feed since
                # reset): what it skipped is read in full, then the feed is followed from its end.
                logger.warning(
                    "the updates feed refused the cursor of %s: reading everything again",
                    account,
                    extra={"account": account.pk},
                )
                if not full:
                    started = timezone.now()
                    changed = reconcile(account, token) or changed
                    full = True
                account.save_cursor("")
                changed = follow_updates(account, token, since=started) or changed
            elif error.status not in FEED_UNAVAILABLE:
                raise
            # No feed for this token (a scope or feature it lacks): the full read is the sync.
            elif not full:
                changed = reconcile(account, token)
                full = True
    except OpenTrainError as error:
        problem = explain(error)
        reason = error.code or error.status
        # OpenTrain's requestId, for its support (the page shows the PM the same one).
        request_id = f" requestId={error.request_id}" if error.request_id else ""
        logger.warning(
            "sync of %s failed: %s%s",
            account,
            reason,
            request_id,
            extra={"account": account.pk, "ot_request_id": error.request_id},
        )
        account.record_failure(f"{problem.title}. {problem.message}", error.request_id)
        account.bump()
        return
    account.record_success(full=full)
    # The freshness line changes too ("Synced 1 s ago"): open pages redraw it.
    account.bump()
    if changed:
        logger.info("sync of %s applied changes", account, extra={"account": account.pk})


def follow_updates(account: Account, token: str, *, since=None) -> bool:
    """Apply the feed from the stored cursor to its end. Events older than `since` (a full
    reconciliation that began after them) are already reflected and only move the cursor."""
    changed = False
    while True:
        page = opentrain.list_updates(token, cursor=account.cursor or None, limit=FEED_PAGE)
        contract_ids: dict[str, None] = {}
        approval_ids: dict[str, None] = {}
        for event in page.events:
            if since is not None:
                created = opentrain.parse_timestamp(event.created_at)
                if created is not None and created < since:
                    continue
            if event.type.startswith(CONTRACT_EVENTS) and event.contract_id:
                contract_ids[event.contract_id] = None
            elif event.type.startswith(APPROVAL_EVENTS) and event.approval_id:
                approval_ids[event.approval_id] = None
        for contract_id in contract_ids:
            changed = refresh_contract(account, token, contract_id) or changed
        for approval_id in approval_ids:
            changed = refresh_approval(account, token, approval_id) or changed
        metrics.record_events(len(page.events))
        if page.next_cursor and page.next_cursor != account.cursor:
            account.save_cursor(page.next_cursor)
        if not page.has_more or not page.events:
            return changed


def refresh_contract(account: Account, token: str, contract_id: str) -> bool:
    """Re-read one contract into the mirror; True when something changed."""
    contract = _read_contract(token, contract_id)
    if contract is None:
        return store.forget_contract(account, contract_id)
    return store.save_contract(account, contract)


def _read_contract(token: str, contract_id: str) -> opentrain.Contract | None:
    """`GET /contracts/{id}`, or None when it is gone."""
    answer = _answer(token, contract_id)
    return None if answer is None else opentrain.parse_contract(answer)


def refresh_approval(account: Account, token: str, approval_id: str) -> bool:
    try:
        approval = _paced(opentrain.get_approval, token, approval_id)
    except OpenTrainError as error:
        if error.status == 404:
            return False  # another token's approval, or gone: nothing of ours to update
        raise
    changed = approvals.apply(approval, token=token)
    # Confirming a funding or payout changes the milestone too.
    if approval.contract_id:
        changed = refresh_contract(account, token, approval.contract_id) or changed
    return changed


def reconcile(account: Account, token: str) -> bool:
    """Everything, from scratch: the list, detail reads where `updatedAt` moved, pending payments,
    and what the token may do."""
    listed = _paced(opentrain.list_contracts, token)
    known = dict(
        account.contracts.filter(has_budget=True).values_list("contract_id", "upstream_updated")
    )
    changed = store.forget_contracts_except(account, {c.id for c in listed})
    stale = [contract for contract in listed if known.get(contract.id) != contract.updated_at]
    changed = _read_and_save(account, token, stale) or changed
    try:
        payments = _paced(opentrain.list_pending_payments, token)
    except OpenTrainError as error:
        if error.status not in (403, 404):
            raise
        payments = []
    changed = store.save_pending_payments(account, payments) or changed
    _save_access(account, token)
    _conclude_unclear(account)
    return changed


def _conclude_unclear(account: Account) -> None:
    """The mirror now holds what OpenTrain has: the milestones sent long ago without an answer,
    which their contract still does not show, were not created (`submissions.conclude`)."""
    contract_ids = set(submissions.unclear_for_long().values_list("contract_id", flat=True))
    if contract_ids:
        rows = account.contracts.filter(contract_id__in=contract_ids)
        submissions.conclude([row.as_result() for row in rows])


def _read_and_save(account: Account, token: str, listed: list[opentrain.Contract]) -> bool:
    """Detail reads in a reader thread beside this one, which parses and writes the chunk read
    before (`reads.in_chunks`; a transaction a chunk). A failed read stops the sync once the
    contracts read before it are saved."""
    changed = False
    answers = reads.in_chunks(
        lambda contract: _answer(token, contract.id, contract), listed, store.CHUNK
    )
    with contextlib.closing(answers):
        for chunk in answers:
            contracts, error = _parsed(chunk)
            changed = bool(store.save_contracts(account, contracts)) or changed
            if error is not None:
                raise error
            account.renew_lease()  # thousands of reads outlast it
    return changed


def _answer(
    token: str, contract_id: str, listed: opentrain.Contract | None = None
) -> bytes | opentrain.Contract | None:
    """`GET /contracts/{id}` as received, for the writer to parse (`_parsed` stops at the first
    answer that is not JSON, after saving those before it). When it answers 404, `listed`: the
    contract as `GET /contracts` just showed it (an ID no path can carry) is kept, without a
    budget, rather than nothing."""
    try:
        return _paced(opentrain.get_contract_raw, token, contract_id)
    except OpenTrainError as error:
        if error.status == 404:
            return listed
        raise


def _parsed(answers: list) -> tuple[list[opentrain.Contract], OpenTrainError | None]:
    """The contracts in a chunk of `_answer`s, up to the first that is not JSON, and its error."""
    contracts = []
    for answer in answers:
        if isinstance(answer, opentrain.Contract):
            contracts.append(answer)
            continue
        try:
            contracts.append(opentrain.parse_contract(answer))
        except OpenTrainError as error:
            return contracts, error
    return contracts, None


def _save_access(account: Account, token: str) -> None:
    from dashboard import access  # the write-access probe lives with the forms' hints

    account.access = access.probe(token, account.access)
    Account.objects.filter(pk=account.pk).update(access=account.access)


def _paced(call, *args, **kwargs):
    """Call OpenTrain, waiting out 429s as long as OpenTrain asks (the client itself only waits
    briefly, for pages)."""
    for attempt in range(RATE_LIMIT_TRIES):
        try:
            return call(*args, **kwargs)
        except OpenTrainError as error:
            if error.status != 429 or attempt == RATE_LIMIT_TRIES - 1:
                raise
            time.sleep(min(float(error.retry_after or 2**attempt), RATE_LIMIT_WAIT_CAP))
    raise AssertionError("unreachable")
