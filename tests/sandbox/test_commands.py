"""The sandbox's commands for the benchmark and the load tests: faults and milestone counts."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from sandbox.models import Account

from .conftest import ctr


def _call(*args):
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_sandbox_fault_sets_and_clears_an_accounts_fault(seeded):
    _call("sandbox_fault", "owner", "latency=50")
    assert Account.objects.get(key="owner").fault == "latency=50"

    _call("sandbox_fault", "owner")
    assert Account.objects.get(key="owner").fault == ""


def test_sandbox_fault_from_stdin_applies_each_line_and_answers_ok(seeded, monkeypatch):
    monkeypatch.setattr("sys.stdin", StringIO("POST:503\nhtml\n"))

    output = _call("sandbox_fault", "nobilling", "--stdin")

    assert output.splitlines() == ["ok", "ok"]
    assert Account.objects.get(key="nobilling").fault == "html"


def test_sandbox_fault_names_an_unknown_account(seeded):
    with pytest.raises(CommandError, match="nosuch"):
        _call("sandbox_fault", "nosuch", "latency=50")


def test_sandbox_count_counts_a_contracts_milestones_by_name(seeded):
    assert _call("sandbox_count", ctr("label_007")).strip() == "3"
    assert _call("sandbox_count", ctr("label_007"), "--name", "Batch A").strip() == "1"
    assert _call("sandbox_count", ctr("label_007"), "--name", "No such").strip() == "0"
