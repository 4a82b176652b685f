"""The keyboard, in Chromium: leaving the search box with Esc, the shortcuts after it, the new
milestone's form opened with the cursor in it, Enter in the picker's form, and the "?" list."""

import re

import pytest
from playwright.sync_api import expect

from sandbox.models import Milestone
from tests.browser.conftest import PHONE
from tests.milestone_helpers import LATER

pytestmark = pytest.mark.browser

LAPTOP_1280 = {"width": 1280, "height": 800}
VIEWPORTS = pytest.mark.parametrize("viewport", [LAPTOP_1280, PHONE], ids=["laptop", "phone"])


@pytest.fixture
def keyboard_page(new_context, sign_in, viewport):
    page = new_context(viewport=viewport).new_page()
    sign_in(page)
    return page


def _search(page, words):
    page.keyboard.press("/")
    page.keyboard.type(words)
    expect(page).to_have_url(re.compile(rf"[?&]q={words}$"))
    expect(page.get_by_role("region", name="Contracts")).to_contain_text("3 contracts")


@VIEWPORTS
def test_escape_leaves_the_search_box_and_j_and_k_then_move_through_the_results(keyboard_page):
    page = keyboard_page
    search = page.get_by_label("Search", exact=True)
    rows = page.locator("table.contracts tbody tr")
    _search(page, "hourly")

    page.keyboard.press("Escape")
    expect(search).not_to_be_focused()
    expect(search).to_have_value("hourly")  # Esc does not empty the search, nor the list

    page.keyboard.press("j")
    expect(rows.nth(0)).to_be_focused()
    page.keyboard.press("j")
    expect(rows.nth(1)).to_be_focused()
    expect(rows.nth(1)).to_have_class(re.compile("is-current"))
    page.keyboard.press("k")
    expect(rows.nth(0)).to_be_focused()
    expect(search).to_have_value("hourly")
    expect(page).to_have_url(re.compile(r"[?&]q=hourly$"))
    expect(rows).to_have_count(3)


@VIEWPORTS
def test_n_after_escape_opens_the_chosen_contracts_form_with_the_cursor_in_its_name(keyboard_page):
    page = keyboard_page
    _search(page, "hourly")
    page.keyboard.press("Escape")
    page.keyboard.press("j")
    new = page.locator("table.contracts tbody tr").first.get_attribute("data-new")
    expect(page).to_have_url(re.compile(r"[?&]q=hourly$"))  # nothing typed into the search

    page.keyboard.press("n")

    expect(page).to_have_url(re.compile(re.escape(new) + "$"))
    expect(page.get_by_label("Name")).to_be_focused()
    page.keyboard.type("Typed straight away")
    expect(page.get_by_label("Name")).to_have_value("Typed straight away")


def test_n_without_a_chosen_contract_opens_the_picker_with_the_cursor_on_the_contract(pm_page):
    page = pm_page
    _search(page, "hourly")
    page.keyboard.press("Escape")

    page.keyboard.press("n")

    expect(page).to_have_url(re.compile(r"/milestones/new/$"))
    expect(page.get_by_label("Contract", exact=True)).to_be_focused()


def test_enter_in_a_field_of_the_picker_form_creates_the_milestone_and_does_not_press_choose(
    pm_page,
):
    page = pm_page
    before = Milestone.objects.filter(contract_id="ctr_owner_fixed_450").count()
    page.goto("/milestones/new/")
    page.get_by_label("Contract", exact=True).select_option(value="ctr_owner_fixed_450")
    expect(page.get_by_label("Amount (USD)")).to_be_visible()
    page.get_by_label("Description").fill("Sent with Enter")
    page.get_by_label("Amount (USD)").fill("40.00")
    page.get_by_label("Due date").fill(LATER)
    page.get_by_label("Name").fill("Enter key batch")

    page.get_by_label("Name").press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Milestone created")
    expect(page.get_by_role("region", name=re.compile("Milestone #"))).to_contain_text(
        "Enter key batch"
    )
    after = Milestone.objects.filter(contract_id="ctr_owner_fixed_450")
    assert after.count() == before + 1
    assert after.latest("created_at").name == "Enter key batch"


def _listed_keys(dialog):
    return sorted(dialog.locator("dt kbd").all_inner_texts())


def test_question_mark_lists_every_shortcut_and_each_one_works_on_the_list(pm_page):
    page = pm_page
    rows = page.locator("table.contracts tbody tr")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")

    page.keyboard.press("?")
    expect(dialog).to_be_visible()
    assert _listed_keys(dialog) == sorted(["/", "j", "k", "Enter", "n", "?", "Esc"])
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    page.keyboard.press("/")
    expect(page.get_by_label("Search", exact=True)).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.get_by_label("Search", exact=True)).not_to_be_focused()

    page.keyboard.press("j")
    page.keyboard.press("j")
    expect(rows.nth(1)).to_be_focused()
    page.keyboard.press("k")
    expect(rows.nth(0)).to_be_focused()
    href = rows.nth(0).get_attribute("data-href")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(re.escape(href) + "$"))

    page.go_back()
    page.get_by_role("heading", name="Contracts", level=1).click()
    page.keyboard.press("n")
    expect(page).to_have_url(re.compile(r"/milestones/new/$"))


def test_a_viewer_is_not_offered_n_and_n_opens_nothing(new_context, viewer):
    page = new_context().new_page()
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("viewer")
    page.get_by_label("Password").fill("viewer-pass-123")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/contracts/")

    page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    assert _listed_keys(dialog) == sorted(["/", "j", "k", "Enter", "?", "Esc"])
    page.keyboard.press("Escape")
    page.keyboard.press("j")
    page.keyboard.press("n")
    expect(page.locator("table.contracts tbody tr").first).to_be_focused()
    expect(page).to_have_url(re.compile(r"/contracts/$"))
