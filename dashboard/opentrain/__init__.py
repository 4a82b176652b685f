"""The OpenTrain Public API client: the only code that knows HTTP and the API's JSON.

Callers use the package: `opentrain.get_contract(token, id)`, `opentrain.OpenTrainError`,
`opentrain.Contract`. Inside, one module a job: `errors`, `results` (the dataclasses),
`vocabulary` (the API's words and their labels, timestamps), `transport` (pooled HTTP, retries,
logging, the seam for tests), `endpoints` (one function an endpoint) and `problems` (failures in
words; import it as `dashboard.opentrain.problems`). The token is passed in and never logged.
"""

from dashboard.opentrain.endpoints import (
    approve_milestone,
    check_claim,
    create_milestone,
    create_webhook,
    delete_webhook,
    end_contract,
    fund_milestone,
    get_approval,
    get_capabilities,
    get_contract,
    get_contract_raw,
    get_me,
    list_contracts,
    list_contracts_raw,
    list_pending_payments,
    list_updates,
    list_webhooks,
    milestone_payload,
    parse_contract,
    parse_contracts,
)
from dashboard.opentrain.errors import OpenTrainError
from dashboard.opentrain.results import (
    Approval,
    Budget,
    Contract,
    Event,
    Freelancer,
    Handoff,
    Me,
    Milestone,
    UpdatesPage,
)
from dashboard.opentrain.transport import (
    GET_ATTEMPTS,
    RETRY_AFTER_CAP,
    quiet_successes,
)
from dashboard.opentrain.vocabulary import parse_timestamp

__all__ = [
    "GET_ATTEMPTS",
    "RETRY_AFTER_CAP",
    "Approval",
    "Budget",
    "Contract",
    "Event",
    "Freelancer",
    "Handoff",
    "Me",
    "Milestone",
    "OpenTrainError",
    "UpdatesPage",
    "approve_milestone",
    "check_claim",
    "create_milestone",
    "create_webhook",
    "delete_webhook",
    "end_contract",
    "fund_milestone",
    "get_approval",
    "get_capabilities",
    "get_contract",
    "get_contract_raw",
    "get_me",
    "list_contracts",
    "list_contracts_raw",
    "list_pending_payments",
    "list_updates",
    "list_webhooks",
    "milestone_payload",
    "parse_contract",
    "parse_contracts",
    "parse_timestamp",
    "quiet_successes",
]
