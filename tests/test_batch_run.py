"""Sending a confirmed batch in the worker: each row once, whatever is retried or repeated.

The task runs in the test process (`send_batch.call`), as the worker would, against the sandbox
over real HTTP; milestones are counted in the sandbox's own tables.
"""

import httpx
import pytest
from django_tasks_db.models import DBTaskResult

from dashboard.batches.tasks import send_batch
from dashboard.mirror.tasks import sync_account
from dashboard.opentrain import transport
from sandbox.models import Milestone
from tests.batch_helpers import confirm, fifty_rows, upload, valid_row
from tests.milestone_helpers import FIXED, HOURLY, LABELS, set_fault, use_account

pytestmark = pytest.mark.django_db(transaction=True)

CONTRACTS = (FIXED, HOURLY, LABELS)


def batch_milestones() -> int:
    return Milestone.objects.filter(
        contract_id__in=CONTRACTS, name__startswith="Week batch"
    ).count()


class FaultOnEveryNthWrite:
    """Asks the sandbox for a 503 (its `X-Sandbox-Fault` header) on every nth POST."""

    def __init__(self, n: int):
        self.n, self.posts = n, 0

    def __call__(self, request: httpx.Request) -> None:
        if request.method == "POST":
            self.posts += 1
            if self.posts % self.n == 0:
                request.headers["X-Sandbox-Fault"] = "503"


def confirm_and_run(client, batch) -> None:
    response = confirm(client, batch)
    assert response.status_code == 302
    send_batch.call(batch_id=str(batch.pk))


def test_fifty_rows_with_three_invalid_and_a_503_every_seventh_write_create_47(sandbox, pm):
    batch = upload(pm, fifty_rows())
    transport.use_client(transport.build_client(event_hooks={"request": [FaultOnEveryNthWrite(7)]}))

    confirm_and_run(pm, batch)

    assert batch_milestones() == 41
    html = pm.get(f"/batches/{batch.pk}/").content.decode()
    assert "<strong>41</strong> created · <strong>6</strong> failed" in html
    assert "Not known yet whether the milestone was created" in html
    assert "Retry the failed rows" in html

    transport.use_client(None)
    pm.post(f"/batches/{batch.pk}/retry/")
    send_batch.call(batch_id=str(batch.pk))

    # Their outcome was not known: re-read and not found, they are held until the PM confirms.
    assert batch_milestones() == 41
    held = pm.get(f"/batches/{batch.pk}/").content.decode()
    assert "<strong>6</strong> held" in held
    assert "This milestone was already sent, and its outcome is not known yet" in held
    pm.post(f"/batches/{batch.pk}/send-held/")
    send_batch.call(batch_id=str(batch.pk))

    assert batch_milestones() == 47
    html = pm.get(f"/batches/{batch.pk}/").content.decode()
    assert (
        "<strong>47</strong> created · <strong>0</strong> failed · <strong>0</strong> waiting"
        in html
    )


def test_confirming_the_same_batch_twice_creates_nothing_more(sandbox, pm):
    batch = upload(pm, [valid_row(n) for n in range(1, 6)])

    confirm(pm, batch)
    confirm(pm, batch)
    send_batch.call(batch_id=str(batch.pk))
    send_batch.call(batch_id=str(batch.pk))  # as if both confirmations had queued a run

    assert batch_milestones() == 5
    assert DBTaskResult.objects.filter(task_path=send_batch.module_path).count() == 1


def test_a_worker_stopped_mid_batch_finishes_without_duplicates(sandbox, pm):
    batch = upload(pm, [valid_row(n) for n in range(1, 10)])
    stopped = StopAfterWrites(4)
    transport.use_client(transport.build_client(event_hooks={"response": [stopped]}))
    confirm(pm, batch)

    with pytest.raises(WorkerStopped):
        send_batch.call(batch_id=str(batch.pk))
    assert batch_milestones() == 4  # the fourth was created, its answer never read

    transport.use_client(None)
    send_batch.call(batch_id=str(batch.pk))  # the restarted worker
    pm.post(f"/batches/{batch.pk}/retry/")  # the fourth row's outcome was unknown
    send_batch.call(batch_id=str(batch.pk))

    assert batch_milestones() == 9
    html = pm.get(f"/batches/{batch.pk}/").content.decode()
    assert "<strong>9</strong> created · <strong>0</strong> failed" in html


