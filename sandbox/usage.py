"""Simulated work: the AI trainer logs labels or hours, and the contract's budget is consumed."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from . import events
from .models import Contract
from .serializers import budget_json

# What one click of "Log usage" adds, in the contract's unit.
STEP = {Contract.PAY_PER_LABEL: Decimal(2000), Contract.PAY_PER_HOUR: Decimal(5)}


class UsageError(Exception):
    pass


def log_usage(contract_id: str, volume: Decimal) -> dict:
    """Add `volume` labels or hours to a contract's usage; return its budget afterwards.

    Emits `contract.budget_state_changed` when the budget's state moves (OK, LOW, DEPLETED).
    """
    with transaction.atomic():
        contract = Contract.objects.select_for_update().filter(id=contract_id).first()
        if contract is None:
            raise UsageError(f"No sandbox contract with the id {contract_id!r}.")
        if not contract.is_active:
            raise UsageError("This contract has ended.")
        if contract.payment_type == Contract.FIXED_PRICE:
            raise UsageError("Fixed-price contracts have no usage budget.")
        if volume <= 0:
            raise UsageError("The volume must be positive.")
        before = budget_json(contract)
        now = timezone.now()
        if contract.payment_type == Contract.PAY_PER_LABEL:
            contract.consumed_labels += int(volume)
            contract.consumed_tasks += int(volume) // 10
        else:
            contract.consumed_seconds += int(volume * 3600)
        contract.last_usage_at = contract.updated_at = now
        contract.save(
            update_fields=[
                "consumed_labels",
                "consumed_tasks",
                "consumed_seconds",
                "last_usage_at",
                "updated_at",
            ]
        )
        return events.budget_state_changed(contract, before)
