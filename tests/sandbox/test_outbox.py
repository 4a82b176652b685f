"""The sandbox's outbox: the e-mails the dashboard sends without a mail server, and the team chat
messages posted to the sandbox's receiver, shown at /sandbox/outbox/."""

import re

import httpx
import pytest
from django.contrib.auth.models import User
from django.core.mail import EmailMultiAlternatives

from dashboard.notify import send, watch
from sandbox.models import ChatMessage, OutboxMessage

pytestmark = pytest.mark.django_db

OUTBOX = {"default": {"BACKEND": "sandbox.outbox.OutboxBackend"}}


@pytest.fixture
def outbox(settings):
    settings.MAILERS = OUTBOX


def _send_one():
    email = EmailMultiAlternatives(
        subject="Budget depleted: Spanish Sentiment Labels",
        body="Every funded unit is used.\n\nAdd next batch: http://127.0.0.1:8000/x/",
        from_email="OpenTrain dashboard <dashboard@localhost>",
        to=["pm@example.com"],
        headers={
            "List-Unsubscribe": "<http://127.0.0.1:8000/notifications/unsubscribe/abc/>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    email.attach_alternative("<p>Every funded unit is <strong>used</strong>.</p>", "text/html")
    return email.send()


def test_the_outbox_backend_keeps_a_sent_message_with_both_parts(outbox):
    assert _send_one() == 1

    kept = OutboxMessage.objects.get()
    assert kept.to == "pm@example.com"
    assert kept.from_email == "OpenTrain dashboard <dashboard@localhost>"
    assert kept.subject == "Budget depleted: Spanish Sentiment Labels"
    assert "Add next batch: http://127.0.0.1:8000/x/" in kept.text
    assert "<strong>used</strong>" in kept.html
    assert kept.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_the_outbox_lists_it_newest_first_and_shows_it(outbox, signed_in):
    _send_one()
    OutboxMessage.objects.create(to="sam@example.com", from_email="x@localhost", subject="Older")
    newest = OutboxMessage.objects.get(subject__startswith="Budget")
    OutboxMessage.objects.filter(subject="Older").update(sent_at=newest.sent_at.replace(year=2020))

    listed = signed_in.get("/sandbox/outbox/").content.decode()

    assert listed.index("Budget depleted: Spanish Sentiment Labels") < listed.index("Older")
    assert "pm@example.com" in listed
    shown = signed_in.get(f"/sandbox/outbox/{newest.pk}/").content.decode()
    assert "List-Unsubscribe-Post" in shown
    assert "Add next batch: http://127.0.0.1:8000/x/" in shown
    assert f'href="/sandbox/outbox/{newest.pk}/html"' in shown


def test_the_html_part_is_served_with_a_csp_of_its_own(outbox, signed_in):
    _send_one()
    kept = OutboxMessage.objects.get()

    response = signed_in.get(f"/sandbox/outbox/{kept.pk}/html")

    assert response.status_code == 200
    assert "<strong>used</strong>" in response.content.decode()
    policy = response["Content-Security-Policy"]
    assert re.search(r"(^|; )sandbox( |;|$)", policy)
    assert "default-src 'none'" in policy
    assert "script-src" not in policy
    assert response["X-Frame-Options"] == "SAMEORIGIN"


def test_the_outbox_needs_a_signed_in_person(client, seeded):
    response = client.get("/sandbox/outbox/")

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_worker_s_urgent_email_lands_in_the_outbox(sandbox, outbox, pm):
    User.objects.create_user("local", email="pm@example.com", password="a long pass 123")

    watch.scan()
    send.deliver()

    html = pm.get("/sandbox/outbox/").content.decode()
    assert "Budget depleted: Spanish Sentiment Labels (per label)" in html
    kept = OutboxMessage.objects.get(subject__startswith="Budget depleted", to="pm@example.com")
    assert kept.headers["List-Unsubscribe"].startswith("<http")
    assert "Add next batch" in kept.html


def test_the_chat_receiver_keeps_a_slack_style_payload_like_slack(live_server):
    payload = {"text": "*Budget depleted*", "blocks": [{"type": "section"}]}

    response = httpx.post(f"{live_server.url}/sandbox/chat/team/", json=payload, timeout=10)

    assert response.status_code == 200
    assert response.text == "ok"
    kept = ChatMessage.objects.get()
    assert kept.slug == "team"
    assert kept.payload == payload


def test_the_chat_receiver_refuses_what_is_not_a_message(live_server):
    not_json = httpx.post(f"{live_server.url}/sandbox/chat/team/", content=b"{nope", timeout=10)
    empty = httpx.post(f"{live_server.url}/sandbox/chat/team/", json={"x": 1}, timeout=10)

    assert (not_json.status_code, not_json.text) == (400, "invalid_payload")
    assert (empty.status_code, empty.text) == (400, "no_text")
    assert not ChatMessage.objects.exists()


def test_the_outbox_lists_the_chat_messages_received(signed_in):
    ChatMessage.objects.create(slug="pm-alerts", payload={"text": "Approval expires in 3 h"})

    html = signed_in.get("/sandbox/outbox/").content.decode()

    assert "pm-alerts" in html
    assert "Approval expires in 3 h" in html


def test_an_editor_clears_the_outbox(outbox, signed_in):
    _send_one()
    ChatMessage.objects.create(slug="team", payload={"text": "hello"})

    response = signed_in.post("/sandbox/outbox/clear/")

    assert response.status_code == 302
    assert not OutboxMessage.objects.exists()
    assert not ChatMessage.objects.exists()


def test_a_viewer_cannot_clear_the_outbox(outbox, client, seeded, viewer, live_server, settings):
    settings.OT_API_BASE_URL = f"{live_server.url}/sandbox/api/public/v1"  # base.html asks it
    _send_one()
    client.force_login(viewer)

    response = client.post("/sandbox/outbox/clear/")

    assert response.status_code == 403
    assert OutboxMessage.objects.count() == 1
