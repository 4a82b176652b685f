"""Seed the sandbox with demo accounts, tokens, contracts and milestones.

Idempotent: every seeded row has a fixed id and is written with update_or_create, so running it
again restores the documented state. `--reset` also deletes what the API added since (milestones,
approvals, extra contracts) on the seeded accounts. `--contracts N` adds N bulk contracts to the
owner account, for benchmarks. `--if-empty` seeds only a sandbox with no accounts (`make run`).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.core.management.base import BaseCommand
from django.db import transaction

from sandbox.demo import ACCOUNTS, OWNER, contract_id, milestone_id
from sandbox.models import (
    Account,
    Approval,
    Contract,
    Milestone,
    Token,
    new_contract_id,
    new_milestone_id,
)
from sandbox.seed_data import CONTRACTS, NOW, SMALL_SET


def _dec(value):
    return None if value is None else Decimal(value)


def seed(reset: bool = False) -> list[Account]:
    accounts = []
    with transaction.atomic():
        for order, (key, spec) in enumerate(ACCOUNTS.items()):
            account = _seed_account(key, spec, order)
            accounts.append(account)
            specs = [c for c in CONTRACTS if key == OWNER or c["slug"] in SMALL_SET]
            kept_contracts, kept_milestones = set(), set()
            for index, contract_spec in enumerate(specs):
                contract, milestone_ids = _seed_contract(account, contract_spec, index)
                kept_contracts.add(contract.id)
                kept_milestones.update(milestone_ids)
            if reset:
                Approval.objects.filter(contract__account=account).delete()
                Milestone.objects.filter(contract__account=account).exclude(
                    id__in=kept_milestones
                ).delete()
                Contract.objects.filter(account=account).exclude(id__in=kept_contracts).delete()
    return accounts


def _seed_account(key: str, spec: dict, order: int) -> Account:
    email, first, last = spec["owner"]
    account, _ = Account.objects.update_or_create(
        organization_id=f"org_sbx_{key}",
        defaults={
            "key": key,
            "sort_order": order,
            "name": spec["name"],
            "description": spec["description"],
            "owner_user_id": f"usr_sbx_{key}",
            "owner_email": email,
            "owner_first_name": first,
            "owner_last_name": last,
            "claimed": spec.get("claimed", True),
            "payments_write_enabled": spec.get("payments_write_enabled", True),
            "job_drafting_enabled": True,
            "webhooks_enabled": spec.get("webhooks_enabled", True),
            "has_payment_method": spec.get("has_payment_method", True),
            "claim_token": f"ot_cat_sandbox_{key}",
            "fault": "",
        },
    )
    public_id = spec["token"].split("_")[2]
    Token.objects.update_or_create(
        value=spec["token"],
        defaults={
            "account": account,
            "public_id": public_id,
            "label": f"sandbox-{key}",
            "scopes": list(spec["scopes"]),
            "revoked": False,
            "expires_at": None,
            "created_at": NOW - timedelta(days=120),
        },
    )
    return account


def _seed_contract(account: Account, spec: dict, index: int) -> tuple[Contract, list[str]]:
    key, slug = account.key, spec["slug"]
    created = NOW - timedelta(days=5 * index)
    display_name, country = spec["freelancer"]
    handle = display_name.lower().replace(".", "").replace(" ", "-")
    ended = spec.get("ended", False)
    contract, _ = Contract.objects.update_or_create(
        id=contract_id(key, slug),
        defaults={
            "account": account,
            "status": Contract.ENDED if ended else Contract.ACTIVE,
            "title": spec["title"],
            "job_id": f"job_{key}_{slug}",
            "proposal_id": f"prop_{key}_{slug}",
            "job_dm_conversation_id": f"conv_{key}_{slug}",
            "payment_type": spec["type"],
            "rate_usd": _dec(spec["rate"]),
            "estimated_total_usd": _dec(spec.get("total")),
            "estimated_volume": _dec(spec.get("volume")),
            "start_date": created,
            "end_date": created + timedelta(days=30) if ended else None,
            "created_at": created,
            "updated_at": created + timedelta(hours=1),
            "freelancer_user_id": f"usr_fl_{handle}",
            "freelancer_display_name": display_name,
            "freelancer_country": country,
            "freelancer_profile_path": f"/profile/{handle}",
            "consumed_seconds": spec.get("consumed_seconds", 0),
            "consumed_labels": spec.get("consumed_labels", 0),
            "consumed_tasks": spec.get("consumed_labels", 0) // 10,
            "last_usage_at": created + timedelta(days=3)
            if spec.get("consumed_seconds") or spec.get("consumed_labels")
            else None,
        },
    )
    ids = []
    for number, (name, status, amount, volume, due, extras) in enumerate(spec["milestones"], 1):
        # API-made milestones may hold this number after a run without --reset; move them on.
        _free_number(contract, number, milestone_id(key, slug, number))
        funded = status in (Milestone.ACTIVE_FUNDED, Milestone.PAID)
        milestone, _ = Milestone.objects.update_or_create(
            id=milestone_id(key, slug, number),
            defaults={
                "contract": contract,
                "number": number,
                "name": name,
                "description": f"{name}: deliver per the guidelines in the job post.",
                "status": status,
                "amount_usd": Decimal(amount),
                "volume": _dec(volume),
                "due_date": due,
                "pending_approval": extras.get("pending_approval", False),
                "needs_review": extras.get("needs_review", False),
                "invoice_id": f"inv_{key}_{slug}_{number}" if funded else "",
                "created_at": created + timedelta(hours=number),
            },
        )
        ids.append(milestone.id)
    return contract, ids


def _free_number(contract: Contract, number: int, keep_id: str) -> None:
    clash = contract.milestones.filter(number=number).exclude(id=keep_id).first()
    if clash is not None:
        last = max(contract.milestones.order_by("-number").values_list("number", flat=True)[:1])
        clash.number = last + 1
        clash.save(update_fields=["number"])


def seed_bulk(account: Account, n: int, milestones_per_contract: int = 3) -> list[Contract]:
    """Add `n` contracts (each with some milestones) to `account`, quickly, for benchmarks."""
    types = [Contract.FIXED_PRICE, Contract.PAY_PER_HOUR, Contract.PAY_PER_LABEL]
    rates = {
        Contract.FIXED_PRICE: Decimal("500"),
        Contract.PAY_PER_HOUR: Decimal("20"),
        Contract.PAY_PER_LABEL: Decimal("0.10"),
    }
    statuses = [Milestone.PAID, Milestone.ACTIVE_FUNDED, Milestone.NOT_FUNDED]
    contracts, milestones = [], []
    start = NOW - timedelta(days=400)
    for i in range(n):
        kind = types[i % 3]
        created = start + timedelta(minutes=i)
        contract = Contract(
            id=new_contract_id(),
            account=account,
            title=f"Bulk annotation project {i + 1}",
            job_id=f"job_bulk_{account.organization_id}_{i}",
            payment_type=kind,
            rate_usd=rates[kind],
            estimated_total_usd=rates[kind] * (1 if kind == Contract.FIXED_PRICE else 1000),
            estimated_volume=None if kind == Contract.FIXED_PRICE else Decimal(1000),
            start_date=created,
            created_at=created,
            updated_at=created,
            freelancer_user_id=f"usr_fl_bulk_{i}",
            freelancer_display_name="Alex P.",
            freelancer_country="Portugal",
            freelancer_profile_path="/profile/alex-p",
        )
        contracts.append(contract)
        for number in range(1, milestones_per_contract + 1):
            volume = None if kind == Contract.FIXED_PRICE else Decimal(100)
            amount = rates[kind] if volume is None else rates[kind] * volume
            status = statuses[(number - 1) % 3]
            milestones.append(
                Milestone(
                    id=new_milestone_id(),
                    contract=contract,
                    number=number,
                    name=f"Batch {number}",
                    description=f"Batch {number} of the bulk project.",
                    status=status,
                    amount_usd=amount,
                    volume=volume,
                    invoice_id="" if status == Milestone.NOT_FUNDED else f"inv_bulk_{i}_{number}",
                    created_at=created,
                )
            )
    with transaction.atomic():
        Contract.objects.bulk_create(contracts, batch_size=500)
        Milestone.objects.bulk_create(milestones, batch_size=500)
    return contracts


class Command(BaseCommand):
    help = "Seed the OpenTrain sandbox with demo accounts, tokens, contracts and milestones."

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Also delete milestones, approvals and contracts the API added since seeding.",
        )
        parser.add_argument(
            "--contracts",
            type=int,
            default=0,
            metavar="N",
            help="Add N bulk contracts to the owner account (for benchmarks).",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Seed only a sandbox with no accounts yet (make run): what the dashboard did "
            "since stays as it is.",
        )

    def handle(self, *args, reset=False, contracts=0, if_empty=False, **options):
        if if_empty and Account.objects.exists():
            if options["verbosity"] > 0:
                self.stdout.write("Sandbox already seeded: kept as it is (make reset starts over).")
            return
        accounts = seed(reset=reset)
        if contracts > 0:
            seed_bulk(accounts[0], contracts)
        if options["verbosity"] > 0:
            # Names only: even demo tokens stay out of logs (the "Act as" menu uses them).
            names = ", ".join(f"{a.key} ({a.name})" for a in accounts)
            self.stdout.write(f"Sandbox seeded with {len(accounts)} demo accounts: {names}.")
            if contracts > 0:
                self.stdout.write(f"Added {contracts} bulk contracts to {accounts[0].name}.")
