"""Two sync workers at once on one PostgreSQL: every change reaches the mirror once.

Needs MULTIHOST_DATABASE_URL (`tests/multihost/services.sh`; `.ci/run` runs `make multihost`).
One gunicorn serves the dashboard and its sandbox; two `sync_worker` processes share the queue
and the mirror, as two worker machines would.
"""

import os
import subprocess
import sys
import time

import httpx
import pytest

from sandbox import demo
from scripts.servers import ROOT, Server, free_port, manage, sandbox_env
from tests.multihost.mirror_db import clear_mirror, connect

DATABASE_URL = os.environ.get("MULTIHOST_DATABASE_URL", "")
SLUGS = ("label_007", "hourly_1250", "fixed_300", "label_012", "hourly_38")

pytestmark = [
    pytest.mark.multihost,
    pytest.mark.skipif(not DATABASE_URL, reason="set MULTIHOST_DATABASE_URL (PostgreSQL)"),
]


@pytest.fixture(scope="module")
def env():
    return sandbox_env(
        DATABASE_URL, PORT=str(free_port()), OT_SYNC_POLL_SECONDS="2", WEB_CONCURRENCY="2"
    )


@pytest.fixture(scope="module")
def stack(env, tmp_path_factory):
    folder = tmp_path_factory.mktemp("two-workers")
    manage(env, "migrate", "--noinput")
    manage(env, "seed_sandbox", "--reset")
    clear_mirror(DATABASE_URL)  # a mirror left by another module or run would not match
    server = Server.start(env, folder / "web.log")
    workers = [
        subprocess.Popen(
            [sys.executable, "manage.py", "sync_worker"]
            + (["--register-webhook", f"{server.url}/webhooks/opentrain/"] if n == 0 else []),
            cwd=ROOT,
            env=env,
            stdout=(folder / f"worker{n}.log").open("wb"),
            stderr=subprocess.STDOUT,
        )
        for n in range(2)
    ]
    yield server
    for worker in workers:
        worker.kill()
        worker.wait()
    server.stop()


def rows(sql, *params):
    with connect(DATABASE_URL) as db:
        return db.execute(sql, params).fetchall()


def wait_for(check, seconds=60.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.5)
    return False


def test_two_workers_mirror_every_change_once_and_equal_to_the_sandbox(stack):
    api = httpx.Client(
        base_url=f"{stack.url}/sandbox/api/public/v1",
        headers={"Authorization": f"Bearer {demo.OWNER_TOKEN}"},
        timeout=30,
    )
    assert wait_for(lambda: rows("SELECT 1 FROM mirror_account WHERE synced_at IS NOT NULL"))
    created = []
    for n in range(30):
        contract = demo.contract_id(demo.OWNER, SLUGS[n % len(SLUGS)])
        body = {"description": f"Two workers {n}"}
        body |= {"amountUsd": 7} if "fixed" in contract else {"volume": n + 1}
        response = api.post(f"/contracts/{contract}/milestones", json=body)
        assert response.status_code in (200, 201), response.text
        created.append(response.json()["milestone"]["id"])

    def mirrored():
        found = {r[0] for r in rows("SELECT milestone_id FROM mirror_milestone")}
        return set(created) <= found

    assert wait_for(mirrored)
    pairs = rows("SELECT contract_id, milestone_id FROM mirror_milestone")
    assert len(pairs) == len(set(pairs))
    for slug in SLUGS:
        contract = demo.contract_id(demo.OWNER, slug)
        upstream = {
            m["id"] for m in api.get(f"/contracts/{contract}").json()["contract"]["milestones"]
        }
        mine = {
            r[0]
            for r in rows(
                "SELECT m.milestone_id FROM mirror_milestone m JOIN mirror_contract c"
                " ON m.contract_id = c.id WHERE c.contract_id = %s",
                contract,
            )
        }
        assert mine == upstream, slug


def test_usage_the_two_workers_apply_is_counted_once_in_the_days_used_money(stack, env):
    hourly = demo.contract_id(demo.OWNER, "hourly_15")  # $15 an hour: 10 funded, 2.5 used

    def used():
        found = rows("SELECT used_usd FROM mirror_contract WHERE contract_id = %s", hourly)
        return found[0][0] if found else None

    assert wait_for(lambda: used() is not None)
    before = used()
    for hours in ("6", "2"):  # to LOW, then DEPLETED: each an event both workers may follow
        manage(env, "sandbox_usage", hourly, hours)

    assert wait_for(lambda: used() == before + 8 * 15)
    counted = rows("SELECT SUM(used_usd) FROM mirror_spendday WHERE payment_type = 'PAY_PER_HOUR'")
    assert counted[0][0] == 8 * 15
