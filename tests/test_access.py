"""Who may do what: every URL needs sign-in, viewers change nothing, the sandbox API needs a token.

The URLs come from walking the URL configuration, so a new page is covered without editing a list.
"""

import re
import uuid
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from dashboard.models import Approval, Submission
from sandbox.models import Approval as UpstreamApproval
from sandbox.models import Contract, Milestone
from tests.milestone_helpers import LATER
from tests.url_helpers import URLS

# Open to anyone: the sign-in page, and the sandbox API, which answers to bearer tokens instead.
# Also the load balancer's probes, Prometheus' /metrics (a bearer token of its own) and
# OpenTrain's webhook (a signature instead), an e-mail's one-click unsubscribe (a signed token
# instead) and the sandbox's team chat receiver (the worker posts to it like to Slack): each is
# checked below and in its own tests (tests/notify/test_unsubscribe.py, sandbox/test_outbox.py).
PUBLIC = {
    "login",
    "healthz",
    "readyz",
    "metrics",
    "opentrain_webhook",
    "unsubscribe",
    "sandbox:chat",
}
# Views that take a POST from any signed-in person: signing out, picking a sandbox demo account,
# asking for a sync (it only reads from OpenTrain), and snoozing an inbox item (it only changes
# what that person sees). Checking the setup again is an editor's: it changes what blocks every
# editor's buttons and spends the account's rate limit (tests/test_setup_recheck.py).
ANYONE_MAY_POST = {
    "logout",
    "switch_sandbox_account",
    "sync_now",
    "inbox_snooze",
    "notification_settings",  # that person's own notifications (tests/notify/test_settings_page.py)
}
# A complete, valid milestone form, so a forged POST that got through would really create one.
MILESTONE = {
    "name": "Forged",
    "description": "forged by a viewer",
    "volume": "10",
    "amount_usd": "380",
    "due_date": LATER,
    "contract": "ctr_owner_hourly_38",
}


SANDBOX_API = [(path, name) for path, name in URLS if name.startswith("sandbox:api-")]
DASHBOARD = [
    (path, name) for path, name in URLS if (path, name) not in SANDBOX_API and name not in PUBLIC
]


def test_the_walk_finds_every_page():
    names = {name for _, name in URLS}
    for name in ("contract_list", "contract_detail", "milestone_create", "milestone_new"):
        assert name in names
    for name in ("milestone_fund", "milestone_approve", "contract_end", "approval_detail"):
        assert name in names
    assert len(SANDBOX_API) >= 9
    assert not [path for path, _ in URLS if "<" in path or "(" in path]


@pytest.mark.parametrize(("path", "name"), DASHBOARD)
def test_an_anonymous_visitor_is_sent_to_sign_in(client, db, path, name):
    for method in ("get", "post", "put", "delete"):
        response = getattr(client, method)(path)
        assert response.status_code in (302, 403), (method, path, response.status_code)
        if response.status_code == 302:
            assert response["Location"].startswith("/accounts/login/?next="), (method, path)


def test_the_sign_in_page_is_open(client, db):
    assert client.get("/accounts/login/").status_code == 200


def test_the_other_open_urls_answer_without_the_sign_in_form_and_reveal_nothing(
    client, db, settings
):
    settings.METRICS_TOKEN = ""
    assert client.get("/healthz").content == b"ok"
    assert client.get("/readyz").content == b"ready"
    assert client.get("/metrics").status_code == 404
    refused = client.post("/webhooks/opentrain/", b"{}", content_type="application/json")
    assert refused.status_code == 400
    for response in (client.get("/metrics"), refused):
        assert "Location" not in response


@pytest.mark.parametrize(("path", "name"), SANDBOX_API)
def test_the_sandbox_api_answers_401_without_a_token(client, db, path, name):
    statuses = set()
    for method in ("get", "post"):
        response = getattr(client, method)(path)
        statuses.add(response.status_code)
        assert response["Content-Type"] == "application/json"
        if response.status_code not in (200, 405):
            body = response.json()
            assert set(body) >= {"error", "code", "requestId"}, body
    if name == "sandbox:api-accounts":
        # The sandbox's demo accounts are public by design (the switcher lists them before any
        # token is chosen); it only exists in sandbox mode.
        assert 200 in statuses
    elif name == "sandbox:api-not-found":
        assert statuses == {404}
    else:
        assert 401 in statuses
        assert statuses <= {401, 405}


# --- viewers: see everything, change nothing ---------------------------------------------------


@pytest.fixture
def watcher(client, viewer):
    client.force_login(viewer)
    return client


def _write_buttons(html):
    """Submit buttons of POST forms (other than signing out, switching demo accounts or Sync now),
    and button-styled links to the write pages."""
    found = []
    for attrs, body in re.findall(r"<form\b([^>]*)>(.*?)</form>", html, re.S):
        if 'method="post"' not in attrs or "/accounts/logout/" in attrs:
            continue
        if "/sandbox-account/" in attrs or "/sync/now/" in attrs:
            continue
        if re.search(r"<button\b(?![^>]*type=\"button\")|<input[^>]*type=\"submit\"", body):
            found.append(attrs.strip())
    for tag in re.findall(r"<a\b[^>]*>", html):
        href = re.search(r'href="([^"]*)"', tag)
        write = href and re.search(r"/milestones/new/|/fund/|/approve/|/end/", href.group(1))
        if write and "btn" in tag:
            found.append(tag)
    return found


