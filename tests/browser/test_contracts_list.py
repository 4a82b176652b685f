"""Signing in, finding, sorting and picking contracts, in Chromium, as a project manager would:
with the mouse, the keyboard shortcuts and on a phone."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, serious_axe_violations

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

    page.get_by_label("Search", exact=True).fill("spanish")
    expect(page).to_have_url(re.compile(r"q=spanish"))
    expect(results).to_contain_text("1 contract")
    expect(rows.filter(has_text="Spanish Sentiment Labels (per label)")).to_have_count(1)

    page.get_by_label("Search", exact=True).fill("no such contract")
    expect(results).to_contain_text("No contracts match these filters")

    assert page.evaluate("window.notReloaded") is True
    # The URL holds the filters, so reloading or sharing it shows the same list.
    page.reload()
    expect(page.get_by_label("Payment model")).to_have_value("PAY_PER_LABEL")
    expect(page.get_by_label("Search", exact=True)).to_have_value("no such contract")


def test_the_filters_work_without_javascript(new_context, sign_in):
    page = new_context(java_script_enabled=False).new_page()
    sign_in(page)

    page.get_by_label("Payment model").select_option(label="Hourly")
    page.get_by_label("Search", exact=True).fill("kenya")
    page.get_by_role("button", name="Apply filters").click()

    expect(page).to_have_url(re.compile(r"payment_type=PAY_PER_HOUR.*q=kenya"))
    results = page.get_by_role("region", name="Contracts")
    expect(results).to_contain_text("1 contract")
    expect(results).to_contain_text("Medical Transcript QA (hourly)")


def _titles(page) -> list[str]:
    return page.locator("table.contracts tbody td.title-cell > a").all_inner_texts()


def test_a_column_header_sorts_the_list_in_place_and_a_second_click_reverses_it(pm_page):
    page = pm_page
    page.evaluate("window.notReloaded = true")
    header = page.get_by_role("columnheader", name="Contract")

    header.get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"sort=title"))
    expect(header).to_have_attribute("aria-sort", "ascending")
    expect(page.get_by_label("Sort")).to_have_value("title")
    titles = _titles(page)
    assert titles == sorted(titles)

    header.get_by_role("link").click()
    expect(header).to_have_attribute("aria-sort", "descending")
    expect(page).to_have_url(re.compile(r"sort=-title"))
    assert _titles(page) == sorted(titles, reverse=True)
    assert page.evaluate("window.notReloaded") is True


def test_the_needs_attention_filter_and_the_sort_select_keep_each_other(pm_page):
    page = pm_page
    results = page.get_by_role("region", name="Contracts")
    page.get_by_label("Sort").select_option(label="Needs attention first")
    expect(page).to_have_url(re.compile(r"sort=attention"))
    first = results.get_by_role("row").nth(1)
    expect(first).to_contain_text("Budget depleted")

    page.get_by_label("Needs attention only").check()
    expect(page).to_have_url(re.compile(r"attention=1"))
    expect(results.get_by_role("row").filter(has_text="Legal Clause Classification")).to_have_count(
        0
    )
    expect(page.get_by_role("columnheader", name="Needs attention")).to_have_attribute(
        "aria-sort", "descending"
    )


def test_sorting_by_a_header_works_without_javascript(new_context, sign_in):
    page = new_context(java_script_enabled=False).new_page()
    sign_in(page)
    page.get_by_role("columnheader", name="Rate").get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"sort=-rate"))
    expect(page.get_by_label("Sort")).to_have_value("-rate")
    expect(page.get_by_role("columnheader", name="Rate")).to_have_attribute(
        "aria-sort", "descending"
    )


def test_ticked_contracts_go_to_the_batch_form_together(pm_page):
    page = pm_page
    page.get_by_label("Select Chatbot Red-Teaming Prompts").check()
    page.get_by_label("Select Medical Transcript QA (hourly)").check()
    page.get_by_role("button", name="Add milestones").click()
    expect(page).to_have_url(
        re.compile(
            r"/milestones/batch/new/\?contract=ctr_owner_hourly_1250&contract=ctr_owner_fixed_450$"
            r"|/milestones/batch/new/\?contract=ctr_owner_fixed_450&contract=ctr_owner_hourly_1250$"
        )
    )
    # The batch form lists both, pre-filled from their last milestones, ready to preview.
    main = page.get_by_role("main")
    expect(main).to_contain_text("Chatbot Red-Teaming Prompts")
    expect(main).to_contain_text("Medical Transcript QA (hourly)")
    page.get_by_role("button", name="Preview these milestones").click()
    expect(page.get_by_role("button", name="Confirm and send")).to_be_visible()


def test_slash_focuses_the_search_and_typing_there_is_not_a_shortcut(pm_page):
    page = pm_page
    page.keyboard.press("/")
    expect(page.get_by_label("Search", exact=True)).to_be_focused()
    page.keyboard.type("jk")
    expect(page.get_by_label("Search", exact=True)).to_have_value("jk")
    expect(page.locator("tr.is-current")).to_have_count(0)


def test_j_and_k_move_through_the_rows_and_enter_opens_one(pm_page):
    page = pm_page
    rows = page.locator("table.contracts tbody tr")
    page.keyboard.press("j")
    expect(rows.nth(0)).to_be_focused()
    page.keyboard.press("j")
    page.keyboard.press("j")
    expect(rows.nth(2)).to_be_focused()
    expect(rows.nth(2)).to_have_class(re.compile("is-current"))
    page.keyboard.press("k")
    expect(rows.nth(1)).to_be_focused()
    href = rows.nth(1).get_attribute("data-href")

    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(re.escape(href) + "$"))


def test_the_shortcuts_survive_the_results_being_swapped(pm_page):
    page = pm_page
    page.get_by_label("Payment model").select_option(label="Hourly")
    expect(page.get_by_role("region", name="Contracts")).to_contain_text("3 contracts")
    page.locator("h1").click()
    page.keyboard.press("j")
    expect(page.locator("table.contracts tbody tr").first).to_be_focused()


def test_n_opens_a_new_milestone_for_the_chosen_contract_or_the_picker(pm_page):
    page = pm_page
    page.keyboard.press("n")
    expect(page).to_have_url(re.compile(r"/milestones/new/$"))

    page.goto("/contracts/?sort=title")
    page.keyboard.press("j")  # Audio Transcription Spot Checks (rate pending), active
    new = page.locator("table.contracts tbody tr").first.get_attribute("data-new")
    page.keyboard.press("n")
    expect(page).to_have_url(re.compile(re.escape(new) + "$"))


def test_question_mark_lists_the_shortcuts_in_a_dialog_closed_with_escape(pm_page):
    page = pm_page
    page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Search the contracts")
    expect(dialog).to_contain_text("New milestone")
    page.keyboard.press("j")  # no shortcut acts behind the dialog
    expect(page.locator("tr.is-current")).to_have_count(0)
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()


def test_on_a_phone_each_contract_is_a_compact_row_without_sideways_scrolling(new_context, sign_in):
    page = new_context(viewport=PHONE, bypass_csp=True).new_page()
    sign_in(page)
    rows = page.locator("table.contracts tbody tr")
    expect(rows).to_have_count(11)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    # Nothing is cut off at the row's right edge either (the table's box could scroll).
    wrap = page.locator(".table-wrap")
    assert wrap.evaluate("el => el.scrollWidth <= el.clientWidth")
    heights = [rows.nth(i).bounding_box()["height"] for i in range(11)]
    assert max(heights) <= 200, heights  # title, badges and its action, not a 330-px card
    row = rows.filter(has_text="Spanish Sentiment Labels (per label)")
    expect(row.locator("progress")).to_be_visible()
    expect(row.get_by_text("Budget depleted")).to_be_visible()
    expect(row.get_by_text("Active", exact=True)).to_be_visible()
    assert serious_axe_violations(page) == []


@pytest.mark.parametrize("path", ["/contracts/?sort=attention&attention=1", "/contracts/?sort=x"])
def test_the_sorted_and_filtered_list_passes_axe(new_context, sign_in, path):
    page = new_context(bypass_csp=True).new_page()
    sign_in(page)
    page.goto(path)
    assert serious_axe_violations(page) == []
    page.keyboard.press("?")
    expect(page.get_by_role("dialog")).to_be_visible()
    assert serious_axe_violations(page) == []
