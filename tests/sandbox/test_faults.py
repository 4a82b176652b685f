"""Injected faults. The socket-level ones (drop, truncated, hang) go over a real live server."""

import time

import httpx
import pytest

from sandbox.demo import OWNER_TOKEN, READONLY_TOKEN
from sandbox.faults import ConnectionDropped, parse
from sandbox.models import Account, Milestone

from .conftest import BASE, assert_envelope, ctr

pytestmark = pytest.mark.django_db

CREATE = f"/contracts/{ctr('fixed_300')}/milestones"
BODY = {"description": "Fault test", "amountUsd": 25}


def _created():
    return Milestone.objects.filter(description="Fault test").count()


def _fault(name):
    return {"X-Sandbox-Fault": name}


def test_the_fault_syntax_scopes_by_method_and_reads_values():
    faults = parse("latency=150, POST:500, GET:429=7", "GET")
    assert faults.latency_ms == 150
    assert faults.status == 429
    assert faults.retry_after == 7
    assert parse("POST:500", "GET").status is None
    assert not parse("bogus", "GET")


def test_latency_delays_then_answers_normally(api):
    started = time.monotonic()
    response = api("GET", "/auth/me", headers=_fault("latency=200"))
    assert response.status_code == 200
    assert time.monotonic() - started >= 0.2


@pytest.mark.parametrize("status", [500, 502, 503])
def test_a_server_error_fault_answers_the_envelope_and_does_nothing(api, status):
    response = api("POST", CREATE, body=BODY, headers=_fault(str(status)))
    assert_envelope(response, status, "INTERNAL_ERROR")
    assert _created() == 0


def test_a_rate_limit_fault_says_when_to_retry(api):
    response = api("GET", "/contracts", headers=_fault("429"))
    assert_envelope(response, 429, "RATE_LIMITED")
    assert response["Retry-After"] == "2"
    assert api("GET", "/contracts", headers=_fault("429=9"))["Retry-After"] == "9"


def test_an_html_fault_answers_a_proxy_error_page(api):
    response = api("GET", "/contracts", headers=_fault("html"))
    assert response.status_code == 502
    assert response["Content-Type"].startswith("text/html")
    assert b"Bad Gateway" in response.content


def test_a_notjson_fault_does_the_write_but_garbles_the_answer(api):
    response = api("POST", CREATE, body=BODY, headers=_fault("notjson"))
    assert response.status_code == 200
    assert response.content == b"not json"
    assert _created() == 1


def test_a_method_scoped_fault_spares_other_methods(api):
    assert api("GET", "/contracts", headers=_fault("POST:503")).status_code == 200
    assert api("POST", CREATE, body=BODY, headers=_fault("POST:503")).status_code == 503


def test_an_account_fault_applies_to_every_request_with_its_tokens(api):
    Account.objects.filter(key="owner").update(fault="503")
    assert api("GET", "/contracts").status_code == 503
    assert api("GET", "/contracts", token=None).status_code == 401
    assert api("GET", "/contracts", token=READONLY_TOKEN).status_code == (200)


def test_a_drop_without_a_socket_raises_after_the_write(api):
    with pytest.raises(ConnectionDropped):
        api("POST", CREATE, body=BODY, headers=_fault("drop"))
    assert _created() == 1


def test_truncated_keeps_the_status_and_sends_half_the_body(api):
    response = api("GET", "/auth/me", headers=_fault("truncated"))
    full = api("GET", "/auth/me").content
    body = b"".join(response.streaming_content)
    assert response.status_code == 200
    assert response["Content-Length"] == str(len(full))
    assert body == full[: len(full) // 2]


# --- over a real socket ------------------------------------------------------------------------


@pytest.fixture
def http(seeded, live_server):
    client = httpx.Client(
        base_url=f"{live_server.url}{BASE}",
        headers={"Authorization": f"Bearer {OWNER_TOKEN}"},
        timeout=5,
    )
    yield client
    client.close()


def test_a_dropped_connection_after_a_create_leaves_the_milestone_created(http):
    with pytest.raises(httpx.RemoteProtocolError):
        http.post(CREATE, json=BODY, headers=_fault("drop"))
    assert _created() == 1
    # The server is still fine afterwards.
    assert http.get("/auth/me").status_code == 200


def test_an_account_drop_fault_drops_over_a_socket(http):
    Account.objects.filter(key="owner").update(fault="POST:drop")
    with pytest.raises(httpx.RemoteProtocolError):
        http.post(CREATE, json=BODY)
    assert _created() == 1


def test_a_truncated_body_fails_as_an_incomplete_message(http):
    with pytest.raises(httpx.RemoteProtocolError):
        http.get("/contracts", headers=_fault("truncated"))


def test_a_notjson_body_arrives_over_a_socket(http):
    response = http.get("/contracts", headers=_fault("notjson"))
    assert response.status_code == 200
    assert response.content == b"not json"


def test_a_hang_outlasts_the_client_timeout(http):
    with pytest.raises(httpx.ReadTimeout):
        http.get("/auth/me", headers=_fault("hang=1"), timeout=0.3)
    # Let the server finish the hung request while this test's database is still there.
    time.sleep(1.2)