def test_a_rate_limited_row_waits_and_is_sent_once(sandbox, pm):
    batch = upload(pm, [valid_row(1), valid_row(2)])
    set_fault("POST:429=1,times=1")

    confirm_and_run(pm, batch)

    assert batch_milestones() == 2
    assert len(batch.rows.get(contract_id=HOURLY).earlier_keys) == 1


def test_a_refused_row_shows_opentrains_reason_and_the_claim_link(sandbox, pm):
    use_account(pm, "unclaimed")
    row = {"contract_id": "ctr_unclaimed_fixed_300", "description": "x", "amount_usd": "5"}
    batch = upload(pm, [row])
    confirm_and_run(pm, batch)

    html = pm.get(f"/batches/{batch.pk}/").content.decode()
    claim_url = f"{sandbox.url}/sandbox/claim/ot_cat_sandbox_unclaimed/"
    assert "A human must claim this OpenTrain account first" in html
    assert f'<a href="{claim_url}" target="_blank"' in html
    assert "<strong>0</strong> created · <strong>1</strong> failed" in html


class WorkerStopped(BaseException):
    """What a worker's shutdown looks like from inside a call: not an Exception."""


class StopAfterWrites:
    def __init__(self, n: int):
        self.n, self.posts = n, 0

    def __call__(self, response: httpx.Response) -> None:
        if response.request.method == "POST":
            self.posts += 1
            if self.posts == self.n:
                raise WorkerStopped


def test_the_progress_polls_while_rows_wait_and_stops_when_done(sandbox, pm):
    batch = upload(pm, [valid_row(1), valid_row(2)])
    confirm(pm, batch)

    waiting = pm.get(f"/batches/{batch.pk}/", headers={"HX-Request": "true"}).content.decode()
    send_batch.call(batch_id=str(batch.pk))
    done = pm.get(f"/batches/{batch.pk}/", headers={"HX-Request": "true"}).content.decode()

    assert waiting.lstrip().startswith('<section id="progress"')
    assert 'hx-trigger="every 2s"' in waiting
    assert "<strong>2</strong> waiting" in waiting
    assert 'hx-trigger="every 2s"' not in done
    assert "<strong>2</strong> created" in done


def test_one_sync_queued_after_the_run_brings_its_milestones_into_the_mirror(sandbox, pm):
    batch = upload(pm, [valid_row(n) for n in range(1, 4)])
    confirm_and_run(pm, batch)
    queued = DBTaskResult.objects.filter(task_path=sync_account.module_path, status="READY")
    assert queued.count() == 1
    assert "Week batch 1" not in pm.get(f"/contracts/{HOURLY}/").content.decode()

    sync_account.call(fingerprint=batch.account_fingerprint)  # the worker's next task

    assert "Week batch 1" in pm.get(f"/contracts/{HOURLY}/").content.decode()


def test_a_batch_row_repeating_a_milestone_created_minutes_ago_is_held_until_confirmed(sandbox, pm):
    first = upload(pm, [valid_row(1)])
    confirm_and_run(pm, first)
    again = upload(pm, [valid_row(1)])

    confirm_and_run(pm, again)

    assert batch_milestones() == 1
    html = pm.get(f"/batches/{again.pk}/").content.decode()
    assert "Held, not sent" in html
    assert "You already created this milestone" in html
    assert "Send the held rows anyway" in html

    pm.post(f"/batches/{again.pk}/send-held/")
    send_batch.call(batch_id=str(again.pk))

    assert batch_milestones() == 2
