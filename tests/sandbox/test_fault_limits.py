"""The fault header cannot be used against the server: a usable token, a cap, a budget."""

import pytest

from sandbox.faults import BUDGET, parse
from sandbox.models import Token

from .conftest import assert_envelope

pytestmark = pytest.mark.django_db

FAULT = {"X-Sandbox-Fault": "503"}


def test_the_fault_header_is_ignored_without_a_token(api):
    response = api("GET", "/contracts", token="", headers=FAULT)

    assert_envelope(response, 401, "UNAUTHORIZED")


def test_the_fault_header_is_ignored_with_an_unknown_or_revoked_token(api):
    token = Token.objects.filter(account__key="owner").first()
    Token.objects.filter(pk=token.pk).update(revoked=True)

    unknown = api("GET", "/contracts", token="ot_pat_nosuchtoken", headers=FAULT)
    revoked = api("GET", "/contracts", token=token.value, headers=FAULT)

    assert_envelope(unknown, 401, "UNAUTHORIZED")
    assert_envelope(revoked, 401, "UNAUTHORIZED")


def test_hang_and_latency_are_capped_at_thirty_seconds():
    assert parse("hang=3600", "GET").hang_seconds == 30
    assert parse("latency=999999", "GET").latency_ms == 30_000


def test_an_account_gets_a_small_budget_of_header_faults_a_minute(api):
    answers = [api("GET", "/contracts", headers=FAULT).status_code for _ in range(BUDGET + 1)]

    assert answers[:BUDGET] == [503] * BUDGET
    assert answers[BUDGET] == 200
