"""Every link in an e-mail opens its page on the dashboard: at once for a signed-in PM, after the
sign-in page for a signed-out one (who lands on the page the link named)."""

import re
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client

from dashboard.notify import send, watch
from dashboard.notify.models import Preference
from tests.notify_helpers import person

PASSWORD = "a long password 123"  # notify_helpers.person's


@pytest.fixture(autouse=True)
def _every_test_has_the_sandbox(sandbox):
    """The seeded owner account, synced: a depleted budget and a dozen items that need the PM."""


def links_in_emails() -> list[str]:
    """Every dashboard link of every e-mail sent, as a path with its query, unsubscribe aside."""
    found = set()
    for message in mail.outbox:
        html = next(body for body, kind in message.alternatives if kind == "text/html")
        for url in re.findall(r'href="([^"]+)"', html):
            url = url.replace("&amp;", "&")
            if url.startswith(settings.SITE_URL) and "/unsubscribe/" not in url:
                parts = urlsplit(url)
                found.add(parts.path + (f"?{parts.query}" if parts.query else ""))
    return sorted(found)


@pytest.fixture
def emailed():
    """Ann, an editor with an address, after the worker sent her today's e-mails."""
    ann = person("ann")
    Preference.objects.create(user=ann, urgent_kinds=["budget"], digest=True, digest_hour=0)
    watch.scan()
    send.deliver()
    subjects = [m.subject for m in mail.outbox]
    assert any(s.startswith("Budget depleted") for s in subjects)
    assert any("need you" in s for s in subjects)
    return ann


def test_every_link_opens_its_page_for_a_signed_in_pm(emailed):
    pm = Client()
    pm.force_login(emailed)
    links = links_in_emails()
    assert len(links) >= 10

    answers = {link: pm.get(link).status_code for link in links}

    assert answers == dict.fromkeys(links, 200)


def test_a_signed_out_pm_signs_in_first_and_lands_on_the_linked_page(emailed):
    for link in links_in_emails():
        visitor = Client()
        response = visitor.get(link)
        assert response.status_code == 302, link
        sign_in_page = response["Location"]
        assert sign_in_page.startswith("/accounts/login/?next=")

        page = visitor.get(sign_in_page)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
        signed_in = visitor.post(
            sign_in_page,
            {"username": "ann", "password": PASSWORD, "csrfmiddlewaretoken": token[1]},
        )

        assert signed_in.status_code == 302
        assert signed_in["Location"] == link
        assert visitor.get(link).status_code == 200
