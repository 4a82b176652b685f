"""A full reconciliation into PostgreSQL mirrors the sandbox exactly, and a second one after changes
at OpenTrain updates the rows in place: PostgreSQL gets each chunk's rows in one statement (arrays
bound in binary, read back with `unnest`), not the statement a row SQLite runs.

Needs MULTIHOST_DATABASE_URL (`tests/multihost/services.sh`; `.ci/run` runs `make multihost`).
"""

import json
import os
from decimal import Decimal

import httpx
import pytest
from django.core.serializers.json import DjangoJSONEncoder

from sandbox import demo
from scripts.servers import Server, free_port, manage, sandbox_env
from tests.multihost.mirror_db import clear_mirror, connect

DATABASE_URL = os.environ.get("MULTIHOST_DATABASE_URL", "")
BULK = 450  # three chunks of the sync's writes, and more
SANDBOX_API = "/sandbox/api/public/v1"

pytestmark = [
    pytest.mark.multihost,
    pytest.mark.skipif(not DATABASE_URL, reason="set MULTIHOST_DATABASE_URL (PostgreSQL)"),
]


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    env = sandbox_env(DATABASE_URL, PORT=str(free_port()))
    manage(env, "migrate", "--noinput")
    clear_mirror(DATABASE_URL)
    manage(env, "seed_sandbox", "--reset", "--contracts", str(BULK))
    server = Server.start(env, tmp_path_factory.mktemp("reconcile") / "web.log")
    server.env = env
    yield server
    server.stop()
    manage(env, "seed_sandbox", "--reset")  # the bulk contracts go: other modules seed afresh


@pytest.fixture(scope="module")
def api(sandbox):
    return httpx.Client(
        base_url=sandbox.url + SANDBOX_API,
        headers={"Authorization": f"Bearer {demo.OWNER_TOKEN}"},
        timeout=30,
    )


def rows(sql, *params):
    with connect(DATABASE_URL) as db:
        return db.execute(sql, params).fetchall()


def as_stored(answer: str) -> dict:
    """An answer as the mirror keeps it: exact decimals, written as strings."""
    contract = json.loads(answer, parse_float=Decimal)["contract"]
    return json.loads(json.dumps(contract, cls=DjangoJSONEncoder))


def assert_mirror_equals_the_sandbox(api):
    listed = [c["id"] for c in api.get("/contracts").json()["contracts"]]
    mirrored = rows(
        "SELECT c.contract_id, c.title, c.status, c.payment_type, c.budget_state,"
        " c.milestone_count, c.data FROM mirror_contract c JOIN mirror_account a"
        " ON c.account_id = a.id WHERE a.label = %s",
        demo.ACCOUNTS[demo.OWNER]["name"],
    )
    assert len(listed) > BULK
    assert sorted(row[0] for row in mirrored) == sorted(listed)
    milestones = {}
    for contract_id, milestone_id, name, status, amount, volume in rows(
        "SELECT c.contract_id, m.milestone_id, m.name, m.status, m.amount_usd, m.volume"
        " FROM mirror_milestone m JOIN mirror_contract c ON m.contract_id = c.id"
    ):
        milestones.setdefault(contract_id, []).append((milestone_id, name, status, amount, volume))
    for contract_id, title, status, payment_type, budget_state, count, data in mirrored:
        upstream = as_stored(api.get(f"/contracts/{contract_id}").text)
        assert data == upstream
        assert (title, status, payment_type) == (
            upstream["title"],
            upstream["status"],
            upstream["paymentType"],
        )
        assert budget_state == upstream["budget"]["state"]
        assert count == len(upstream["milestones"])
        assert sorted(milestones.get(contract_id, [])) == sorted(
            (
                m["id"],
                m["name"],
                m["status"],
                None if m["amountUsd"] is None else Decimal(m["amountUsd"]),
                None if m["volume"] is None else Decimal(m["volume"]),
            )
            for m in upstream["milestones"]
        )


def test_a_full_reconciliation_on_postgresql_mirrors_every_contract_and_milestone(sandbox, api):
    manage(sandbox.env, "opentrain_sync", "--full")

    assert_mirror_equals_the_sandbox(api)


def test_a_second_reconciliation_after_changes_updates_the_rows_in_place(sandbox, api):
    manage(sandbox.env, "opentrain_sync", "--full")
    contracts = rows("SELECT count(*) FROM mirror_contract")
    for n, slug in enumerate(("label_007", "hourly_1250", "fixed_300", "label_012", "hourly_38")):
        contract_id = demo.contract_id(demo.OWNER, slug)
        body = {"description": f"Second reconciliation {n}"}
        body |= {"amountUsd": 7} if slug.startswith("fixed") else {"volume": n + 1}
        response = api.post(f"/contracts/{contract_id}/milestones", json=body)
        assert response.status_code in (200, 201), response.text

    manage(sandbox.env, "opentrain_sync", "--full")

    assert rows("SELECT count(*) FROM mirror_contract") == contracts
    pairs = rows("SELECT contract_id, milestone_id FROM mirror_milestone")
    assert len(pairs) == len(set(pairs))
    assert_mirror_equals_the_sandbox(api)
