"""The real thing, end to end: gunicorn serving the dashboard and its sandbox, and the worker in a
process of its own. A change at OpenTrain reaches the mirror through the signed webhook and the
worker; a worker killed and started again catches up; a batch whose worker is killed mid-run
finishes without a duplicate milestone (counted in the sandbox)."""

import signal
import sqlite3
import subprocess
import sys
import time

import httpx
import pytest

from sandbox import demo
from scripts.pm_client import form_inputs, sign_in
from scripts.servers import ROOT, Server, free_port, manage, sandbox_env
from tests.batch_helpers import csv_file, valid_row

LABELS = demo.contract_id(demo.OWNER, "label_007")
EDITOR, PASSWORD = "batch-pm", "a long test password"


def wait_for(check, seconds=30.0):
    """Poll until `check()` is true; the answer, or None after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    return None


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    folder = tmp_path_factory.mktemp("worker")
    port = free_port()
    database = folder / "db.sqlite3"
    # A long backstop: what arrives quickly arrives through the webhook.
    env = sandbox_env(f"sqlite:///{database}", PORT=str(port), OT_SYNC_POLL_SECONDS="300")
    manage(env, "migrate", "--noinput")
    manage(env, "seed_sandbox")
    manage(env, "make_editors", EDITOR, "--password", PASSWORD)
    server = Server.start(env, folder / "web.log")
    workers = []

    def start_worker():
        log = (folder / f"worker{len(workers)}.log").open("wb")
        worker = subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "sync_worker",
                "--register-webhook",
                f"{server.url}/webhooks/opentrain/",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        workers.append(worker)
        return worker

    yield server, database, start_worker, workers
    for worker in workers:
        worker.kill()
        worker.wait()
    server.stop()


def query(database, sql, *params):
    with sqlite3.connect(database, timeout=10) as db:
        return db.execute(sql, params).fetchall()


def mirrored(database, milestone_id):
    return query(database, "SELECT 1 FROM mirror_milestone WHERE milestone_id = ?", milestone_id)


def create_milestone(server, description):
    response = httpx.post(
        f"{server.url}/sandbox/api/public/v1/contracts/{LABELS}/milestones",
        headers={"Authorization": f"Bearer {demo.OWNER_TOKEN}"},
        json={"description": description, "volume": 3},
    )
    assert response.status_code in (200, 201), response.text
    return response.json()["milestone"]["id"]


def test_a_change_at_opentrain_reaches_the_mirror_through_the_webhook_and_the_worker(stack):
    server, database, start_worker, _ = stack
    start_worker()
    assert wait_for(lambda: query(database, "SELECT 1 FROM mirror_webhooksubscription"))
    assert wait_for(
        lambda: query(database, "SELECT 1 FROM mirror_account WHERE synced_at IS NOT NULL")
    )

    created = create_milestone(server, "Reaches the mirror by webhook")

    assert wait_for(lambda: mirrored(database, created), seconds=20)
    assert query(database, "SELECT count(*) FROM mirror_delivery")[0][0] >= 1


def test_a_worker_killed_and_started_again_catches_up_without_duplicates(stack):
    server, database, start_worker, workers = stack
    for worker in workers:
        worker.send_signal(signal.SIGKILL)
        worker.wait()

    created = [create_milestone(server, f"While no worker ran {n}") for n in range(3)]
    time.sleep(1)  # the deliveries land while nothing works the queue
    assert not any(mirrored(database, m) for m in created)
    start_worker()

    assert wait_for(lambda: all(mirrored(database, m) for m in created), seconds=30)
    rows = query(database, "SELECT contract_id, milestone_id FROM mirror_milestone")
    assert len(rows) == len(set(rows))


def post_form(pm, page, action=None, ticked=(), **files):
    """Post a form on `page` to `action` (the page itself by default) as a browser would, with
    the page's CSRF token, its other hidden fields and the `ticked` boxes."""
    inputs = form_inputs(pm.get(page).text)
    data = {
        name: inputs[name] for name in ("csrfmiddlewaretoken", "over_total_lines") if name in inputs
    }
    data |= {name: "on" for name in ticked}
    return pm.post(action or page, data=data, files=files or None)


