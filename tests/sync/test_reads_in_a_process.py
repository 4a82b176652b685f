"""A large reconciliation reads in a process of its own while the worker writes: the mirror it
leaves is the same, an error that stops the reads reaches the writer whole, and a reader that dies
or is stopped leaves no process behind."""

import contextlib
import json
import logging
import multiprocessing
import os
import signal
import threading
import time
from decimal import Decimal

import httpx
import pytest
from django.core.management import call_command
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections

from dashboard.mirror import reads
from dashboard.mirror.models import Contract, Milestone
from dashboard.opentrain import OpenTrainError
from sandbox import demo
from sandbox.models import Account as Upstream
from tests.mirror_helpers import sync_account


@pytest.fixture
def reads_in_a_process(settings):
    settings.OT_SYNC_READ_PROCESS_FROM = 1
    yield
    assert multiprocessing.active_children() == []


def test_a_full_sync_read_in_a_process_mirrors_the_sandbox_exactly(
    sandbox, db, reads_in_a_process, caplog
):
    Contract.objects.all().delete()  # every contract to read again

    with caplog.at_level(logging.INFO, logger="dashboard.sync"):
        account = sync_account(demo.OWNER)

    assert any("in a process of their own" in r.getMessage() for r in caplog.records)
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


def test_a_reader_process_killed_mid_sync_leaves_the_failure_in_words_and_the_mirror_readable(
    sandbox, db, reads_in_a_process
):
    before = sync_account(demo.OWNER)
    call_command("seed_sandbox", contracts=150, verbosity=0)
    Upstream.objects.filter(key=demo.OWNER).update(fault="latency=40")  # reads take seconds
    synced = {}

    def sync():
        try:
            synced["account"] = sync_account(demo.OWNER)
        finally:
            connections.close_all()

    syncing = threading.Thread(target=sync)
    syncing.start()
    deadline = time.monotonic() + 30
    while not multiprocessing.active_children() and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(multiprocessing.active_children()[0].pid, signal.SIGKILL)  # as the kernel would
    syncing.join(60)

    account = synced["account"]
    assert "stopped while reading contracts" in account.error
    assert account.synced_at == before.synced_at  # the last good sync, for the page to show
    assert Contract.objects.filter(account=account).count() >= before.contracts.count()


def test_answers_come_from_another_process_in_order_and_in_chunks(reads_in_a_process):
    answers = reads.in_chunks(lambda n: (n, os.getpid()), list(range(120)), 50)

    with contextlib.closing(answers):
        chunks = list(answers)

    assert [n for chunk in chunks for n, _ in chunk] == list(range(120))
    assert all(len(chunk) <= 50 for chunk in chunks)
    assert {pid for chunk in chunks for _, pid in chunk} - {os.getpid()}


def test_an_error_that_stops_the_reads_reaches_the_writer_whole_after_the_answers_before_it(
    reads_in_a_process,
):
    def read(n):
        if n == 3:
            raise OpenTrainError(
                "Service unavailable", status=503, code="UNAVAILABLE", request_id="req_reads_3"
            )
        return n

    handed_over = []
    answers = reads.in_chunks(read, list(range(10)), 50)
    with pytest.raises(OpenTrainError) as raised, contextlib.closing(answers):
        for chunk in answers:
            handed_over.extend(chunk)

    assert handed_over == [0, 1, 2]
    error = raised.value
    assert (error.status, error.code, error.request_id) == (503, "UNAVAILABLE", "req_reads_3")
    assert error.is_transport


def test_a_reader_process_that_dies_ends_the_reads_with_an_error_not_a_wait(reads_in_a_process):
    def read(n):
        if n == 2:
            os._exit(1)  # killed mid-batch, as by the kernel
        return n

    answers = reads.in_chunks(read, list(range(10)), 50)
    with pytest.raises(RuntimeError, match="reads stopped"), contextlib.closing(answers):
        list(answers)


def test_a_writer_that_stops_early_stops_the_reader_process(reads_in_a_process):
    answers = reads.in_chunks(lambda n: n, list(range(100_000)), 10)

    with contextlib.closing(answers):
        first = next(answers)

    assert first == list(range(10))
    # The fixture checks that no reader process is left.


def test_a_few_reads_stay_in_this_process(settings):
    settings.OT_SYNC_READ_PROCESS_FROM = 500
    answers = reads.in_chunks(lambda n: os.getpid(), list(range(20)), 50)

    with contextlib.closing(answers):
        pids = {pid for chunk in answers for pid in chunk}

    assert pids == {os.getpid()}