READ_PAGES = [
    "/contracts/",
    "/contracts/ctr_owner_hourly_38/",
    "/contracts/ctr_owner_hourly_15/",
    "/contracts/ctr_owner_fixed_450/",
    "/contracts/ctr_owner_hourly_38/milestones/new/",
    "/milestones/new/",
    "/milestones/new/?contract=ctr_owner_hourly_38",
    "/milestones/ms_owner_hourly_38_1/fund/?contract=ctr_owner_hourly_38",
    "/milestones/ms_owner_hourly_15_2/approve/?contract=ctr_owner_hourly_15",
    "/contracts/ctr_owner_hourly_15/end/",
    "/approvals/",
]


def test_a_viewer_sees_every_page_but_no_write_buttons(sandbox, watcher):
    for path in READ_PAGES:
        response = watcher.get(path)
        assert response.status_code == 200, path
        assert _write_buttons(response.content.decode()) == [], path


def test_an_editor_sees_the_write_buttons_the_viewer_does_not(sandbox, pm):
    # The check above must be able to fail: the same pages show buttons to an editor.
    for path in (
        "/contracts/ctr_owner_hourly_38/",
        "/contracts/ctr_owner_hourly_38/milestones/new/",
    ):
        assert _write_buttons(pm.get(path).content.decode()), path


def test_a_role_taken_away_or_given_counts_from_the_next_page_without_signing_in_again(
    sandbox, pm, editor
):
    page = "/contracts/ctr_owner_hourly_38/"
    editors = Group.objects.get(name="editors")
    editor.groups.remove(editors)
    assert _write_buttons(pm.get(page).content.decode()) == []

    # Given to the person alone, not through a group.
    editor.user_permissions.add(Permission.objects.get(codename="make_changes"))
    assert _write_buttons(pm.get(page).content.decode())

    editor.user_permissions.clear()
    editor.groups.add(editors)
    assert _write_buttons(pm.get(page).content.decode())


def test_a_deactivated_person_is_signed_out_at_their_next_page(sandbox, pm, editor):
    assert pm.get("/contracts/").status_code == 200
    User.objects.filter(pk=editor.pk).update(is_active=False)

    response = pm.get("/contracts/")

    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_a_session_past_its_expiry_signs_the_person_out_at_their_next_page(sandbox, pm):
    assert pm.get("/contracts/").status_code == 200
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))

    response = pm.get("/contracts/")

    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_a_password_changed_elsewhere_signs_the_old_session_out_at_its_next_page(
    sandbox, pm, editor
):
    assert pm.get("/contracts/").status_code == 200
    editor.set_password("a-new-password-set-elsewhere")
    editor.save()

    response = pm.get("/contracts/")

    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_a_person_deleted_is_signed_out_and_their_session_signs_no_one_in(sandbox, pm, editor):
    assert pm.get("/contracts/").status_code == 200
    pk = editor.pk
    editor.delete()

    response = pm.get("/contracts/")

    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")
    # Not even a person made again with the same id, name and password.
    again = User.objects.create_user("editor", password="editor-pass-123", pk=pk)
    again.groups.add(Group.objects.get(name="editors"))
    assert pm.get("/contracts/").status_code == 302


def test_a_session_that_names_no_one_is_an_anonymous_visitor(client, db):
    session = client.session
    session["note"] = "kept before signing in"
    session.save()

    response = client.get("/contracts/")

    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_signing_in_with_the_form_and_out_again_ends_the_session_for_its_cookie(sandbox, editor):
    browser = Client()
    signed_in = browser.post(
        "/accounts/login/", {"username": "editor", "password": "editor-pass-123"}
    )
    assert signed_in.status_code == 302
    assert browser.get("/contracts/").status_code == 200
    cookie = browser.cookies["sessionid"].value

    signed_out = browser.post("/accounts/logout/")

    assert signed_out.status_code == 302
    assert signed_out.url == "/accounts/login/"
    replay = Client()
    replay.cookies["sessionid"] = cookie  # the old cookie, kept by someone
    response = replay.get("/contracts/")
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def _state():
    return (
        Submission.objects.count(),
        Approval.objects.count(),
        Milestone.objects.count(),
        UpstreamApproval.objects.count(),
        sorted(Contract.objects.values_list("id", "status")),
    )


def test_a_forged_post_from_a_viewer_is_refused_and_reaches_nothing(
    sandbox, watcher, upstream_calls
):
    watcher.get("/contracts/")  # the page chrome's one read (the demo accounts), now cached
    upstream_calls.clear()
    before = _state()
    refused = []

    for path, name in DASHBOARD:
        if name in ANYONE_MAY_POST or name.startswith("sandbox:"):
            continue
        response = watcher.post(path, MILESTONE | {"submission_key": str(uuid.uuid4())})
        assert response.status_code in (403, 405), (path, response.status_code)
        if response.status_code == 403:
            refused.append(name)
            assert "not allowed" in response.content.decode()

    assert set(refused) >= {
        "milestone_create",
        "milestone_new",
        "milestone_fund",
        "milestone_approve",
        "contract_end",
    }
    assert upstream_calls == []
    assert _state() == before


def test_the_same_post_from_an_editor_does_reach_opentrain(sandbox, pm, upstream_calls):
    # The forged POST above is a real write when an editor sends it.
    response = pm.post(
        "/milestones/ms_owner_hourly_38_1/fund/", {"contract": "ctr_owner_hourly_38"}
    )
    assert response.status_code == 302
    assert ("POST", "/milestones/ms_owner_hourly_38_1/fund") in upstream_calls.routes()
