"""The notification settings in Chromium: reached from the navigation, saved, and readable with
axe-core on a laptop and a phone."""

import pytest
from playwright.sync_api import expect

from dashboard.notify.models import Notice
from tests.browser.conftest import PHONE, serious_axe_violations

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1280, "height": 900}
FITS_SIDEWAYS = "document.documentElement.scrollWidth <= window.innerWidth"


@pytest.fixture
def sent_and_failed(pm_user):
    """One e-mail that went out and one that failed, to the PM, about a seeded contract."""
    common = {"user": pm_user, "address": "pm@example.com"}
    Notice.objects.create(
        kind=Notice.Kind.URGENT,
        subject="Budget depleted: Spanish Sentiment Labels (per label)",
        contract_id="ctr_owner_label_007",
        state=Notice.State.SENT,
        **common,
    )
    Notice.objects.create(
        kind=Notice.Kind.DIGEST,
        subject="12 items need you",
        state=Notice.State.FAILED,
        error="The mail server refused it (550).",
        **common,
    )


def test_a_pm_turns_off_one_urgent_kind_and_sets_the_digest_hour(pm_page):
    page = pm_page
    page.get_by_role("link", name="Settings").click()
    expect(page.get_by_role("heading", name="Notifications", level=1)).to_be_visible()

    page.get_by_label("E-mail address").fill("pm@example.com")
    page.get_by_label("An approval expires within 24 hours and still waits for a person").uncheck()
    page.get_by_label("Sent at").select_option("07:00")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_text("Saved.")).to_be_visible()
    expect(page.get_by_label("E-mail address")).to_have_value("pm@example.com")
    expect(page.get_by_label("An approval expires within 24 hours")).not_to_be_checked()
    expect(page.get_by_label("A budget is depleted")).to_be_checked()
    expect(page.get_by_label("Sent at")).to_have_value("7")
    expect(page.get_by_label("Time zone")).to_have_value("UTC")


def test_a_bad_pause_is_shown_beside_its_field_and_focusable(pm_page):
    page = pm_page
    page.goto("/settings/notifications/")

    page.get_by_label("Pause all e-mails for (days)").fill("120")
    page.get_by_role("button", name="Save").click()

    field = page.get_by_label("Pause all e-mails for (days)")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_value("120")
    expect(page.get_by_text("Pause for 1 to 90 days.")).to_be_visible()


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["1280px", "390px"])
def test_the_settings_page_passes_axe(new_context, sign_in, sent_and_failed, viewport):
    page = new_context(viewport=viewport, bypass_csp=True).new_page()
    sign_in(page)
    page.goto("/settings/notifications/")
    expect(
        page.get_by_text("last delivery failed: The mail server refused it (550).")
    ).to_be_visible()

    assert serious_axe_violations(page) == []
    page.get_by_label("Pause all e-mails for (days)").fill("0")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Pause for 1 to 90 days.")).to_be_visible()
    assert serious_axe_violations(page) == []


def test_on_a_phone_the_notifications_fit_without_sideways_scrolling(
    new_context, sign_in, sent_and_failed
):
    page = new_context(viewport=PHONE).new_page()
    sign_in(page)
    for path, words in {
        "/settings/notifications/": "last delivery failed: The mail server refused it (550).",
        "/activity/": "Daily digest to pm@example.com: 12 items need you",
    }.items():
        page.goto(path)
        expect(page.get_by_text(words)).to_be_visible()
        assert page.evaluate(FITS_SIDEWAYS), path
    # The contract page's invoice IDs overflow a phone by themselves (app.css); its last
    # notification must not.
    page.goto("/contracts/ctr_owner_label_007/")
    line = page.get_by_text("Last notification: E-mail to pm@example.com")
    assert line.evaluate("el => el.getBoundingClientRect().right <= window.innerWidth")
