"""Following the updates feed: each event re-reads what it names, the cursor moves only after the
events before it were applied, and repeats, faults and rate limits do no harm."""

import time
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from django.db.models import F
from django.test import Client

from dashboard.mirror.models import Account, BudgetSnapshot, Contract, Milestone
from dashboard.models import Approval
from dashboard.opentrain import transport
from sandbox import demo
from sandbox.models import Account as Upstream
from sandbox.usage import log_usage
from tests.mirror_helpers import sync_account

LABELS = demo.contract_id(demo.OWNER, "label_012")


def api(sandbox, method, path, body=None):
    return httpx.request(
        method,
        f"{sandbox.url}/sandbox/api/public/v1{path}",
        headers={"Authorization": f"Bearer {demo.OWNER_TOKEN}"},
        json=body,
    )


def add_milestone(sandbox, contract_id=LABELS, volume=10):
    response = api(
        sandbox,
        "POST",
        f"/contracts/{contract_id}/milestones",
        {"description": "From the feed test", "volume": volume},
    )
    assert response.status_code in (200, 201)
    return response.json()["milestone"]["id"]


def mirrored_milestones(contract_id=LABELS):
    return set(
        Milestone.objects.filter(contract__contract_id=contract_id).values_list(
            "milestone_id", flat=True
        )
    )


def fault(spec):
    Upstream.objects.filter(key=demo.OWNER).update(fault=spec)


def test_a_milestone_created_upstream_reaches_the_mirror_through_the_feed(sandbox, db):
    account = sync_account(demo.OWNER)
    cursor = account.cursor
    created = add_milestone(sandbox)

    account = sync_account(demo.OWNER, full=False)

    assert created in mirrored_milestones()
    assert account.cursor and account.cursor != cursor


def test_applying_the_same_events_again_changes_nothing(sandbox, db):
    sync_account(demo.OWNER)
    add_milestone(sandbox)
    account = sync_account(demo.OWNER, full=False)
    version = account.version
    rows = (Contract.objects.count(), Milestone.objects.count())

    Account.objects.filter(pk=account.pk).update(cursor="")  # replay the whole feed
    sync_account(demo.OWNER, full=False)

    assert (Contract.objects.count(), Milestone.objects.count()) == rows
    assert Account.objects.get(pk=account.pk).version == version + 1  # the freshness, not data


def test_a_feed_answering_500_keeps_the_cursor_and_the_next_sync_catches_up(sandbox, db):
    account = sync_account(demo.OWNER)
    cursor = account.cursor
    created = add_milestone(sandbox)
    fault("GET:500")

    account = sync_account(demo.OWNER, full=False)

    assert account.cursor == cursor
    assert "OpenTrain" in account.error
    assert created not in mirrored_milestones()

    fault("")
    account = sync_account(demo.OWNER, full=False)

    assert created in mirrored_milestones()
    assert account.error == ""
    time.sleep(1)  # let the sandbox finish the hung request before the test database goes


def test_a_cursor_opentrain_rejects_leads_to_a_full_read_and_a_fresh_start_at_the_feeds_end(
    sandbox, db
):
    before = sync_account(demo.OWNER)
    created = add_milestone(sandbox)
    # OpenTrain no longer knows the stored cursor (it expired, or the feed was reset): 400.
    Account.objects.filter(pk=before.pk).update(cursor="bm90LWEtY3Vyc29y")
    assert api(sandbox, "GET", "/updates?cursor=bm90LWEtY3Vyc29y").status_code == 400

    account = sync_account(demo.OWNER, full=False)

    assert account.error == ""
    assert account.full_synced_at > before.full_synced_at
    assert created in mirrored_milestones()
    assert api(sandbox, "GET", f"/updates?cursor={account.cursor}").json()["events"] == []


def test_after_a_rejected_cursor_the_next_sync_follows_the_feed_again(sandbox, db):
    account = sync_account(demo.OWNER)
    Account.objects.filter(pk=account.pk).update(cursor="bm90LWEtY3Vyc29y")
    sync_account(demo.OWNER, full=False)
    created = add_milestone(sandbox)

    account = sync_account(demo.OWNER, full=False)

    assert account.error == ""
    assert created in mirrored_milestones()


