"""What a PM typed when their session expired inside a form is kept across the sign-in, and only
that: a signed-out POST without a session creates none, and a kept draft is bounded."""

from secrets import token_hex
from urllib.parse import urlencode

import pytest
from django.contrib.sessions.models import Session

from tests.milestone_helpers import HOURLY, LATER, form_url

pytestmark = pytest.mark.django_db(transaction=True)

TYPED = {"name": "Week 9", "description": "Typed before the session expired", "volume": "6"}


def sign_in(client):
    response = client.post(
        "/accounts/login/", {"username": "editor", "password": "editor-pass-123"}
    )
    assert response.status_code == 302


@pytest.mark.parametrize(
    "path", [form_url(HOURLY), "/milestones/new/", "/milestones/import/", "/sync/now/"]
)
def test_a_signed_out_post_without_a_session_creates_no_session(client, db, path):
    response = client.post(path, {**TYPED, "due_date": LATER})

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert Session.objects.count() == 0


def test_what_was_typed_when_the_session_expired_comes_back_after_sign_in(sandbox, client, editor):
    sign_in(client)
    Session.objects.all().delete()  # the session expires while the PM types

    client.post(form_url(HOURLY), {**TYPED, "due_date": LATER})
    sign_in(client)
    html = client.get(form_url(HOURLY)).content.decode()

    assert "Typed before the session expired" in html
    assert 'value="Week 9"' in html


def test_a_draft_keeps_only_the_forms_own_fields_each_capped(sandbox, client, editor):
    sign_in(client)
    Session.objects.all().delete()
    junk = {f"field-{n}-" + token_hex(500): token_hex(500) for n in range(200)}  # incompressible
    body = urlencode({**junk, **TYPED, "description": "d" * 100_000})

    client.post(form_url(HOURLY), body, content_type="application/x-www-form-urlencoded")

    [session] = Session.objects.all()
    assert len(session.session_data) < 20_000
    sign_in(client)
    html = client.get(form_url(HOURLY)).content.decode()
    assert "d" * 5_000 in html
    assert "d" * 5_002 not in html
    assert "field-1-" not in html
