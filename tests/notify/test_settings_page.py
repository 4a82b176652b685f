"""/settings/notifications/: each person's e-mail address, urgent kinds, digest, pause, and what
was sent to them lately, through the Django test client."""

import re
from datetime import date, timedelta

import pytest
from django.utils import timezone

from dashboard.notify.models import Notice, Preference

URL = "/settings/notifications/"

DEFAULTS = {
    "email": "ann@example.com",
    "urgent_kinds": ["budget", "approval", "unclear", "sync"],
    "digest": "on",
    "digest_hour": "8",
    "time_zone": "UTC",
    "pause_days": "",
}


@pytest.fixture(autouse=True)
def _every_test_has_the_sandbox(sandbox):
    """The page's header reads the sandbox's accounts, as every page does."""


@pytest.fixture
def ann(editor):
    editor.email = "ann@example.com"
    editor.save()
    return editor


def _page(client) -> str:
    response = client.get(URL)
    assert response.status_code == 200
    return response.content.decode()


def _checked(html: str, name: str, value: str = "") -> bool:
    """Whether the checkbox `name` (with `value`, for a group) is ticked."""
    attrs = rf'name="{name}"[^>]*value="{value}"' if value else rf'name="{name}"'
    tag = re.search(rf"<input[^>]*{attrs}[^>]*>", html)
    assert tag, f"no {name}={value} on the page"
    return " checked" in tag.group(0)


def _selected(html: str, name: str) -> str:
    select = re.search(rf'<select name="{name}".*?</select>', html, re.S)
    assert select, f"no select {name} on the page"
    return re.search(r'<option value="([^"]*)" selected>', select.group(0)).group(1)


def _error_of(html: str, field: str) -> str:
    """The error shown right after the field, in the same field block."""
    block = re.search(
        rf'<div class="field field-invalid">(?:(?!</div>).)*id="id_{field}".*?</div>', html, re.S
    )
    assert block, f"no error next to {field}"
    return re.sub(r"<[^>]+>", " ", block.group(0))


def test_the_defaults_are_every_urgent_kind_and_the_digest_at_eight_in_the_sites_time_zone(pm, ann):
    html = _page(pm)

    assert 'value="ann@example.com"' in html
    assert all(_checked(html, "urgent_kinds", kind) for kind in DEFAULTS["urgent_kinds"])
    assert "A budget is depleted, or will run out within a day at its current burn" in html
    assert _checked(html, "digest")
    assert _selected(html, "digest_hour") == "8"
    assert _selected(html, "time_zone") == "UTC"
    assert "sent only on days when something needs you" in html
    assert 'href="/settings/channels/"' in html
    assert "Paused until" not in html


def test_saving_keeps_the_kinds_digest_hour_and_time_zone_and_says_saved(pm, ann):
    chosen = {
        **DEFAULTS,
        "urgent_kinds": ["budget", "sync"],
        "digest_hour": "7",
        "time_zone": "Europe/Berlin",
    }
    chosen.pop("digest")  # unticked

    response = pm.post(URL, chosen, follow=True)

    html = response.content.decode()
    assert response.redirect_chain == [(URL, 302)]
    assert "Saved." in html
    assert _checked(html, "urgent_kinds", "budget") and _checked(html, "urgent_kinds", "sync")
    assert not _checked(html, "urgent_kinds", "approval")
    assert not _checked(html, "urgent_kinds", "unclear")
    assert not _checked(html, "digest")
    assert _selected(html, "digest_hour") == "7"
    assert _selected(html, "time_zone") == "Europe/Berlin"
    stored = Preference.objects.get(user=ann)
    assert (stored.urgent_kinds, stored.digest, stored.digest_hour) == (
        ["budget", "sync"],
        False,
        7,
    )


def test_saving_changes_the_e_mail_address(pm, ann):
    pm.post(URL, {**DEFAULTS, "email": "ann.b@example.org"})

    ann.refresh_from_db()
    assert ann.email == "ann.b@example.org"
    assert 'value="ann.b@example.org"' in _page(pm)


def test_without_a_mail_server_the_page_says_no_e_mail_is_sent_and_names_the_setting(
    pm, ann, settings
):
    settings.NOTIFY_BY_EMAIL = False

    html = _page(pm)

    assert "This dashboard sends no e-mail" in html
    assert "team channels still get their messages" in html
    assert "<summary>For the operator</summary>" in html
    assert "<code>EMAIL_URL</code>" in html


def test_with_a_mail_server_the_page_does_not_warn(pm, ann, settings):
    settings.NOTIFY_BY_EMAIL = True

    assert "sends no e-mail" not in _page(pm)


def test_a_person_without_an_address_is_asked_to_add_one(pm, editor):
    assert "Add an e-mail address to get notifications" in _page(pm)


