"""The "Needs you" page in Chromium: one click starts the fix, snooze, and the phone layout."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE

pytestmark = pytest.mark.browser


def test_add_next_batch_opens_the_form_with_the_volume_and_its_cost(pm_page):
    pm_page.goto("/")
    depleted = pm_page.locator('[data-key="depleted:ctr_owner_label_007"]')
    depleted.get_by_role("link", name="Add next batch").click()
    expect(pm_page.get_by_label("Labels")).to_have_value("5000")
    expect(pm_page.locator("#cost-preview")).to_contain_text("$350.00")


def test_snooze_takes_the_item_off_the_page_and_the_count(pm_page):
    pm_page.goto("/")
    count = int(pm_page.locator(".nav-count").first.inner_text().split()[0])
    item = pm_page.locator('[data-key="no_funded:ctr_owner_fixed_450"]')
    item.get_by_role("button", name="Snooze for a day").click()
    expect(pm_page.get_by_text("Snoozed for a day")).to_be_visible()
    expect(item).to_have_count(0)
    expect(pm_page.locator(".nav-count").first).to_contain_text(str(count - 1))


def test_the_inbox_reads_on_a_phone_without_sideways_scrolling(new_context, sign_in):
    page = new_context(viewport=PHONE).new_page()
    sign_in(page)
    page.goto("/")
    expect(page.get_by_role("heading", name="Needs you")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    action = page.locator('[data-key="review:ms_owner_fixed_1250_2"]').get_by_role(
        "link", name="Request payout approval"
    )
    box = action.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
