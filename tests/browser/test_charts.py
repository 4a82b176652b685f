"""The spend page's and the contract page's charts in Chromium, on a 1280 px laptop and a 390 px
phone: each picture is shown at a readable size inside the screen's width, its table opens from
"Show as table" with the same numbers, axe finds nothing serious, and the page never scrolls
sideways."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, serious_axe_violations
from tests.mirror_helpers import sync_account

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1280, "height": 900}
CHARTS = [
    ("/spend/", "spend-months"),
    ("/contracts/ctr_owner_hourly_15/", "budget-timeline"),
    ("/contracts/ctr_owner_fixed_1250/", "budget-timeline"),
]


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["laptop", "phone"])
@pytest.mark.parametrize(("path", "chart_id"), CHARTS)
def test_each_chart_shows_inside_the_screen_with_its_table_and_passes_axe(
    new_context, sign_in, viewport, path, chart_id
):
    sync_account()
    page = new_context(viewport=viewport, bypass_csp=True).new_page()
    sign_in(page)

    page.goto(path)

    figure = page.locator(f"figure#{chart_id}")
    picture = figure.locator("svg.chart-svg")
    expect(picture).to_be_visible()
    box = picture.bounding_box()
    assert 300 <= box["width"] <= viewport["width"]
    assert box["height"] >= 150
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]

    table = figure.locator("details.chart-table table")
    expect(table).to_be_hidden()
    figure.get_by_text("Show as table").click()
    expect(table).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    desc = figure.locator("desc").text_content()
    assert desc and "$" in desc
    assert serious_axe_violations(page) == []
