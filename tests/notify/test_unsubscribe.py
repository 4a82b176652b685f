"""One-click unsubscribe (RFC 8058): the link in an e-mail's List-Unsubscribe header turns off
the one setting it names, for the one person it names, without sign-in."""

import pytest
from django.contrib.auth.models import User
from django.core import signing
from django.test import Client

from dashboard.notify import unsubscribe
from dashboard.notify.models import URGENT_KINDS, Preference

pytestmark = pytest.mark.django_db

ONE_CLICK = "List-Unsubscribe=One-Click"


@pytest.fixture
def maria():
    return User.objects.create_user("maria", email="maria@example.com", password="a long pass 123")


@pytest.fixture
def mail_client():
    """A mail client's request: no session, no CSRF cookie, CSRF checks on."""
    return Client(enforce_csrf_checks=True)


def _url(user, setting):
    return f"/notifications/unsubscribe/{unsubscribe.token(user, setting)}/"


def _chosen(user):
    return Preference.objects.get(user=user)


def test_a_mail_clients_one_click_post_turns_the_digest_off_and_nothing_else(maria, mail_client):
    response = mail_client.post(
        _url(maria, "digest"), ONE_CLICK, content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 200
    chosen = _chosen(maria)
    assert chosen.digest is False
    assert sorted(chosen.urgent_kinds) == sorted(URGENT_KINDS)


def test_a_one_click_post_as_multipart_form_data_works_too(maria, mail_client):
    response = mail_client.post(_url(maria, "budget"), {"List-Unsubscribe": "One-Click"})

    assert response.status_code == 200
    chosen = _chosen(maria)
    assert "budget" not in chosen.urgent_kinds
    assert sorted(chosen.urgent_kinds) == sorted(set(URGENT_KINDS) - {"budget"})
    assert chosen.digest is True


def test_an_urgent_kind_link_leaves_the_persons_other_choices_as_they_were(maria, mail_client):
    Preference.objects.create(
        user=maria, urgent_kinds=["approval", "sync"], digest=True, digest_hour=6
    )

    mail_client.post(
        _url(maria, "sync"), ONE_CLICK, content_type="application/x-www-form-urlencoded"
    )

    chosen = _chosen(maria)
    assert chosen.urgent_kinds == ["approval"]
    assert chosen.digest is True
    assert chosen.digest_hour == 6


def test_it_turns_off_only_the_person_the_link_names(maria, mail_client):
    other = User.objects.create_user("sam", email="sam@example.com", password="a long pass 123")

    mail_client.post(_url(maria, "digest"), ONE_CLICK, content_type="text/plain")

    assert not Preference.objects.filter(user=other).exists()


def test_the_link_opened_in_a_browser_asks_first_and_changes_nothing(maria, mail_client):
    response = mail_client.get(_url(maria, "approval"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Stop these e-mails?" in html
    assert "urgent e-mails about approvals that expire within 24 hours" in html
    assert 'method="post"' in html
    assert not Preference.objects.filter(user=maria).exists()


def test_the_button_of_that_page_turns_it_off_and_says_so(maria, mail_client):
    url = _url(maria, "digest")
    mail_client.get(url)

    response = mail_client.post(url)

    html = response.content.decode()
    assert "Done: you will no longer get the daily digest of what needs you." in html
    assert 'href="/settings/notifications/"' in html
    assert _chosen(maria).digest is False


def test_a_changed_token_is_a_400_in_words_that_changes_nothing(maria, mail_client):
    token = unsubscribe.token(maria, "digest")
    changed = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")

    response = mail_client.post(f"/notifications/unsubscribe/{changed}/", ONE_CLICK, "text/plain")

    assert response.status_code == 400
    html = response.content.decode()
    assert "This link does not work" in html
    assert "Traceback" not in html
    assert "BadSignature" not in html
    assert not Preference.objects.filter(user=maria).exists()


def test_a_value_signed_for_something_else_is_not_an_unsubscribe_link(maria, mail_client):
    forged = signing.dumps([maria.pk, "digest"])  # Django's signing, but not this link's salt

    response = mail_client.get(f"/notifications/unsubscribe/{forged}/")

    assert response.status_code == 400
    assert "This link does not work" in response.content.decode()


def test_a_link_for_a_person_no_longer_active_is_a_400(maria, mail_client):
    url = _url(maria, "digest")
    maria.is_active = False
    maria.save()

    assert mail_client.post(url, ONE_CLICK, "text/plain").status_code == 400
    assert not Preference.objects.filter(user=maria).exists()
