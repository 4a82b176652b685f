"""Two identical app servers behind one PostgreSQL and one Redis, as in production.

Needs MULTIHOST_DATABASE_URL and MULTIHOST_CACHE_URL (`tests/multihost/services.sh` starts both
servers and prints them; `.ci/run` does this, then `make multihost`). Three gunicorn processes run
from gunicorn.conf.py: app servers A and B, and a third that only stands in for OpenTrain (the
sandbox), so A and B are configured identically and every upstream call they make shows in their
own logs.
"""

import os
import secrets
import threading
import uuid

import httpx
import pytest

from scripts.pm_client import form_inputs, login_data, milestone_data
from scripts.servers import Server, ServerError, free_port, manage, sandbox_env
from tests.multihost.mirror_db import clear_mirror

DATABASE_URL = os.environ.get("MULTIHOST_DATABASE_URL", "")
CACHE_URL = os.environ.get("MULTIHOST_CACHE_URL", "")
USERNAME, PASSWORD = "multihost-pm", "multihost-pass-" + secrets.token_hex(6)
CONTRACT = "ctr_owner_fixed_300"  # a seeded active fixed-price contract

pytestmark = [
    pytest.mark.multihost,
    pytest.mark.skipif(
        not (DATABASE_URL and CACHE_URL),
        reason="set MULTIHOST_DATABASE_URL (PostgreSQL) and MULTIHOST_CACHE_URL (Redis); "
        'eval "$(tests/multihost/services.sh)" starts both',
    ),
]


def _env(port, api_url=""):
    env = sandbox_env(
        DATABASE_URL,
        SECRET_KEY="multihost-shared-secret-" + "x" * 32,  # the same on every server
        CACHE_URL=CACHE_URL,
        PORT=str(port),
        WEB_CONCURRENCY="1",
        GUNICORN_THREADS="4",
    )
    if api_url:
        env["OT_API_BASE_URL"] = api_url
    return env


def _manage(env, *args):
    try:
        return manage(env, *args)
    except ServerError as error:
        pytest.fail(str(error))


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    logs = tmp_path_factory.mktemp("multihost")
    api_port = free_port()
    api = _env(api_port)
    _manage(api, "migrate", "--noinput")
    clear_mirror(DATABASE_URL)
    _manage(api, "seed_sandbox", "--reset")
    _manage(api, "make_editors", USERNAME, "--password", PASSWORD, "--clear-cache")
    api_url = f"http://127.0.0.1:{api_port}/sandbox/api/public/v1"
    sync_env = _env(free_port(), api_url)
    started = [
        Server(api, logs / "api.log", "OpenTrain stand-in"),
        Server(_env(free_port(), api_url), logs / "a.log", "A"),
        Server(_env(free_port(), api_url), logs / "b.log", "B"),
    ]
    try:
        for server in started:
            server.wait_until_up()
        # The worker's job, once: fill the shared mirror both app servers read.
        _manage(sync_env, "opentrain_sync", "--full")
        yield {"api": api, "a": started[1], "b": started[2]}
    finally:
        for server in started:
            server.stop()


def _calls(server, mark):
    """The (method, path) of each call to OpenTrain the server logged after `mark`."""
    return [(call.method, call.path) for call in server.upstream_calls_since(mark)]


def _sign_in(server):
    client = httpx.Client(base_url=server.url, timeout=30)
    page = client.get("/accounts/login/")
    response = client.post("/accounts/login/", data=login_data(page.text, USERNAME, PASSWORD))
    assert response.status_code == 302, response.text
    return client


def _on(server, signed_in):
    """A client for `server` carrying another client's cookies (what a load balancer does)."""
    return httpx.Client(base_url=server.url, timeout=30, cookies=signed_in.cookies)


@pytest.mark.parametrize("name", ["a", "b"])
def test_each_server_is_live_and_ready_on_the_shared_database_and_cache(servers, name):
    # What the load balancer asks, without signing in: PostgreSQL and Redis both answer.
    server = servers[name]

    live = httpx.get(f"{server.url}/healthz", timeout=30)
    ready = httpx.get(f"{server.url}/readyz", timeout=30)

    assert (live.status_code, live.text) == (200, "ok")
    assert (ready.status_code, ready.text) == (200, "ready")
    assert ready.headers["X-Request-ID"] != live.headers["X-Request-ID"]


