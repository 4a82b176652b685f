"""Signing in and finding a contract, in Chromium, as a project manager would."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_a_project_manager_signs_in_through_the_login_form(page, pm_user):
    page.goto("/contracts/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))

    page.get_by_label("Username").fill("editor")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("correct username and password")
    expect(page.get_by_label("Username")).to_have_attribute("aria-invalid", "true")

    page.get_by_label("Password").fill("editor-pass-123")
    page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(re.compile(r"/contracts/$"))
    expect(page.get_by_role("heading", name="Contracts", level=1)).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def test_the_contracts_list_shows_every_contract_of_the_account(pm_page):
    results = pm_page.get_by_role("region", name="Contracts")
    expect(results).to_contain_text("11 contracts")
    rows = results.get_by_role("row")
    expect(rows).to_have_count(12)  # a header row and 11 contracts
    row = rows.filter(has_text="Medical Transcript QA (hourly)")
    expect(row).to_contain_text("Aisha K.")
    expect(row).to_contain_text("Hourly")
    expect(row).to_contain_text("$12.50")
    expect(row.get_by_role("link", name=re.compile("New milestone"))).to_be_visible()
    ended = rows.filter(has_text="Legal Clause Classification")
    expect(ended).to_contain_text("Ended")
    expect(ended.get_by_role("link", name=re.compile("New milestone"))).to_have_count(0)


def test_filters_and_search_update_the_list_without_reloading_the_page(pm_page):
    page = pm_page
    # A full page load would wipe this marker; htmx swapping the results keeps it.
    page.evaluate("window.notReloaded = true")
    results = page.get_by_role("region", name="Contracts")
    rows = results.get_by_role("row")

    page.get_by_label("Payment model").select_option(label="Per label")
    expect(page).to_have_url(re.compile(r"payment_type=PAY_PER_LABEL"))
    expect(results).to_contain_text("4 contracts")
    expect(rows.filter(has_text="Hourly")).to_have_count(0)

    page.get_by_label("Status").select_option(label="Active")
    expect(page).to_have_url(re.compile(r"status=active"))
    expect(results).to_contain_text("4 contracts")

    page.get_by_label("Search").fill("spanish")
    expect(page).to_have_url(re.compile(r"q=spanish"))
    expect(results).to_contain_text("1 contract")
    expect(rows.filter(has_text="Spanish Sentiment Labels (per label)")).to_have_count(1)

    page.get_by_label("Search").fill("no such contract")
    expect(results).to_contain_text("No contracts match these filters")

    assert page.evaluate("window.notReloaded") is True
    # The URL holds the filters, so reloading or sharing it shows the same list.
    page.reload()
    expect(page.get_by_label("Payment model")).to_have_value("PAY_PER_LABEL")
    expect(page.get_by_label("Search")).to_have_value("no such contract")


def test_the_filters_work_without_javascript(new_context, sign_in):
    page = new_context(java_script_enabled=False).new_page()
    sign_in(page)

    page.get_by_label("Payment model").select_option(label="Hourly")
    page.get_by_label("Search").fill("kenya")
    page.get_by_role("button", name="Apply filters").click()

    expect(page).to_have_url(re.compile(r"payment_type=PAY_PER_HOUR.*q=kenya"))
    results = page.get_by_role("region", name="Contracts")
    expect(results).to_contain_text("1 contract")
    expect(results).to_contain_text("Medical Transcript QA (hourly)")
