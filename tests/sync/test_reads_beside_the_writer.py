"""A full reconciliation reads in threads beside the worker, which writes what came before: the
mirror it leaves is the sandbox's, an error that stops the reads reaches the writer after the
contracts read before it were saved, and no reader is left running afterwards."""

import json
import logging
import threading
from decimal import Decimal

import httpx
import pytest
from django.core.management import call_command
from django.core.serializers.json import DjangoJSONEncoder

from dashboard import opentrain
from dashboard.mirror.models import Contract, Milestone
from dashboard.opentrain import transport
from sandbox import demo
from sandbox.models import Account as Upstream
from tests.mirror_helpers import sync_account

DETAIL = "/contracts/"


@pytest.fixture
def readers():
    """The threads that sent each contract's detail read, as the requests went out over HTTP."""
    seen: list[threading.Thread] = []

    def record(request: httpx.Request) -> None:
        if DETAIL in request.url.path:
            seen.append(threading.current_thread())

    spy = transport.build_client(event_hooks={"request": [record]})
    transport.use_client(spy)
    yield seen
    spy.close()


def test_a_full_sync_mirrors_the_sandbox_exactly(sandbox, db):
    Contract.objects.all().delete()  # every contract to read again

    account = sync_account(demo.OWNER)

    assert account.error == ""
    api = httpx.Client(
        base_url=f"{sandbox.url}/sandbox/api/public/v1",
        headers={"Authorization": f"Bearer {demo.OWNER_TOKEN}"},
    )
    listed = api.get("/contracts").json()["contracts"]
    rows = Contract.objects.filter(account=account)
    assert sorted(rows.values_list("contract_id", flat=True)) == sorted(c["id"] for c in listed)
    for row in rows:
        upstream = json.loads(api.get(f"/contracts/{row.contract_id}").text, parse_float=Decimal)
        assert row.data == json.loads(json.dumps(upstream["contract"], cls=DjangoJSONEncoder))
        assert row.has_budget and row.budget_state
        assert Milestone.objects.filter(contract=row).count() == len(row.data["milestones"])


def test_the_reads_run_beside_the_writer_and_no_reader_is_left_after_a_sync(sandbox, db, readers):
    Contract.objects.all().delete()
    readers.clear()

    account = sync_account(demo.OWNER)

    assert account.error == ""
    assert len(readers) == Contract.objects.filter(account=account).count()
    assert threading.current_thread() not in readers
    assert not any(reader.is_alive() for reader in readers)


def test_an_error_that_stops_the_reads_reaches_the_writer_after_the_contracts_read_before_it(
    sandbox, db
):
    Contract.objects.all().delete()
    listed = [c.id for c in opentrain.list_contracts(demo.OWNER_TOKEN)]
    broken = listed[len(listed) // 2]
    Upstream.objects.filter(key=demo.OWNER).update(fault=f"GET@{broken}:500")

    account = sync_account(demo.OWNER)

    assert account.error.startswith("OpenTrain is not answering properly")
    assert account.error_request_id  # the sandbox's requestId, for OpenTrain's support
    mirrored = Contract.objects.filter(account=account).values_list("contract_id", flat=True)
    assert sorted(mirrored) == sorted(listed[: listed.index(broken)])


def test_a_sync_stopped_early_reads_no_further_and_leaves_no_reader_running(sandbox, db, readers):
    call_command("seed_sandbox", contracts=150, verbosity=0)
    Contract.objects.all().delete()
    listed = [c.id for c in opentrain.list_contracts(demo.OWNER_TOKEN)]
    readers.clear()
    # Every read takes a while, and the third fails: reading all would take over 20 s.
    Upstream.objects.filter(key=demo.OWNER).update(fault=f"latency=300,GET@{listed[2]}:500")

    account = sync_account(demo.OWNER)

    assert account.error.startswith("OpenTrain is not answering properly")
    assert sorted(
        Contract.objects.filter(account=account).values_list("contract_id", flat=True)
    ) == sorted(listed[:2])
    assert 3 <= len(readers) < 20
    assert not any(reader.is_alive() for reader in readers)


def test_a_syncs_successful_reads_log_at_debug_and_the_failed_one_as_usual(sandbox, db, caplog):
    Contract.objects.all().delete()
    listed = [c.id for c in opentrain.list_contracts(demo.OWNER_TOKEN)]
    broken = listed[len(listed) // 2]
    Upstream.objects.filter(key=demo.OWNER).update(fault=f"GET@{broken}:500")

    with caplog.at_level(logging.DEBUG, logger="dashboard.opentrain"):
        sync_account(demo.OWNER)

    reads = {
        record.ot_route.rpartition("/")[2]: record.levelno
        for record in caplog.records
        if record.name == "dashboard.opentrain" and DETAIL in record.ot_route
    }
    assert reads[broken] == logging.WARNING
    assert {reads[contract_id] for contract_id in listed[: listed.index(broken)]} == {logging.DEBUG}
