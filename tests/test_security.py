"""Security: CSP and headers, sign-in rate limiting, production settings, the token, IDs.

Links from API responses: test_security_links.py."""

import json
import logging
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import unquote

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core import serializers
from django.test import Client, RequestFactory
from django.urls import reverse
from django.views.defaults import server_error

from dashboard import opentrain
from dashboard.models import Approval, Submission
from dashboard.opentrain import OpenTrainError
from sandbox import demo
from sandbox.models import Token
from tests.milestone_helpers import LATER
from tests.mirror_helpers import sync_token

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"
SECRET_TOKEN = "ot_pat_Zq7TOKENNEVERSHOWNx91k3v8w2"
DEMO_TOKENS = [account["token"] for account in demo.ACCOUNTS.values()]


def _html(response):
    return response.content.decode()


def _csp(response):
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


# --- Content Security Policy and the usual headers ---------------------------------------------


@pytest.mark.parametrize("path", ["/contracts/", "/approvals/", "/contracts/ctr_owner_fixed_300/"])
def test_pages_send_a_csp_with_a_nonce_and_without_unsafe_inline(sandbox, pm, path):
    response = pm.get(path)

    policy = _csp(response)
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]
    nonce = [v for v in policy["script-src"] if v.startswith("'nonce-")]
    assert len(nonce) == 1
    assert policy["style-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    # Every script tag on the page, htmx's included, carries that nonce.
    value = nonce[0][len("'nonce-") : -1]
    scripts = re.findall(r"<script\b[^>]*>", _html(response))
    assert len(scripts) >= 2
    assert any("htmx" in tag for tag in scripts)
    for tag in scripts:
        assert f'nonce="{value}"' in tag, tag


def test_each_response_gets_a_fresh_nonce(sandbox, pm):
    first = _csp(pm.get("/contracts/"))["script-src"]
    second = _csp(pm.get("/contracts/"))["script-src"]
    assert first != second


@pytest.mark.parametrize("path", ["/accounts/login/", "/contracts/", "/no-such-page/"])
def test_the_usual_security_headers_are_sent(sandbox, pm, path):
    response = pm.get(path)

    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def _templates():
    return sorted(TEMPLATES.rglob("*.html"))


def test_no_template_has_inline_styles_scripts_or_event_handlers():
    assert _templates()
    for path in _templates():
        text = path.read_text()
        where = path.relative_to(ROOT)
        assert not re.search(r"\sstyle\s*=", text), f"{where}: inline style= is blocked by CSP"
        assert "<style" not in text, f"{where}: a <style> block is blocked by CSP"
        assert not re.search(r"\son[a-z]+\s*=", text, re.I), f"{where}: on*= handlers"
        assert "javascript:" not in text.lower(), f"{where}: javascript: URL"
        assert "hx-on" not in text, f"{where}: hx-on evaluates strings, which the CSP forbids"
        for tag in re.findall(r"<script\b[^>]*>", text):
            assert "src=" in tag and "nonce=" in tag, f"{where}: inline or un-nonced {tag}"


# --- sign-in rate limiting -----------------------------------------------------------------------


def test_repeated_bad_passwords_lock_the_account_out_with_a_readable_page(client, editor):
    limit = django_settings.AXES_FAILURE_LIMIT
    for _ in range(limit - 1):
        response = client.post("/accounts/login/", {"username": "editor", "password": "wrong"})
        assert response.status_code == 200
        assert "correct username and password" in _html(response)

    locked = client.post("/accounts/login/", {"username": "editor", "password": "wrong"})
    # Even the right password is refused until the cool-off ends.
    after = client.post("/accounts/login/", {"username": "editor", "password": "editor-pass-123"})

    for response in (locked, after):
        html = _html(response)
        assert response.status_code == 429
        assert "Too many failed sign-in attempts" in html
        assert "15 minutes" in html
        assert "<html" in html and 'nonce="' in html
    assert "_auth_user_id" not in client.session


def test_a_lockout_for_one_username_does_not_lock_out_another(client, editor, viewer):
    for _ in range(django_settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": "editor", "password": "wrong"})

    response = client.post(
        "/accounts/login/", {"username": "viewer", "password": "viewer-pass-123"}
    )

    assert response.status_code == 302


# --- production settings -------------------------------------------------------------------------

PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECURE_HTTPS": "true",
    "SECRET_KEY": "k" * 20 + "x7Gq2mZpL0vRtY8wN4bC6dF1hJ3sA5eK9uI" + "q" * 20,
    "ALLOWED_HOSTS": "dashboard.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://dashboard.example.com",
    "OT_API_TOKEN": SECRET_TOKEN,
    "STATIC_MANIFEST": "true",
    "SITE_URL": "https://dashboard.example.com",
    "EMAIL_URL": "smtp+tls://mailer:mail-pass@mail.example.com:587",
}


def _production(*args):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "OT_"))}
    env |= PRODUCTION_ENV | {"DJANGO_SETTINGS_MODULE": "dashboard.settings"}
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def test_check_deploy_reports_nothing_with_production_settings():
    result = _production("manage.py", "check", "--deploy", "--fail-level", "DEBUG")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
    assert "WARNING" not in result.stdout + result.stderr


