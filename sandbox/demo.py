"""The demo accounts: their keys, tokens and labels are written here and nowhere else.

The seed command creates them; tests, scripts and docs name them through this module.
"""

OWNER = "owner"
UNCLAIMED = "unclaimed"
READONLY = "readonly"
NOFEATURE = "nofeature"
NOBILLING = "nobilling"

# Fixed values, so docs, tests and scripts can name them; they only ever open the sandbox.
OWNER_TOKEN = "ot_pat_sbxowner_sandboxsecret0001"
UNCLAIMED_TOKEN = "ot_pat_sbxunclaimed_sandboxsecret0002"
READONLY_TOKEN = "ot_pat_sbxreadonly_sandboxsecret0003"
NOFEATURE_TOKEN = "ot_pat_sbxnofeature_sandboxsecret0004"
NOBILLING_TOKEN = "ot_pat_sbxnobilling_sandboxsecret0005"

ALL_SCOPES = [
    "jobs:read",
    "jobs:write",
    "proposals:read",
    "proposals:write",
    "messages:read",
    "messages:write",
    "payments:read",
    "payments:write",
    "team:read",
    "team:write",
    "webhooks:manage",
]
PRE_CLAIM_SCOPES = [
    "jobs:read",
    "jobs:write",
    "proposals:read",
    "messages:read",
    "payments:read",
    "team:read",
]

# key -> account settings, in the order the "Act as" menu lists them (the owner first).
ACCOUNTS = {
    OWNER: {
        "name": "Northwind Labs (claimed)",
        "description": "Everything on: claimed, payments writes, a card on file. The default.",
        "token": OWNER_TOKEN,
        "scopes": ALL_SCOPES,
        "owner": ("mira.chen@northwind.example", "Mira", "Chen"),
    },
    UNCLAIMED: {
        "name": "Agent workspace (unclaimed)",
        "description": "Created by an agent and not yet claimed: milestone writes ask for a claim.",
        "token": UNCLAIMED_TOKEN,
        "scopes": [*PRE_CLAIM_SCOPES, "payments:write"],
        "claimed": False,
        "owner": ("agent@agents.example", "Agent", "Workspace"),
    },
    READONLY: {
        "name": "Read-only token (no payments:write)",
        "description": "The token can read contracts but lacks payments:write and webhooks:manage.",
        "token": READONLY_TOKEN,
        "scopes": [s for s in ALL_SCOPES if s not in ("payments:write", "webhooks:manage")],
        "owner": ("ops@readonly.example", "Ravi", "Patel"),
    },
    NOFEATURE: {
        "name": "Payments writes switched off",
        "description": "The public_api_payments_write and public_api_webhooks features are off "
        "for this account.",
        "token": NOFEATURE_TOKEN,
        "scopes": ALL_SCOPES,
        "payments_write_enabled": False,
        "webhooks_enabled": False,
        "owner": ("lead@nofeature.example", "Ana", "Souza"),
    },
    NOBILLING: {
        "name": "No payment method",
        "description": "Claimed and enabled, but no card on file: funding asks for billing.",
        "token": NOBILLING_TOKEN,
        "scopes": ALL_SCOPES,
        "has_payment_method": False,
        "owner": ("finance@nobilling.example", "Jonas", "Berg"),
    },
}


def contract_id(account_key: str, slug: str) -> str:
    """The id of a seeded contract, e.g. `contract_id(OWNER, "fixed_300")`."""
    return f"ctr_{account_key}_{slug}"


def milestone_id(account_key: str, slug: str, number: int) -> str:
    """The id of a seeded contract's milestone `number` (1, 2, ...)."""
    return f"ms_{account_key}_{slug}_{number}"
