"""The contract a milestone form is for, and the picker's contracts: from the mirror.

The mirror stays readable while OpenTrain is down or busy, so a PM can always open the form and
send it; the submission itself still goes to OpenTrain, which has the final say. What the mirror
already shows OpenTrain would refuse (an ended contract, one without a rate) is said instead of
a form.
No HTTP here.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from dashboard import opentrain
from dashboard.mirror import reading
from dashboard.mirror.models import Account
from dashboard.opentrain import OpenTrainError
from dashboard.opentrain.problems import Problem, explain
from dashboard.words import money

# The payment models whose milestones OpenTrain prices from the contract rate.
PRICED_BY_RATE = ("PAY_PER_HOUR", "PAY_PER_LABEL")


class NotInMirror(Exception):
    def __init__(self, problem: Problem):
        super().__init__(problem.title)
        self.problem = problem


def contract_for_form(account: Account | None, contract_id: str) -> opentrain.Contract:
    """The contract as the mirror has it; NotInMirror says why when it has none."""
    contract = reading.contract(account, contract_id)
    if contract is None:
        raise NotInMirror(reading.missing(account))
    return contract


def contracts_for_picker(account: Account | None) -> list[opentrain.Contract]:
    """The active contracts, newest first, for the picker."""
    return reading.active_contracts(account)


def refusal(contract: opentrain.Contract | None) -> Problem | None:
    """Why OpenTrain would refuse any milestone on this contract, in the words it would get
    (the 409 reasons of milestone create), or None."""
    if contract is None:
        return None
    if not contract.is_active:
        return explain(OpenTrainError("", status=409, details={"reason": "contract_ended"}))
    if contract.rate_usd is None and contract.payment_type in PRICED_BY_RATE:
        return explain(OpenTrainError("", status=409, details={"reason": "contract_rate_missing"}))
    return None


@dataclass(frozen=True)
class Commitment:
    """What a contract's milestones already add up to, against its estimated total."""

    estimated_total: Decimal | None
    committed: Decimal

    @classmethod
    def of(cls, contract: opentrain.Contract) -> Commitment:
        amounts = (m.amount_usd for m in contract.milestones if m.amount_usd is not None)
        return cls(contract.estimated_total_usd, sum(amounts, Decimal(0)))

    def over_by(self, cost: Decimal | None) -> str:
        """The warning when `cost` takes the milestones over the estimated total, else ""."""
        if self.estimated_total is None or cost is None:
            return ""
        total = self.committed + cost
        if total <= self.estimated_total:
            return ""
        return (
            f"This makes {money(total)} of milestones on a contract estimated at "
            f"{money(self.estimated_total)}: {money(total - self.estimated_total)} over."
        )
