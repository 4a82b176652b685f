"""The milestone picker in Chromium: choosing a contract logs nothing to the browser's console,
the "Choose" button is for pages without JavaScript only, and the Contract label lines up with
the other fields' labels.

(Every browser test fails on a console error, see conftest.py; these say so in their own words.)
"""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE

pytestmark = pytest.mark.browser

LAPTOP_1280 = {"width": 1280, "height": 800}
VIEWPORTS = pytest.mark.parametrize("viewport", [LAPTOP_1280, PHONE], ids=["laptop", "phone"])


@pytest.fixture
def picker_page(new_context, sign_in, viewport):
    page = new_context(viewport=viewport).new_page()
    sign_in(page)
    page.goto("/milestones/new/")
    return page


def _console_errors(page):
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


@VIEWPORTS
def test_choosing_a_contract_in_the_picker_logs_no_console_error(picker_page):
    page = picker_page
    errors = _console_errors(page)
    picker = page.get_by_label("Contract", exact=True)

    picker.select_option(value="ctr_owner_label_035")
    expect(page.get_by_label("Labels", exact=True)).to_be_visible()
    picker.select_option(value="ctr_owner_hourly_15")
    expect(page.get_by_label("Hours", exact=True)).to_be_visible()
    page.get_by_label("Hours", exact=True).fill("2")
    expect(page.locator("#cost-preview")).to_contain_text("$")

    assert errors == []


@VIEWPORTS
def test_with_javascript_choose_is_hidden_and_the_contract_label_lines_up(picker_page):
    page = picker_page
    expect(page.get_by_role("button", name="Choose")).to_have_count(0)

    contract_label = page.locator("label[for=id_contract]").bounding_box()
    select = page.get_by_label("Contract", exact=True).bounding_box()
    name_label = page.locator("label[for=id_name]").bounding_box()
    name = page.get_by_label("Name").bounding_box()
    # As every other field: the label starts where its control starts, above it.
    assert contract_label["x"] == pytest.approx(name_label["x"], abs=1)
    assert contract_label["x"] == pytest.approx(select["x"], abs=1)
    assert name_label["x"] == pytest.approx(name["x"], abs=1)
    assert contract_label["y"] + contract_label["height"] <= select["y"]
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_without_javascript_choose_is_shown_and_keeps_what_was_typed(new_context, sign_in):
    page = new_context(java_script_enabled=False).new_page()
    sign_in(page)
    page.goto("/milestones/new/")
    page.get_by_label("Name").fill("Typed first")
    page.get_by_label("Contract", exact=True).select_option(value="ctr_owner_hourly_15")

    page.get_by_role("button", name="Choose").click()

    expect(page.get_by_label("Hours", exact=True)).to_be_visible()
    expect(page.get_by_label("Name")).to_have_value("Typed first")
