"""After the dashboard's own writes to OpenTrain: re-read the contract they touched into the
mirror before the answer is shown, so the next page already has it without waiting for the worker.

A failed re-read only means the worker brings the change a little later: it never turns a write
that succeeded into an error.
"""

from __future__ import annotations

import logging

from dashboard import services
from dashboard.mirror import sync
from dashboard.opentrain import OpenTrainError

logger = logging.getLogger("dashboard.sync")


def refresh_contract(token: str, contract_id: str) -> None:
    if not token or not contract_id:
        return
    account = sync.account_for(services.token_fingerprint(token))
    try:
        changed = sync.refresh_contract(account, token, contract_id)
    except OpenTrainError as error:
        logger.warning(
            "re-reading %s after a write failed: %s",
            contract_id,
            error.code or error.status,
            extra={"account": account.pk},
        )
        return
    if changed:
        account.bump()  # open pages redraw
