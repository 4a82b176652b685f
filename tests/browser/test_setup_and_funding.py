"""In Chromium: buttons a setup problem blocks are disabled with the reason beside them, the
over-total warning, and "Create and request funding" ending on the approval page; axe clean."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import serious_axe_violations
from tests.mirror_helpers import sync_account

pytestmark = pytest.mark.browser


def act_as(page, label):
    page.get_by_label("Act as").select_option(label=label)
    page.get_by_role("button", name="Switch").click()
    expect(page.get_by_role("status")).to_contain_text(label)


def test_an_unclaimed_account_gets_disabled_buttons_with_the_reason_beside_them(axe_page):
    page = axe_page
    act_as(page, "Agent workspace (unclaimed)")
    sync_account("unclaimed")

    page.goto("/contracts/ctr_unclaimed_fixed_300/")
    main = page.get_by_role("main")
    for name in ("New milestone", "End contract", "Request payout approval"):
        expect(main.get_by_role("button", name=name)).to_be_disabled()
    reason = main.locator(".blocked-reason").first
    expect(reason).to_contain_text("A human must claim this OpenTrain account first.")
    expect(reason.get_by_role("link", name="Claim the OpenTrain account")).to_be_visible()
    assert serious_axe_violations(page) == []

    page.goto("/")
    setup = page.get_by_role("region", name="Setup")
    expect(setup).to_contain_text("Claim the OpenTrain account")
    expect(page.locator(".inbox-actions button[disabled]").first).to_be_visible()
    assert serious_axe_violations(page) == []


def test_the_over_total_warning_is_accessible(axe_page):
    page = axe_page
    page.goto("/contracts/ctr_owner_hourly_1250/milestones/new/")
    page.get_by_label("Description").fill("More hours than planned")
    page.get_by_label("Hours", exact=True).fill("41")
    page.get_by_role("button", name="Create milestone").click()

    expect(page.get_by_label("Create it anyway, over the estimated total")).to_be_visible()
    assert serious_axe_violations(page) == []


def test_create_and_request_funding_ends_on_the_approval_page_with_copy_and_email(axe_page):
    page = axe_page
    page.goto("/contracts/ctr_owner_hourly_15/milestones/new/")
    page.get_by_label("Description").fill("Fund me at once")
    page.get_by_label("Hours", exact=True).fill("3")
    page.get_by_role("button", name="Create and request funding").click()

    expect(page).to_have_url(re.compile(r"/approvals/[^/]+/$"))
    expect(page.get_by_role("status")).to_contain_text("funding requested")
    expect(page.get_by_role("button", name="Copy link")).to_be_visible()
    email = page.get_by_role("link", name="E-mail it")
    expect(email).to_have_attribute("href", re.compile(r"^mailto:.*%2445\.00"))
    assert serious_axe_violations(page) == []
