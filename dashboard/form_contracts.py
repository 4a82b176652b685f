"""The contract a milestone form is for, and the picker's contracts: from the mirror.

The mirror stays readable while OpenTrain is down or busy, so a PM can always open the form and
send it; the submission itself still goes to OpenTrain, which has the final say.
No HTTP here.
"""

from __future__ import annotations

from dashboard import opentrain
from dashboard.mirror import reading
from dashboard.mirror.models import Account
from dashboard.opentrain.problems import Problem


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