def test_production_cookies_are_secure_and_http_only():
    script = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({n: getattr(s, n) for n in ["
        "'SESSION_COOKIE_SECURE', 'SESSION_COOKIE_HTTPONLY', 'CSRF_COOKIE_SECURE', "
        "'CSRF_COOKIE_HTTPONLY', 'SECURE_SSL_REDIRECT', 'DEBUG', 'OT_SANDBOX']}))"
    )
    result = _production("-c", script)

    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values == {
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "CSRF_COOKIE_SECURE": True,
        "CSRF_COOKIE_HTTPONLY": True,
        "SECURE_SSL_REDIRECT": True,
        "DEBUG": False,
        "OT_SANDBOX": False,
    }


# --- IDs from URLs are encoded before they reach an upstream path ------------------------------

SNEAKY_IDS = {
    # as typed in the address bar -> what the view receives
    "x%3Fstatus%3Dended": "x?status=ended",
    "x%23top": "x#top",
    ".": ".",
    "..": "..",
    "%2E%2E": "..",
    "ctr_owner_fixed_300%3F": "ctr_owner_fixed_300?",
    "a%252Fb": "a%2Fb",
    "%20ctr_owner_fixed_300": " ctr_owner_fixed_300",
}


@pytest.mark.parametrize("raw", SNEAKY_IDS)
def test_a_sneaky_contract_id_reaches_no_other_endpoint(sandbox, pm, upstream_calls, raw):
    response = pm.get(f"/contracts/{raw}/")

    html = _html(response)
    assert response.status_code == 404
    assert "Not found on this OpenTrain account" in html
    assert "Spanish Sentiment Labeling Contract" not in html
    assert not [p for _, p in upstream_calls.routes() if p.startswith("/contracts")]  # the mirror
    # Where an ID does reach OpenTrain (a write's re-read), it stays one path segment.
    with pytest.raises(OpenTrainError):
        opentrain.get_contract(demo.OWNER_TOKEN, SNEAKY_IDS[raw])
    reads = [path for method, path in upstream_calls.routes() if path.startswith("/contracts")]
    assert len(reads) == 1
    segment = reads[0].removeprefix("/contracts/")
    assert "/" not in segment and "?" not in segment and "#" not in segment
    assert segment.strip(".") != ""
    assert unquote(segment) == SNEAKY_IDS[raw]


@pytest.mark.parametrize("raw", ["..", ".", "x%3Fa%3D1", "x%23y"])
@pytest.mark.parametrize("name", ["milestone_fund", "milestone_approve"])
def test_a_sneaky_milestone_id_in_a_handoff_is_not_found(sandbox, pm, upstream_calls, raw, name):
    url = reverse(name, args=["PLACEHOLDER"]).replace("PLACEHOLDER", raw)

    response = pm.post(url, {"contract": "ctr_owner_hourly_38"})

    assert "Not found on this OpenTrain account" in _html(response)
    [post] = [path for method, path in upstream_calls.routes() if method == "POST"]
    assert post.startswith("/milestones/") and post.count("/") == 3
    assert unquote(post.split("/")[2]) == unquote(raw)


def test_a_slash_in_an_id_never_reaches_opentrain(sandbox, pm, upstream_calls):
    response = pm.get("/contracts/..%2Fauth%2Fme/")

    assert response.status_code == 404
    assert [path for _, path in upstream_calls.routes() if "auth" in path] == []


# --- the OpenTrain token never appears ---------------------------------------------------------


def _all_loggers_at_debug(caplog):
    caplog.set_level(logging.DEBUG)
    for name in list(logging.root.manager.loggerDict):
        caplog.set_level(logging.DEBUG, logger=name)


def _visit_every_page(client, viewer_client):
    """Every kind of page the dashboard renders, as (label, response): reads, writes, errors."""
    Approval.objects.get_or_create(
        approval_id="apr_known",
        defaults={
            "type": "milestone_fund",
            "status": "pending",
            "contract_id": "ctr_owner_hourly_38",
            "milestone_id": "ms_owner_hourly_38_1",
            "approval_url": "https://app.opentrain.ai/approvals/apr_known",
        },
    )
    form = reverse("milestone_create", args=["ctr_owner_hourly_38"])
    fund = reverse("milestone_fund", args=["ms_owner_hourly_38_1"])
    approve = reverse("milestone_approve", args=["ms_owner_hourly_15_2"])
    end = reverse("contract_end", args=["ctr_owner_fixed_450"])
    milestone = {
        "name": "Token check",
        "description": "token check milestone",
        "volume": "2",
        "due_date": LATER,
        "submission_key": str(uuid.uuid4()),
    }
    pages = [
        ("list", client.get("/contracts/")),
        ("list refresh", client.get("/contracts/?refresh=1&q=a")),
        ("list partial", client.get("/contracts/?q=a", HTTP_HX_REQUEST="true")),
        ("contract", client.get("/contracts/ctr_owner_hourly_38/")),
        ("unknown contract", client.get("/contracts/ctr_nope/")),
        ("form", client.get(form)),
        ("form picker", client.get("/milestones/new/?contract=ctr_owner_hourly_38")),
        ("form post", client.post(form, milestone)),
        ("form post again", client.post(form, milestone, follow=True)),
        ("form post htmx", client.post(form, milestone | {"volume": "3"}, HTTP_HX_REQUEST="true")),
        ("form invalid", client.post(form, {"description": "", "volume": "-1"})),
        ("fund page", client.get(fund + "?contract=ctr_owner_hourly_38")),
        ("fund", client.post(fund, {"contract": "ctr_owner_hourly_38"}, follow=True)),
        ("approve", client.post(approve, {"contract": "ctr_owner_hourly_15"}, follow=True)),
        ("end", client.post(end, {"contract": "ctr_owner_fixed_450"}, follow=True)),
        ("approvals", client.get("/approvals/")),
        ("approval", client.get("/approvals/apr_known/")),
        ("approval poll", client.get("/approvals/apr_known/?from=list", HTTP_HX_REQUEST="true")),
        ("activity", client.get("/activity/")),
        ("not found", client.get("/no-such-page/")),
        ("forbidden", viewer_client.post(fund, {"contract": "ctr_owner_hourly_38"})),
        ("sign in", Client().get("/accounts/login/")),
    ]
    for submission in Submission.objects.all():
        pages.append(("submission", client.get(f"/submissions/{submission.key}/")))
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(_user(client))
    pages.append(("csrf failure", csrf_client.post(form, milestone)))
    request = RequestFactory().get("/boom/")
    pages.append(("server error", server_error(request)))
    return pages


def _user(client):
    return get_user_model().objects.get(pk=client.session["_auth_user_id"])


def _assert_nowhere(secrets, pages, caplog):
    assert len(pages) > 20
    for label, response in pages:
        assert response.status_code != 500 or label == "server error", label
        text = response.content.decode() + str(response.headers)
        for secret in secrets:
            assert secret not in text, f"the token appears on the {label} page"
    logged = caplog.text + "".join(str(r.__dict__) for r in caplog.records)
    assert caplog.records, "nothing was logged: the log check would prove nothing"
    stored = serializers.serialize("json", [*Submission.objects.all(), *Approval.objects.all()])
    for secret in secrets:
        assert secret not in logged, "the token appears in the logs"
        assert secret not in stored, "the token is stored in the activity log"


@pytest.fixture
def viewer_client(viewer):
    other = Client()
    other.force_login(viewer)
    return other


@pytest.mark.parametrize("known", [False, True], ids=["rejected token", "working token"])
def test_the_configured_token_never_appears_in_pages_logs_or_the_activity_log(
    sandbox, pm, viewer_client, settings, caplog, known
):
    reverse("sandbox:api-me")  # the URLconf mounts the sandbox at import, so import it first
    settings.OT_SANDBOX = False
    settings.OT_API_TOKEN = SECRET_TOKEN
    if known:
        owner = Token.objects.get(value=DEMO_TOKENS[0])
        Token.objects.create(
            account=owner.account, value=SECRET_TOKEN, public_id="Zq7", scopes=owner.scopes
        )
    sync_token(SECRET_TOKEN)  # the worker's first sync with the configured token
    _all_loggers_at_debug(caplog)

    pages = _visit_every_page(pm, viewer_client)

    if known:
        assert "Milestone created" in _html(dict(pages)["form post again"])
        assert Submission.objects.exists() and Approval.objects.count() >= 3
    else:
        assert "token does not work" in _html(dict(pages)["contract"])
    _assert_nowhere([SECRET_TOKEN], pages, caplog)


def test_the_sandbox_demo_tokens_never_appear_in_pages_logs_or_the_activity_log(
    sandbox, pm, viewer_client, caplog
):
    _all_loggers_at_debug(caplog)

    pages = _visit_every_page(pm, viewer_client)

    assert "Milestone created" in _html(dict(pages)["form post again"])
    assert Approval.objects.filter(status="pending").count() >= 2
    _assert_nowhere(DEMO_TOKENS, pages, caplog)
