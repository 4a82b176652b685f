"""Sending a confirmed batch, row by row, in the worker (`python manage.py sync_worker`).

Every row goes through `submissions.submit` with the row's own key, so a second run of the same
batch (confirmed twice, a worker restarted) replays what the first got instead of sending again.
A row refused with 429 definitely was not created: it waits `Retry-After` and gets a new key.
"""

from __future__ import annotations

import logging
import time
from decimal import Decimal

from django.tasks import task

from dashboard import opentrain, submissions
from dashboard.batches.models import Batch, BatchRow
from dashboard.batches.prefill import contracts_by_id
from dashboard.mirror import accounts
from dashboard.mirror import tasks as mirror_tasks
from dashboard.mirror.models import Account
from dashboard.models import Submission
from dashboard.opentrain import OpenTrainError

logger = logging.getLogger("dashboard.batches")

RETRY_AFTER_CAP = 60  # seconds: a longer wait is OpenTrain asking to stop for now
RATE_LIMIT_ATTEMPTS = 5
DEFAULT_WAIT = 2
sleep = time.sleep


@task()
def send_batch(batch_id: str) -> str:
    """Send every row of the batch that has no submission yet; returns a summary in words."""
    batch, known = batch_and_account(batch_id)
    if known is None:
        return "unknown account"
    account = Account.objects.filter(fingerprint=batch.account_fingerprint).first()
    rows = list(batch.sendable_rows())
    # One query each for what was sent before and for the contracts: not one a row (500 rows).
    sent_before = set(
        Submission.objects.filter(key__in=[r.key for r in rows]).values_list("key", flat=True)
    )
    contracts = contracts_by_id(account, {r.contract_id for r in rows})
    sent = 0
    created = 0
    for row in rows:
        if row.key in sent_before or row.held_by:
            continue  # sent by an earlier run (its key owns the outcome), or held for the PM
        contract = contracts.get(row.contract_id)
        if contract is None:
            continue
        if _send_row(row, batch, known.token, contract):
            created += 1
        sent += 1
    if created:
        # One sync brings every touched contract into the mirror (the feed names them), queued
        # after this run: a contract re-read per row's contract would hold the batch up by a
        # round trip each (500 contracts, 500 reads). The batch page reads the ledger meanwhile.
        mirror_tasks.request_sync(batch.account_fingerprint)
    return f"{sent} row(s) sent"


def _send_row(row: BatchRow, batch: Batch, token: str, contract: opentrain.Contract) -> bool:
    """One row, waiting out rate limits; True when its milestone was created."""
    for _attempt in range(RATE_LIMIT_ATTEMPTS):
        try:
            outcome = submissions.submit(
                key=row.key,
                user=batch.created_by,
                token=token,
                contract=contract,
                fields=_fields(row),
                repeat_of=str(row.repeat_of or ""),
            )
        except OpenTrainError as error:
            # An earlier unclear attempt could not be checked: nothing was sent; leave it waiting.
            logger.warning("batch %s row %s not sent: %s", batch.pk, row.position, error)
            return False
        if outcome.held:
            row.hold(outcome.submission.key)  # the batch page shows that attempt first
            return False
        if outcome.submission.key != row.key:
            row.take_over(outcome.submission.key)
        error = outcome.error
        if error is None or error.status != 429 or outcome.replayed:
            return outcome.created
        wait_out(error)
        row.new_key()  # 429: nothing happened upstream, so another key is safe
    return False


def batch_and_account(batch_id: str):
    """The batch, and the account it acts for (None once the dashboard has no token for it)."""
    batch = Batch.objects.get(pk=batch_id)
    return batch, accounts.by_fingerprint(batch.account_fingerprint)


def wait_out(error: OpenTrainError) -> None:
    """Wait as long as a 429 asks (within reason), and no longer."""
    sleep(min(error.retry_after or DEFAULT_WAIT, RETRY_AFTER_CAP))


def _fields(row: BatchRow) -> dict:
    fields = dict(row.fields)
    for name in ("amount_usd", "volume"):
        if fields.get(name) is not None:
            fields[name] = Decimal(fields[name])
    return fields