def test_a_rate_limited_feed_is_waited_out(sandbox, db):
    sync_account(demo.OWNER)
    created = add_milestone(sandbox)
    fault("GET:429=1,times=1")

    account = sync_account(demo.OWNER, full=False)

    assert account.error == ""
    assert created in mirrored_milestones()


def test_usage_moves_the_mirrored_budget_and_keeps_its_history(sandbox, db, settings):
    sync_account(demo.OWNER)
    # The first sync was hours ago: the history keeps one row a contract an hour.
    BudgetSnapshot.objects.update(observed_at=F("observed_at") - timedelta(hours=2))
    row = next(
        c
        for c in Contract.objects.exclude(payment_type="FIXED_PRICE").filter(budget_state="OK")
        if c.as_result().budget.funded_volume
    )
    budget = row.as_result().budget

    log_usage(row.contract_id, budget.funded_volume * Decimal("0.85") - budget.consumed_volume)
    sync_account(demo.OWNER, full=False)

    row.refresh_from_db()
    assert row.budget_state == "LOW"
    assert row.consumed_fraction == Decimal("0.85")
    history = BudgetSnapshot.objects.filter(contract=row).order_by("observed_at", "id")
    assert [h.state for h in history] == ["OK", "LOW"]


def test_an_approval_confirmed_by_a_person_reaches_the_mirror_with_its_milestone(
    sandbox, db, editor
):
    sync_account(demo.OWNER)
    created = add_milestone(sandbox)
    approval = api(sandbox, "POST", f"/milestones/{created}/fund").json()["approval"]

    confirm_upstream(approval["id"], editor)
    sync_account(demo.OWNER, full=False)

    assert Approval.objects.get(approval_id=approval["id"]).status == "confirmed"
    assert Milestone.objects.get(milestone_id=created).status == "ACTIVE_FUNDED"


def confirm_upstream(approval_id, person_user):
    """A person confirms on the sandbox's stand-in for the OpenTrain app."""
    person = Client()
    person.force_login(person_user)
    response = person.post(f"/sandbox/approvals/{approval_id}/", {"decision": "confirm"})
    assert response.status_code in (200, 302)


class DiesOnSecondContractRead(httpx.HTTPTransport):
    """The worker's process ends mid-batch: after the feed page and one contract read."""

    reads = 0

    def handle_request(self, request):
        if "/contracts/" in request.url.path:
            self.reads += 1
            if self.reads == 2:
                raise SystemExit("worker stopped")
        return super().handle_request(request)


def test_a_worker_stopped_mid_batch_resumes_from_the_cursor_without_duplicates(sandbox, db):
    account = sync_account(demo.OWNER)
    cursor = account.cursor
    others = [demo.contract_id(demo.OWNER, slug) for slug in ("hourly_1250", "label_007")]
    created = [add_milestone(sandbox, c) for c in [LABELS, *others]]

    transport.use_client(httpx.Client(transport=DiesOnSecondContractRead()))
    with pytest.raises(SystemExit):
        sync_account(demo.OWNER, full=False)
    transport.use_client(None)

    assert Account.objects.get(pk=account.pk).cursor == cursor  # nothing skipped
    sync_account(demo.OWNER, full=False)
    assert set(created) <= {m for c in [LABELS, *others] for m in mirrored_milestones(c)}
    pairs = list(Milestone.objects.values_list("contract_id", "milestone_id"))
    assert len(pairs) == len(set(pairs))


def test_a_hanging_feed_times_out_as_a_failed_sync_and_the_next_one_catches_up(
    sandbox, db, settings
):
    account = sync_account(demo.OWNER)
    cursor = account.cursor
    created = add_milestone(sandbox)
    settings.OT_API_TIMEOUT = 0.3
    fault("GET:hang=1,times=1")  # a read that timed out is not retried: one hang is enough

    account = sync_account(demo.OWNER, full=False)

    assert account.cursor == cursor
    assert "did not answer in time" in account.error
    account = sync_account(demo.OWNER, full=False)
    assert created in mirrored_milestones()
    assert account.error == ""
    time.sleep(1)  # let the sandbox finish the hung request before the test database goes