def killed_batch_rows(database):
    return query(
        database,
        "SELECT description, count(*) FROM sandbox_milestone "
        "WHERE description LIKE 'Killed batch row %' GROUP BY description",
    )


def test_a_batch_whose_worker_is_killed_mid_run_finishes_without_duplicates(stack):
    server, database, start_worker, workers = stack
    for worker in workers:
        worker.send_signal(signal.SIGKILL)
        worker.wait()
    # Each OpenTrain answer takes a while, so the kill lands mid-batch.
    query(database, "UPDATE sandbox_account SET fault = 'latency=250' WHERE key = 'owner'")
    rows = [{**valid_row(n), "description": f"Killed batch row {n}"} for n in range(1, 13)]
    pm = sign_in(server.url, EDITOR, PASSWORD)
    uploaded = post_form(pm, "/milestones/import/", file=("week.csv", csv_file(rows).getvalue()))
    assert uploaded.status_code == 302, uploaded.text[:2000]
    batch = uploaded.headers["location"]
    # FIXED's rows go over its estimated total: the PM ticks the box that sends them anyway.
    confirmed = post_form(pm, batch, f"{batch}confirm/", ticked=["confirm_over_total"])
    assert confirmed.status_code == 302

    start_worker()
    assert wait_for(lambda: len(killed_batch_rows(database)) >= 3, seconds=60)
    workers[-1].send_signal(signal.SIGKILL)  # mid-batch, maybe mid-call
    workers[-1].wait()
    assert len(killed_batch_rows(database)) < len(rows) - 1, "the kill came too late"
    start_worker()
    # The batch page's "Resume sending": rows already sent keep their keys.
    assert post_form(pm, batch, f"{batch}retry/").status_code == 302

    # Every row reaches OpenTrain except, at most, the one whose call the kill cut: its outcome
    # is unknown until the contract is checked again ("Retry the failed rows" does that).
    assert wait_for(lambda: len(killed_batch_rows(database)) >= len(rows) - 1, seconds=90)
    time.sleep(2)  # nothing more arrives
    created = killed_batch_rows(database)
    assert all(count == 1 for _, count in created), created
    assert len(created) in (len(rows) - 1, len(rows))
    query(database, "UPDATE sandbox_account SET fault = '' WHERE key = 'owner'")


def test_a_milestone_opentrain_creates_after_the_form_gave_up_settles_within_ten_seconds(stack):
    server, database, start_worker, workers = stack
    if not any(worker.poll() is None for worker in workers):
        start_worker()
    # A worker another test killed may still hold an account's lease (it lapses after 2 min).
    query(database, "UPDATE mirror_account SET lease_until = NULL, lease_owner = ''")
    pm = sign_in(server.url, EDITOR, PASSWORD, timeout=60)
    form = f"/contracts/{LABELS}/milestones/new/"
    typed = form_inputs(pm.get(form).text) | {"description": "Carried out late", "volume": "3"}
    # The dashboard gives up after 10 s (OT_API_TIMEOUT); OpenTrain creates it 2 s later.
    query(database, "UPDATE sandbox_account SET fault = 'POST:late=12' WHERE key = 'owner'")
    try:
        answer = pm.post(form, data=typed)
    finally:
        query(database, "UPDATE sandbox_account SET fault = '' WHERE key = 'owner'")
    assert "Not known yet whether the milestone was created" in answer.text

    def landed():
        return query(
            database, "SELECT 1 FROM sandbox_milestone WHERE description = ?", typed["description"]
        )

    def settled():
        return query(
            database,
            "SELECT milestone_id FROM dashboard_submission WHERE state = 'created' AND key = ?",
            typed["submission_key"].replace("-", ""),
        )

    assert wait_for(landed, seconds=15)
    assert wait_for(settled, seconds=10)
