"""Signing out ends the session in every process, not only the one that answered the sign-out.

Two gunicorn servers (one worker each) on one SQLite database and the default per-process cache,
as `make run` would start them twice: a session cached in one process's memory would outlive a
sign-out sent to the other. (tests/multihost does the same on PostgreSQL and Redis.)
"""

import secrets

import httpx
import pytest

from scripts.pm_client import form_inputs, sign_in
from scripts.servers import Server, free_port, manage, sandbox_env

USERNAME, PASSWORD = "pm-two-processes", "two-processes-" + secrets.token_hex(6)


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("sign-out")
    env = sandbox_env(
        f"sqlite:///{tmp / 'shared.sqlite3'}",
        WEB_CONCURRENCY="1",
        GUNICORN_THREADS="4",
        GUNICORN_ACCESS_LOG="",
    )
    manage(env, "migrate", "--noinput", "--verbosity", "0")
    manage(env, "seed_sandbox", "--verbosity", "0")
    manage(env, "make_editors", USERNAME, "--password", PASSWORD, "--verbosity", "0")
    started = [Server(env | {"PORT": str(free_port())}, tmp / f"{name}.log", name) for name in "ab"]
    try:
        for server in started:
            server.wait_until_up()
        yield started
    finally:
        for server in started:
            server.stop()


def test_signing_out_on_one_server_signs_the_same_cookie_out_on_the_other(servers):
    a, b = servers
    on_a = sign_in(a.url, USERNAME, PASSWORD)
    cookie = {"sessionid": on_a.cookies["sessionid"]}  # what a load balancer passes on
    on_b = httpx.Client(base_url=b.url, timeout=30, cookies=cookie)
    page = on_b.get("/contracts/")
    assert page.status_code == 200
    assert USERNAME in page.text

    token = form_inputs(on_a.get("/contracts/").text)["csrfmiddlewaretoken"]
    signed_out = on_a.post("/accounts/logout/", data={"csrfmiddlewaretoken": token})
    assert signed_out.status_code == 302

    after = on_b.get("/contracts/")
    assert after.status_code == 302
    assert after.headers["location"].startswith("/accounts/login/")
