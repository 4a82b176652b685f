import pytest
from django.core.management import call_command

from sandbox.management.commands.seed_sandbox import seed_bulk
from sandbox.models import Account, Approval, Contract, Milestone, Token

from .conftest import ctr, ms

pytestmark = pytest.mark.django_db


def _snapshot():
    return {
        model.__name__: sorted(
            tuple(sorted((k, str(v)) for k, v in row.items())) for row in model.objects.values()
        )
        for model in (Account, Token, Contract, Milestone)
    }


def test_seeding_twice_leaves_the_same_data(seeded):
    before = _snapshot()
    call_command("seed_sandbox", verbosity=0)
    assert _snapshot() == before


def test_seeding_again_restores_changed_rows(seeded):
    Account.objects.filter(key="unclaimed").update(claimed=True, fault="500")
    Milestone.objects.filter(id=ms("hourly_38", 1)).update(status="ACTIVE_FUNDED")
    call_command("seed_sandbox", verbosity=0)
    account = Account.objects.get(key="unclaimed")
    assert account.claimed is False
    assert account.fault == ""
    assert Milestone.objects.get(id=ms("hourly_38", 1)).status == "NOT_FUNDED"


def test_reset_removes_what_the_api_added(api):
    api(
        "POST",
        f"/contracts/{ctr('fixed_300')}/milestones",
        body={"description": "x", "amountUsd": 5},
    )
    api("POST", f"/milestones/{ms('hourly_38', 1)}/fund")
    call_command("seed_sandbox", "--reset", verbosity=0)
    assert not Milestone.objects.filter(description="x").exists()
    assert not Approval.objects.exists()


def test_the_seed_covers_every_account_and_payment_model(seeded):
    assert list(Account.objects.values_list("key", flat=True)) == [
        "owner",
        "unclaimed",
        "readonly",
        "nofeature",
        "nobilling",
    ]
    assert Contract.objects.filter(account__key="owner").count() == 11
    for account in Account.objects.all():
        active = Contract.objects.filter(account=account, status="active")
        assert set(active.values_list("payment_type", flat=True)) == {
            "FIXED_PRICE",
            "PAY_PER_HOUR",
            "PAY_PER_LABEL",
        }
        assert active.filter(rate_usd__isnull=True).exists()
        assert Contract.objects.filter(account=account, status="ended").exists()


def test_bulk_seeding_adds_contracts_with_milestones(seeded):
    owner = Account.objects.get(key="owner")
    seed_bulk(owner, 30, milestones_per_contract=2)
    assert Contract.objects.filter(account=owner).count() == 41
    assert Milestone.objects.filter(contract__title__startswith="Bulk").count() == 60


def test_the_command_takes_a_bulk_option(seeded):
    call_command("seed_sandbox", "--contracts", "5", verbosity=0)
    assert Contract.objects.filter(title__startswith="Bulk").count() == 5
