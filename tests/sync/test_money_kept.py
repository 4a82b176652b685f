"""The money the spend page reads is kept as contracts are written: each contract's totals, when
its milestones' money moved, the account's months and days, and a bounded budget history."""

import importlib
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from django.apps import apps
from django.db import connection
from django.db.models import Sum
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from dashboard.mirror import money, tasks
from dashboard.mirror.models import BudgetSnapshot, Contract, Milestone, SpendDay, SpendMonth
from sandbox import demo
from sandbox.models import Contract as UpstreamContract
from sandbox.usage import log_usage
from tests.mirror_helpers import refresh_contract, sync_account
from tests.sync.test_updates_feed import LABELS, add_milestone, api, confirm_upstream


def months_from_milestones(account) -> dict:
    """The months as a sum over every mirrored milestone: what the kept rows must equal."""
    found = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for row in Milestone.objects.filter(contract__account=account).select_related("contract"):
        kind = (row.contract.payment_type, row.contract.status)
        if row.funded_at:
            found[money.month_of(row.funded_at), *kind][0] += row.amount_usd
        if row.paid_at:
            found[money.month_of(row.paid_at), *kind][1] += row.amount_usd
    return {key: value for key, value in found.items() if any(value)}


def kept_months(account) -> dict:
    return {
        (row.month, row.payment_type, row.contract_status): [row.funded_usd, row.paid_usd]
        for row in SpendMonth.objects.filter(account=account)
        if row.funded_usd or row.paid_usd
    }


def test_money_that_moved_before_the_first_read_is_counted_in_its_milestones_creation_month(
    sandbox, db
):
    account = sync_account(demo.OWNER)

    funded = Milestone.objects.filter(
        contract__account=account, status__in=["ACTIVE_FUNDED", "PAID"]
    )
    assert funded.exists()
    assert all(row.funded_at == row.upstream_created_at for row in funded)
    assert all(row.paid_at == row.upstream_created_at for row in funded.filter(status="PAID"))
    assert kept_months(account) == months_from_milestones(account)


def test_each_contracts_money_columns_equal_its_milestones(sandbox, db):
    account = sync_account(demo.OWNER)

    for row in Contract.objects.filter(account=account):
        milestones = Milestone.objects.filter(contract=row)
        assert row.committed_usd == (milestones.aggregate(s=Sum("amount_usd"))["s"] or 0)
        assert row.paid_usd == (
            milestones.filter(status="PAID").aggregate(s=Sum("amount_usd"))["s"] or 0
        )


def test_a_milestone_funded_later_counts_in_the_month_the_sync_saw_it_and_keeps_that_moment(
    sandbox, db, editor
):
    account = sync_account(demo.OWNER)
    created = add_milestone(sandbox)
    sync_account(demo.OWNER, full=False)
    approval = api(sandbox, "POST", f"/milestones/{created}/fund").json()["approval"]
    confirm_upstream(approval["id"], editor)

    before = timezone.now()
    sync_account(demo.OWNER, full=False)
    funded_at = Milestone.objects.get(milestone_id=created).funded_at
    sync_account(demo.OWNER)

    assert funded_at >= before
    assert Milestone.objects.get(milestone_id=created).funded_at == funded_at
    assert kept_months(account) == months_from_milestones(account)


def test_a_contract_that_is_gone_takes_its_money_out_of_the_months(sandbox, db):
    account = sync_account(demo.OWNER)
    UpstreamContract.objects.filter(id=LABELS).delete()

    refresh_contract(LABELS)

    assert not Contract.objects.filter(contract_id=LABELS).exists()
    assert kept_months(account) == months_from_milestones(account)


def test_usage_the_sync_sees_is_counted_in_todays_used_money(sandbox, db):
    account = sync_account(demo.OWNER)
    row = Contract.objects.get(contract_id=LABELS)
    used_before = row.used_usd

    log_usage(LABELS, Decimal(100))
    sync_account(demo.OWNER)

    row.refresh_from_db()
    today = SpendDay.objects.get(account=account, day=timezone.localdate())
    assert row.used_usd - used_before == today.used_usd == row.rate_usd * 100


def test_old_budget_history_is_thinned_to_the_last_snapshot_of_each_day(sandbox, db):
    account = sync_account(demo.OWNER)
    row = Contract.objects.filter(account=account, has_budget=True).first()
    first = BudgetSnapshot.objects.get(contract=row)
    old = first.observed_at - timedelta(days=40)
    for hour in (1, 2, 3):
        BudgetSnapshot.objects.create(
            contract=row, observed_at=old.replace(hour=hour), state="OK", consumed_volume=hour
        )
    BudgetSnapshot.objects.create(
        contract=row, observed_at=first.observed_at - timedelta(hours=5), state="OK"
    )

    gone = BudgetSnapshot.objects.thin(before=timezone.now() - timedelta(days=30))

    kept = BudgetSnapshot.objects.filter(contract=row).order_by("observed_at")
    assert gone == 2
    assert kept.first().consumed_volume == 3
    assert kept.count() == 3


def test_a_mirror_synced_before_spend_existed_gets_its_money_from_the_migration(sandbox, db):
    account = sync_account(demo.OWNER)
    expected_months = kept_months(account)
    expected_columns = list(
        Contract.objects.order_by("pk").values_list("funded_usd", "used_usd", "paid_usd")
    )
    Contract.objects.update(committed_usd=0, funded_usd=0, used_usd=None, paid_usd=0)
    Milestone.objects.update(funded_at=None, paid_at=None)
    SpendMonth.objects.all().delete()

    backfill = importlib.import_module("dashboard.mirror.migrations.0012_spend_backfill").backfill
    backfill(apps, connection.schema_editor())

    assert kept_months(account) == expected_months
    assert (
        list(Contract.objects.order_by("pk").values_list("funded_usd", "used_usd", "paid_usd"))
        == expected_columns
    )


def history_of(row):
    return list(BudgetSnapshot.objects.filter(contract=row).order_by("observed_at"))


def add_old_day(row, days_ago: int) -> None:
    """Three snapshots on one day `days_ago` days back, at 01:00, 02:00 and 03:00."""
    day = (timezone.now() - timedelta(days=days_ago)).replace(minute=0, second=0, microsecond=0)
    for hour in (1, 2, 3):
        BudgetSnapshot.objects.create(
            contract=row, observed_at=day.replace(hour=hour), state="OK", consumed_volume=hour
        )


def test_the_workers_daily_thinning_keeps_the_last_snapshot_of_each_old_day(sandbox, db):
    account = sync_account(demo.OWNER)
    row = Contract.objects.filter(account=account, has_budget=True).first()
    add_old_day(row, 40)
    add_old_day(row, 35)

    gone = tasks.thin_budget_history.call()

    assert gone == 4
    assert [s.consumed_volume for s in history_of(row)][:2] == [3, 3]


def test_after_a_run_the_next_thins_only_the_days_that_aged_since(sandbox, db):
    account = sync_account(demo.OWNER)
    row = Contract.objects.filter(account=account, has_budget=True).first()
    earlier = tasks.thin_budget_history.enqueue()
    DBTaskResult.objects.filter(pk=earlier.id).update(
        status="SUCCESSFUL", enqueued_at=timezone.now() - timedelta(days=2)
    )
    add_old_day(row, 40)  # before the last run's reach: that run thinned it (here, it did not)
    add_old_day(row, 32)

    gone = tasks.thin_budget_history.call()

    assert gone == 2
    assert [s.consumed_volume for s in history_of(row)][:4] == [1, 2, 3, 3]
