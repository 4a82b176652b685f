"""Full reconciliation: the mirror equals what the sandbox answers, and doing it twice changes
nothing."""

from datetime import timedelta
from decimal import Decimal

from django.db.models import F
from django.utils import timezone

from dashboard import opentrain
from dashboard.mirror.models import Account, BudgetSnapshot, Contract, Milestone
from sandbox import demo
from sandbox.models import Account as Upstream
from sandbox.models import Contract as UpstreamContract
from sandbox.models import Milestone as UpstreamMilestone
from sandbox.usage import log_usage
from tests.mirror_helpers import sync_account


def test_a_full_sync_mirrors_every_contract_with_its_budget_and_milestones(sandbox, db):
    account = sync_account(demo.OWNER)

    upstream = UpstreamContract.objects.filter(account__key=demo.OWNER)
    mirrored = Contract.objects.filter(account=account)
    assert sorted(mirrored.values_list("contract_id", flat=True)) == sorted(
        upstream.values_list("id", flat=True)
    )
    assert all(row.has_budget and row.budget_state for row in mirrored)
    assert Milestone.objects.filter(contract__account=account).count() == (
        UpstreamMilestone.objects.filter(contract__account__key=demo.OWNER)
        .exclude(status__in=UpstreamMilestone.HIDDEN)
        .count()
    )
    assert account.synced_at is not None and account.error == ""


def test_syncing_twice_creates_no_duplicate_rows_and_no_new_budget_history(sandbox, db):
    sync_account(demo.OWNER)
    counts = (Contract.objects.count(), Milestone.objects.count(), BudgetSnapshot.objects.count())

    sync_account(demo.OWNER)

    assert (
        Contract.objects.count(),
        Milestone.objects.count(),
        BudgetSnapshot.objects.count(),
    ) == (counts)


def test_a_contract_read_keeps_money_exact(sandbox, db):
    account = sync_account(demo.OWNER)

    row = Contract.objects.get(
        account=account, contract_id=demo.contract_id(demo.OWNER, "label_007")
    )

    assert row.rate_usd == Decimal("0.07")
    assert row.as_result().rate_usd == Decimal("0.07")


def test_a_failed_sync_is_recorded_in_words_and_keeps_the_mirror(sandbox, db):
    account = sync_account(demo.OWNER)
    before = Contract.objects.filter(account=account).count()
    Upstream.objects.filter(key=demo.OWNER).update(fault="GET:500")

    account = sync_account(demo.OWNER)

    assert "OpenTrain" in account.error
    assert account.error_request_id
    assert Contract.objects.filter(account=account).count() == before
    assert account.synced_at is not None


def _used_past_low(account):
    row = next(
        c
        for c in Contract.objects.filter(account=account, budget_state="OK")
        if c.as_result().budget.funded_volume
    )
    budget = row.as_result().budget
    log_usage(row.contract_id, budget.funded_volume * Decimal("0.85") - budget.consumed_volume)
    return row


def test_usage_seen_in_a_later_hour_adds_one_budget_history_row_for_that_contract_only(sandbox, db):
    account = sync_account(demo.OWNER)
    BudgetSnapshot.objects.update(observed_at=F("observed_at") - timedelta(hours=2))
    others = BudgetSnapshot.objects.count() - 1

    row = _used_past_low(account)
    sync_account(demo.OWNER)
    sync_account(demo.OWNER)

    history = BudgetSnapshot.objects.filter(contract=row).order_by("observed_at", "id")
    assert [h.state for h in history] == ["OK", "LOW"]
    assert history.last().consumed_fraction == Decimal("0.85")
    assert BudgetSnapshot.objects.exclude(contract=row).count() == others


def test_usage_seen_within_the_same_hour_updates_that_hours_budget_history_row(sandbox, db):
    account = sync_account(demo.OWNER)
    if timezone.now().minute == 59:  # the next sync may fall in the next clock hour: be there
        BudgetSnapshot.objects.update(observed_at=F("observed_at") + timedelta(minutes=2))
    total = BudgetSnapshot.objects.count()

    row = _used_past_low(account)
    sync_account(demo.OWNER)

    history = BudgetSnapshot.objects.filter(contract=row)
    assert [(h.state, h.consumed_fraction) for h in history] == [("LOW", Decimal("0.85"))]
    assert BudgetSnapshot.objects.count() == total


def test_a_milestone_cancelled_upstream_leaves_the_mirror_on_the_next_full_sync(sandbox, db):
    contract_id = demo.contract_id(demo.OWNER, "label_012")
    account = sync_account(demo.OWNER)
    kept = set(
        Milestone.objects.filter(contract__contract_id=contract_id).values_list(
            "milestone_id", flat=True
        )
    )
    cancelled = (
        UpstreamMilestone.objects.filter(contract_id=contract_id)
        .exclude(status__in=UpstreamMilestone.HIDDEN)
        .first()
    )
    cancelled.status = UpstreamMilestone.CANCELLED
    cancelled.save(update_fields=["status"])
    UpstreamContract.objects.filter(id=contract_id).update(updated_at=timezone.now())

    sync_account(demo.OWNER)

    mirrored = set(
        Milestone.objects.filter(
            contract__account=account, contract__contract_id=contract_id
        ).values_list("milestone_id", flat=True)
    )
    assert mirrored == kept - {cancelled.id}


def test_a_sync_renews_the_lease_it_holds_and_no_other(sandbox, db):
    account = sync_account(demo.OWNER)
    assert account.take_lease("worker-a")
    account.refresh_from_db()
    Account.objects.filter(pk=account.pk).update(lease_until=timezone.now())  # about to lapse

    assert account.renew_lease()
    assert not account.take_lease("worker-b")  # still worker-a's

    account.release_lease("worker-a")
    assert not account.renew_lease()  # no longer ours to keep
    assert account.take_lease("worker-b")


def test_an_answer_that_is_not_json_stops_the_sync_in_words_after_saving_those_before_it(
    sandbox, db
):
    Contract.objects.all().delete()  # every contract to read again
    listed = [c.id for c in opentrain.list_contracts(demo.OWNER_TOKEN)]
    broken = demo.contract_id(demo.OWNER, "label_007")
    Upstream.objects.filter(key=demo.OWNER).update(fault=f"GET@{broken}:notjson")

    account = sync_account(demo.OWNER)

    assert account.error.startswith("OpenTrain is not answering properly")
    mirrored = Contract.objects.filter(account=account).values_list("contract_id", flat=True)
    assert sorted(mirrored) == sorted(listed[: listed.index(broken)])
