"""Running the sync in the test process, as the worker would: over real HTTP to the sandbox."""

from dashboard import services
from dashboard.mirror import sync
from dashboard.mirror.models import Account
from sandbox import demo


def sync_account(key: str = demo.OWNER, *, full: bool = True) -> Account:
    """Bring one demo account's mirror up to date now; returns its mirror account."""
    spec = demo.ACCOUNTS[key]
    account = sync.account_for(services.token_fingerprint(spec["token"]), spec["name"])
    sync.sync_account(account, spec["token"], full=full)
    account.refresh_from_db()
    return account


def sync_all(*, full: bool = True) -> None:
    for key in demo.ACCOUNTS:
        sync_account(key, full=full)


def refresh_contract(contract_id: str, key: str = demo.OWNER) -> None:
    """Re-read one contract into the mirror, as the worker does for an event that names it."""
    spec = demo.ACCOUNTS[key]
    account = sync.account_for(services.token_fingerprint(spec["token"]), spec["name"])
    sync.refresh_contract(account, spec["token"], contract_id)
    account.bump()


def sync_token(token: str) -> Account:
    """A sync with any token (a production-style OT_API_TOKEN), as the worker would run it."""
    account = sync.account_for(services.token_fingerprint(token), "OpenTrain account")
    sync.sync_account(account, token, full=True)
    account.refresh_from_db()
    return account


def apply_approval(approval_id: str, key: str = demo.OWNER) -> None:
    """Re-read one approval (and its contract) into the mirror, as the worker does for an
    `approval.*` event."""
    spec = demo.ACCOUNTS[key]
    account = sync.account_for(services.token_fingerprint(spec["token"]), spec["name"])
    sync.refresh_approval(account, spec["token"], approval_id)
    account.bump()
