"""The API client over real HTTP against the sandbox, and against faults nothing real produces."""

import json
import logging
from decimal import Decimal

import httpx
import pytest

from dashboard import opentrain
from dashboard.opentrain import transport
from sandbox.demo import OWNER_TOKEN as OWNER


@pytest.fixture
def mock_upstream(monkeypatch, settings):
    """Swap the transport for answers the sandbox cannot give (only for such faults)."""
    settings.OT_API_BASE_URL = "https://opentrain.test/api/public/v1"

    def install(handler):
        transport.use_client(httpx.Client(transport=httpx.MockTransport(handler)))
        monkeypatch.setattr(transport, "BACKOFF", (0, 0))

    return install


def test_it_lists_contracts_as_dataclasses_with_exact_money(sandbox):
    contracts = opentrain.list_contracts(OWNER)
    assert contracts
    per_label = [c for c in contracts if c.rate_usd == Decimal("0.07")]
    assert per_label and per_label[0].payment_type == "PAY_PER_LABEL"
    assert all(isinstance(c.freelancer, opentrain.Freelancer) for c in contracts)


def test_it_filters_by_status_upstream(sandbox):
    ended = opentrain.list_contracts(OWNER, status="ended")
    assert ended and {c.status for c in ended} == {"ended"}


def test_it_reads_one_contract_with_its_budget(sandbox):
    contract = opentrain.list_contracts(OWNER)[0]
    detail = opentrain.get_contract(OWNER, contract.id)
    assert detail.id == contract.id
    assert detail.budget is not None
    assert detail.budget.state in {"OK", "LOW", "DEPLETED"}


def test_a_bad_token_becomes_one_error_with_the_envelope(sandbox):
    with pytest.raises(opentrain.OpenTrainError) as caught:
        opentrain.list_contracts("ot_pat_wrong_token_value")
    error = caught.value
    assert error.status == 401
    assert error.code == "UNAUTHORIZED"
    assert error.request_id


def test_ids_are_encoded_so_they_cannot_reach_another_endpoint(sandbox):
    for sneaky in ("../auth/me", "x?status=ended", "a/../../contracts", "%2e%2e"):
        with pytest.raises(opentrain.OpenTrainError) as caught:
            opentrain.get_contract(OWNER, sneaky)
        assert caught.value.status == 404


def test_a_refused_connection_becomes_readable_words(settings, monkeypatch):
    monkeypatch.setattr(transport, "BACKOFF", (0, 0))
    settings.OT_API_BASE_URL = "http://127.0.0.1:9/api/public/v1"
    with pytest.raises(opentrain.OpenTrainError) as caught:
        opentrain.list_contracts(OWNER)
    assert caught.value.code == "CONNECTION_FAILED"
    assert caught.value.status is None
    assert "could not be reached" in caught.value.message


def test_it_tolerates_extra_fields_unknown_enums_and_a_200_for_create(mock_upstream):
    def handler(request):
        if request.method == "POST":
            body = {"milestone": {"id": "m1", "status": "BRAND_NEW", "amountUsd": 0.21, "x": 1}}
            return httpx.Response(200, json=body)
        contract = {
            "id": "c1",
            "status": "paused",
            "paymentType": "PAY_PER_TASK",
            "rateUsd": 0.07,
            "surprise": {"nested": True},
            "milestones": [{"id": "m", "status": "DISPUTED", "extra": 1}],
        }
        return httpx.Response(200, json={"contracts": [contract], "nextCursor": None})

    mock_upstream(handler)
    [contract] = opentrain.list_contracts(OWNER)
    assert contract.status == "paused"
    assert contract.rate_usd == Decimal("0.07")
    assert contract.milestones[0].status == "DISPUTED"
    milestone = opentrain.create_milestone(OWNER, "c1", description="d", volume=Decimal(3))
    assert milestone.amount_usd == Decimal("0.21")


def test_a_body_that_is_not_json_becomes_a_bad_response(mock_upstream):
    mock_upstream(lambda request: httpx.Response(200, text="<html>oops</html>"))
    with pytest.raises(opentrain.OpenTrainError) as caught:
        opentrain.list_contracts(OWNER)
    assert caught.value.code == "BAD_RESPONSE"


def test_gets_are_retried_on_503_but_posts_never(mock_upstream):
    seen = []

    def handler(request):
        seen.append(request.method)
        return httpx.Response(503, text="busy")

    mock_upstream(handler)
    with pytest.raises(opentrain.OpenTrainError):
        opentrain.list_contracts(OWNER)
    assert seen == ["GET"] * opentrain.GET_ATTEMPTS
    seen.clear()
    with pytest.raises(opentrain.OpenTrainError) as caught:
        opentrain.create_milestone(OWNER, "c1", description="d", amount_usd=Decimal(1))
    assert seen == ["POST"]
    assert caught.value.ambiguous


