"""Helpers shared by the milestone and activity tests (plain functions, not fixtures)."""

import re
from datetime import date, timedelta

import httpx

from dashboard import demo_accounts
from dashboard.opentrain import transport
from sandbox.models import Account, Milestone
from tests import mirror_helpers

FIXED = "ctr_owner_fixed_300"
HOURLY = "ctr_owner_hourly_1250"  # $12.50 / hour
LABELS = "ctr_owner_label_007"  # $0.07 / label
NO_RATE = "ctr_owner_label_norate"
ENDED = "ctr_owner_ended"


# A due date the form accepts whenever the tests run (a past one is refused).
LATER = (date.today() + timedelta(days=60)).isoformat()


def form_url(contract_id: str) -> str:
    return f"/contracts/{contract_id}/milestones/new/"


def posts(calls) -> list:
    return [c for c in calls if c[0] == "POST"]


def use_account(client, key: str) -> None:
    """Act as one of the sandbox's demo accounts (synced into the mirror, as the worker would)."""
    session = client.session
    session[demo_accounts.SANDBOX_ACCOUNT_KEY] = key
    session.save()
    mirror_helpers.sync_account(key)


def submission_key(html: str) -> str:
    return re.search(r'name="submission_key" value="([0-9a-f-]{36})"', html).group(1)


def open_form(client, contract_id: str) -> str:
    """GET the form (caching the contract list, as a PM's browser would) and return its key."""
    response = client.get(form_url(contract_id))
    assert response.status_code == 200
    return submission_key(response.content.decode())


def milestones(contract_id: str) -> list[Milestone]:
    return list(Milestone.objects.filter(contract_id=contract_id).order_by("number"))


def mock_api(handler) -> None:
    """Answer upstream requests with `handler`: for faults the sandbox cannot make."""
    transport.use_client(httpx.Client(transport=httpx.MockTransport(handler)))


def envelope(status: int, code: str, message: str, details: dict | None = None, **headers):
    body = {"error": message, "code": code, "requestId": "req-mock-123"}
    if details is not None:
        body["details"] = details
    return httpx.Response(status, json=body, headers=headers)


FIXED_FORM = {
    "name": "Second batch",
    "description": "Label the next 5,000 posts",
    "amount_usd": "300",
}


def send(client, contract_id, data, key=None, *, over_total_ok=True, **headers):
    """Post the form as typed. FIXED's one milestone already uses its whole estimated total, so
    by default the PM has ticked "Create it anyway" (`over_total_ok=False` leaves it unticked)."""
    key = key or open_form(client, contract_id)
    data = {**data, "submission_key": key}
    if over_total_ok:
        data.setdefault("confirm_over_total", "on")
    return client.post(form_url(contract_id), data, headers=headers)


def set_fault(fault: str, account: str = "owner") -> None:
    Account.objects.filter(key=account).update(fault=fault)


def assert_input_kept(html: str, data: dict) -> None:
    for name, value in data.items():
        if name == "description":
            assert f">{value}</textarea>" in html or f">\n{value}</textarea>" in html
        else:
            assert f'value="{value}"' in html