def test_saving_leaves_the_workers_digest_day_alone(pm, ann):
    Preference.objects.create(user=ann, urgent_kinds=["budget"], digest_day=date(2026, 12, 7))

    pm.post(URL, {**DEFAULTS, "digest_hour": "9"})

    stored = Preference.objects.get(user=ann)
    assert stored.digest_day == date(2026, 12, 7)
    assert stored.digest_hour == 9


def test_an_hour_that_is_not_one_is_shown_next_to_the_field_and_the_rest_is_kept(pm, ann):
    typed = {
        **DEFAULTS,
        "email": "typed@example.com",
        "urgent_kinds": ["sync"],
        "digest_hour": "25",
        "time_zone": "Asia/Tokyo",
    }

    response = pm.post(URL, typed)

    html = response.content.decode()
    assert response.status_code == 200
    assert "Not saved" in html
    assert "“25” is not an hour" in _error_of(html, "digest_hour")
    assert 'value="typed@example.com"' in html
    assert _checked(html, "urgent_kinds", "sync") and not _checked(html, "urgent_kinds", "budget")
    assert _selected(html, "time_zone") == "Asia/Tokyo"
    assert not Preference.objects.filter(user=ann).exists()


def test_an_unknown_time_zone_is_shown_next_to_the_field_and_the_rest_is_kept(pm, ann):
    typed = {**DEFAULTS, "digest_hour": "6", "time_zone": "Mars/Olympus_Mons"}

    html = pm.post(URL, typed).content.decode()

    assert "“Mars/Olympus_Mons” is not a time zone" in _error_of(html, "time_zone")
    assert _selected(html, "digest_hour") == "6"
    assert not Preference.objects.filter(user=ann).exists()


def test_a_bad_e_mail_address_is_refused_next_to_the_field(pm, ann):
    html = pm.post(URL, {**DEFAULTS, "email": "ann at example"}).content.decode()

    assert "This is not an e-mail address" in _error_of(html, "email")
    assert 'value="ann at example"' in html
    ann.refresh_from_db()
    assert ann.email == "ann@example.com"


def test_a_pause_of_ninety_one_days_is_refused(pm, ann):
    html = pm.post(URL, {**DEFAULTS, "pause_days": "91"}).content.decode()

    assert "Pause for 1 to 90 days" in _error_of(html, "pause_days")
    assert 'value="91"' in html


def test_a_pause_says_until_when_and_resume_now_ends_it(pm, ann):
    html = pm.post(URL, {**DEFAULTS, "pause_days": "7"}, follow=True).content.decode()

    until = timezone.now() + timedelta(days=7)
    assert f"Paused until {until.day} {until:%b %Y}" in html
    assert "Resume now" in html
    assert Preference.objects.get(user=ann).paused(timezone.now() + timedelta(days=6))

    html = pm.post(URL, {"resume": "1"}, follow=True).content.decode()

    assert "Resumed" in html
    assert "Paused until" not in html
    assert not Preference.objects.get(user=ann).paused(timezone.now())


def test_a_viewer_can_change_their_own_settings(client, viewer):
    client.force_login(viewer)

    client.post(URL, {**DEFAULTS, "email": "vic@example.com", "urgent_kinds": ["approval"]})

    viewer.refresh_from_db()
    assert viewer.email == "vic@example.com"
    assert Preference.objects.get(user=viewer).urgent_kinds == ["approval"]
    assert "Saved." in _page(client)


def test_a_signed_out_person_is_sent_to_sign_in(client):
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/settings/notifications/")


def test_the_navigation_links_to_the_settings(pm, ann):
    assert f'<a href="{URL}">Settings</a>' in pm.get("/activity/").content.decode()


def test_the_recent_list_shows_a_failed_ones_words_and_a_retry(pm, ann):
    now = timezone.now()
    Notice.objects.create(
        kind=Notice.Kind.URGENT,
        user=ann,
        address=ann.email,
        subject="Budget depleted: Spanish Sentiment Labels",
        state=Notice.State.FAILED,
        attempts=4,
        error="The mail server refused it (550).",
    )
    Notice.objects.create(
        kind=Notice.Kind.DIGEST,
        user=ann,
        address=ann.email,
        subject="3 items need you",
        attempts=1,
        error="The mail server could not be reached (ConnectionResetError).",
        next_attempt_at=now.replace(hour=14, minute=5) + timedelta(days=1),
    )

    html = _page(pm)

    assert "Budget depleted: Spanish Sentiment Labels" in html
    assert "Delivery failed" in html
    assert "last delivery failed: The mail server refused it (550)." in html
    assert "3 items need you" in html
    assert "Waiting to be sent" in html
    assert "will try again at 14:05 UTC" in html


def test_the_recent_list_shows_only_the_persons_own(pm, ann, viewer):
    Notice.objects.create(
        kind=Notice.Kind.URGENT, user=viewer, address="vic@example.com", subject="Not for Ann"
    )

    assert "Not for Ann" not in _page(pm)
    assert "Nothing yet" in _page(pm)