def test_a_429_on_a_get_is_retried_after_the_wait_it_asks_for(mock_upstream, monkeypatch):
    waits = []
    monkeypatch.setattr(transport, "sleep", waits.append)
    answers = iter(
        [
            httpx.Response(429, headers={"Retry-After": "1"}, json={"code": "RATE_LIMITED"}),
            httpx.Response(200, json={"contracts": []}),
        ]
    )
    mock_upstream(lambda request: next(answers))
    assert opentrain.list_contracts(OWNER) == []
    assert waits == [1]


def test_the_create_body_has_only_the_fields_with_values(mock_upstream):
    bodies = []

    def handler(request):
        bodies.append(json.loads(request.content))
        return httpx.Response(201, json={"milestone": {"id": "m1"}})

    mock_upstream(handler)
    opentrain.create_milestone(OWNER, "c1", description="Label 3", volume=Decimal("3"))
    opentrain.create_milestone(
        OWNER, "c1", description="d", name="n", amount_usd=Decimal("12.50"), due_date="2026-07-15"
    )
    assert bodies[0] == {"description": "Label 3", "volume": 3}
    assert bodies[1] == {
        "description": "d",
        "name": "n",
        "amountUsd": 12.5,
        "dueDate": "2026-07-15",
    }


def test_each_call_is_logged_without_the_token(sandbox, caplog):
    with caplog.at_level(logging.INFO, logger="dashboard.opentrain"):
        opentrain.list_contracts(OWNER)
        with pytest.raises(opentrain.OpenTrainError):
            opentrain.get_contract(OWNER, "nope")
    text = caplog.text
    assert "GET /contracts -> 200" in text
    assert "GET /contracts/nope -> 404" in text and "requestId=" in text
    assert OWNER not in text


def test_each_call_is_logged_with_fields_a_script_can_read_and_no_query_values(sandbox, caplog):
    with caplog.at_level(logging.INFO, logger="dashboard.opentrain"):
        opentrain.list_contracts(OWNER, status="ended")
        with pytest.raises(opentrain.OpenTrainError):
            opentrain.get_contract(OWNER, "nope")
    listed, missing = [r for r in caplog.records if r.name == "dashboard.opentrain"]
    assert (listed.ot_method, listed.ot_route, listed.ot_status) == ("GET", "/contracts", 200)
    assert listed.ot_attempt == 1 and listed.ot_request_id is None
    assert isinstance(listed.ot_ms, float)
    assert "ended" not in listed.getMessage()
    assert (missing.ot_route, missing.ot_status) == ("/contracts/nope", 404)
    assert missing.ot_request_id


def test_quiet_reads_log_their_successes_at_debug_and_their_failures_as_usual(sandbox, caplog):
    with caplog.at_level(logging.DEBUG, logger="dashboard.opentrain"), opentrain.quiet_successes():
        opentrain.list_contracts(OWNER)
        with pytest.raises(opentrain.OpenTrainError):
            opentrain.get_contract(OWNER, "nope")
    listed, missing = [r for r in caplog.records if r.name == "dashboard.opentrain"]
    assert (listed.levelno, listed.ot_status) == (logging.DEBUG, 200)
    assert (missing.levelno, missing.ot_status) == (logging.INFO, 404)


def test_a_refused_connection_is_logged_with_its_transport_code_on_every_attempt(
    settings, monkeypatch, caplog
):
    monkeypatch.setattr(transport, "BACKOFF", (0, 0))
    settings.OT_API_BASE_URL = "http://127.0.0.1:9/api/public/v1"
    with (
        caplog.at_level(logging.INFO, logger="dashboard.opentrain"),
        pytest.raises(opentrain.OpenTrainError),
    ):
        opentrain.list_contracts(OWNER)
    records = [r for r in caplog.records if r.name == "dashboard.opentrain"]
    assert [r.ot_attempt for r in records] == list(range(1, opentrain.GET_ATTEMPTS + 1))
    assert {r.ot_status for r in records} == {"CONNECTION_FAILED"}


def test_timestamps_are_read_with_z_and_anything_unreadable_is_none():
    when = opentrain.parse_timestamp("2026-07-15T09:30:00Z")
    assert when is not None and when.utcoffset().total_seconds() == 0 and when.hour == 9
    assert opentrain.parse_timestamp("2026-07-15").day == 15
    assert [opentrain.parse_timestamp(v) for v in (None, "", "soon", "2026-13-45")] == [None] * 4