def test_a_session_started_on_one_server_works_on_the_other(servers):
    on_a = _sign_in(servers["a"])

    page = _on(servers["b"], on_a).get("/contracts/")

    assert page.status_code == 200
    assert USERNAME in page.text
    assert "Spanish Sentiment Labeling Contract" in page.text


def test_signing_out_on_one_server_signs_the_same_cookie_out_on_the_other(servers):
    # Sessions are cached in Redis (cached_db): the sign-out on A must reach B's reads too.
    on_a = _sign_in(servers["a"])
    on_b = _on(servers["b"], on_a)
    assert on_b.get("/contracts/").status_code == 200

    token = form_inputs(on_a.get("/contracts/").text)["csrfmiddlewaretoken"]
    assert on_a.post("/accounts/logout/", data={"csrfmiddlewaretoken": token}).status_code == 302

    after = on_b.get("/contracts/")
    assert after.status_code == 302
    assert after.headers["location"].startswith("/accounts/login/")


def test_both_servers_show_the_shared_mirror_without_calling_opentrain(servers):
    a, b = servers["a"], servers["b"]
    on_a = _sign_in(a)
    on_b = _on(b, on_a)
    marks = [a.mark(), b.mark()]

    pages = [on_a.get("/contracts/?q=Spanish"), on_b.get("/contracts/?q=Spanish")]

    assert [p.status_code for p in pages] == [200, 200]
    assert all("Spanish Sentiment Labeling Contract" in p.text for p in pages)
    assert _calls(a, marks[0]) == [] and _calls(b, marks[1]) == []


def test_a_milestone_created_on_one_server_shows_on_the_other_at_once(servers):
    a, b = servers["a"], servers["b"]
    on_a = _sign_in(a)
    on_b = _on(b, on_a)
    name = f"Seen on B {uuid.uuid4().hex[:8]}"

    form = on_a.get(f"/contracts/{CONTRACT}/milestones/new/").text
    response = on_a.post(f"/contracts/{CONTRACT}/milestones/new/", data=_milestone(form, name))
    assert response.status_code == 302

    mark = b.mark()
    page = on_b.get(f"/contracts/{CONTRACT}/")
    assert name in page.text
    assert _calls(b, mark) == []


@pytest.mark.parametrize("attempt", range(5))
def test_the_same_submission_key_sent_to_both_servers_at_once_creates_one_milestone(
    servers, attempt
):
    a, b = servers["a"], servers["b"]
    on_a = _sign_in(a)
    form = on_a.get(f"/contracts/{CONTRACT}/milestones/new/").text
    name = f"Race {attempt} {uuid.uuid4().hex[:8]}"
    data = _milestone(form, name)
    clients = [_on(a, on_a), _on(b, on_a)]
    marks = [a.mark(), b.mark()]
    barrier = threading.Barrier(2)
    responses = [None, None]

    def send(i):
        barrier.wait()
        responses[i] = clients[i].post(f"/contracts/{CONTRACT}/milestones/new/", data=data)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    detail = f"/submissions/{data['submission_key']}/"
    assert [r.status_code for r in responses] == [302, 302]
    assert [r.headers["location"] for r in responses] == [detail, detail]
    posts = [
        call
        for server, mark in zip((a, b), marks, strict=True)
        for call in _calls(server, mark)
        if call[0] == "POST"
    ]
    assert posts == [("POST", f"/contracts/{CONTRACT}/milestones")]
    counts = _counts(servers["api"], data["submission_key"], name)
    assert counts == {"submissions": 1, "milestones": 1}


def _counts(env, key, name):
    """Rows in the shared database: the ledger's for `key`, the sandbox's milestones `name`."""
    submissions = _manage(env, "count_submissions", key)
    milestones = _manage(env, "sandbox_count", CONTRACT, "--name", name)
    return {"submissions": int(submissions), "milestones": int(milestones)}


def _milestone(form_html, name):
    return milestone_data(
        form_html,
        name=name,
        description="Sent to both app servers at once.",
        due_date="2030-01-31",
        amount_usd="300",
        # The seeded contract's estimate is already used up: the PM ticks "Create it anyway".
        confirm_over_total="on",
    )
