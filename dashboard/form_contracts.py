"""The contract a milestone form is for: from the cached list, OpenTrain, or, while OpenTrain is
down or busy, the contract the form was last rendered for.

The remembered contract only lets a PM who typed while OpenTrain went away send their form: the
submission itself still goes to OpenTrain, which has the final say.
No HTTP here: everything upstream goes through `dashboard.opentrain`.
"""

from __future__ import annotations

from django.core.cache import cache

from dashboard import opentrain, services
from dashboard.opentrain import OpenTrainError

FORM_CONTRACT_SECONDS = 3600


def remember(token: str, contract: opentrain.Contract) -> None:
    """Keep the contract a form was rendered for, so a submit still works if OpenTrain blips."""
    cache.set(_key(token, contract.id), contract, FORM_CONTRACT_SECONDS)


def contract_for_form(token: str, contract_id: str) -> opentrain.Contract:
    """From the cached contract list when it has it; otherwise ask OpenTrain for this one."""
    try:
        contracts, _ = services.contracts(token)
        found = next((c for c in contracts if c.id == contract_id), None)
        return found if found is not None else opentrain.get_contract(token, contract_id)
    except OpenTrainError as error:
        return _remembered_instead(token, contract_id, error)


def contracts_for_picker(token: str, posted: str = "") -> list[opentrain.Contract]:
    """Every contract for the picker; only the `posted` one (a form sent back) when OpenTrain
    cannot list them."""
    try:
        contracts, _ = services.contracts(token)
    except OpenTrainError as error:
        return [_remembered_instead(token, posted, error)]
    return contracts


def _remembered_instead(token: str, contract_id: str, error: OpenTrainError) -> opentrain.Contract:
    """The remembered contract when `error` says OpenTrain is down or busy; else `error` stands."""
    remembered = cache.get(_key(token, contract_id)) if contract_id else None
    if remembered is None or not (error.is_transport or error.status == 429):
        raise error
    return remembered


def _key(token: str, contract_id: str) -> str:
    return f"form-contract:{services.token_fingerprint(token, contract_id)}"
