"""Accessibility in Chromium: labels, the keyboard alone, and axe-core on every main page."""

import re

import pytest
from playwright.sync_api import expect

from sandbox.models import Milestone
from tests.browser.conftest import serious_axe_violations
from tests.mirror_helpers import apply_approval

pytestmark = pytest.mark.browser

# The text a person would use for the focused element: its label, else its own text.
FOCUSED_NAME = r"""() => {
  const el = document.activeElement;
  const label = el.labels && el.labels[0];
  const text = label ? label.innerText : el.getAttribute("aria-label") || el.innerText || "";
  return text.replace(/\s+/g, " ").trim();
}"""

# Every control a person can type into or choose from, and whether something names it.
UNLABELLED_CONTROLS = """() => Array.from(
  document.querySelectorAll("input:not([type=hidden]), select, textarea")
).filter((el) => !(el.labels && el.labels.length) && !el.getAttribute("aria-label")
  && !el.getAttribute("aria-labelledby")).map((el) => el.outerHTML)"""

FORM_PAGES = [
    "/contracts/",
    "/milestones/new/",
    "/milestones/new/?contract=ctr_owner_hourly_38",
    "/contracts/ctr_owner_fixed_450/milestones/new/",
    "/contracts/ctr_owner_hourly_15/milestones/new/",
    "/contracts/ctr_owner_label_035/milestones/new/",
]


def _tab_to(page, name, limit=80):
    """Press Tab until the focused element is called `name`, as a keyboard user would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(FOCUSED_NAME) == name:
            return
    raise AssertionError(f"Tab never reached {name!r}")


def test_every_input_has_a_label(page, sign_in):
    page.goto("/accounts/login/")
    assert page.evaluate(UNLABELLED_CONTROLS) == []
    sign_in(page)
    for path in FORM_PAGES:
        page.goto(path)
        expect(page.locator("form").first).to_be_visible()
        assert page.evaluate(UNLABELLED_CONTROLS) == [], path


def test_a_milestone_is_created_with_the_keyboard_alone(page, pm_user):
    page.goto("/accounts/login/")
    expect(page.get_by_label("Username")).to_be_focused()  # autofocus
    page.keyboard.type("editor")
    page.keyboard.press("Tab")
    page.keyboard.type("editor-pass-123")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/contracts/$"))

    _tab_to(page, "New milestone for Chatbot Red-Teaming Prompts")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/contracts/ctr_owner_fixed_450/milestones/new/$"))

    _tab_to(page, "Name")
    page.keyboard.type("Keyboard batch")
    page.keyboard.press("Tab")
    page.keyboard.type("Typed without a mouse")
    _tab_to(page, "Amount (USD)")
    page.keyboard.press("Enter")  # empty amount: the error takes the focus
    expect(page.get_by_label("Amount (USD)")).to_be_focused()
    expect(page.get_by_label("Amount (USD)")).to_have_attribute("aria-invalid", "true")
    page.keyboard.type("320")
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Milestone created")
    created = Milestone.objects.get(contract_id="ctr_owner_fixed_450", name="Keyboard batch")
    assert created.description == "Typed without a mouse"
    assert created.amount_usd == 320


def test_the_sign_in_page_passes_axe(new_context):
    page = new_context(bypass_csp=True).new_page()
    page.goto("/accounts/login/")
    assert serious_axe_violations(page) == []


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/contracts/",
        "/contracts/?payment_type=PAY_PER_LABEL&q=nothing-matches",
        "/contracts/ctr_owner_label_007/",
        "/contracts/ctr_owner_fixed_1250/",
        "/milestones/new/",
        "/contracts/ctr_owner_fixed_450/milestones/new/",
        "/contracts/ctr_owner_hourly_15/milestones/new/",
        "/contracts/ctr_owner_label_035/milestones/new/",
        "/milestones/ms_owner_hourly_38_1/fund/?contract=ctr_owner_hourly_38",
        "/contracts/ctr_owner_hourly_38/end/",
        "/activity/",
        "/approvals/",
    ],
)
def test_main_pages_have_no_serious_axe_violations(axe_page, path):
    axe_page.goto(path)
    assert serious_axe_violations(axe_page) == []


def test_pages_after_actions_have_no_serious_axe_violations(axe_page):
    page = axe_page
    # The form answering with errors.
    page.goto("/contracts/ctr_owner_label_035/milestones/new/")
    page.get_by_label("Labels", exact=True).fill("0.5")
    page.get_by_role("button", name="Create milestone").click()
    expect(page.get_by_label("Labels", exact=True)).to_have_attribute("aria-invalid", "true")
    assert serious_axe_violations(page) == []

    # A created milestone, then the activity page that lists it.
    page.get_by_label("Description").fill("Checked by axe")
    page.get_by_label("Labels", exact=True).fill("100")
    page.get_by_role("button", name="Create milestone").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Milestone created")
    assert serious_axe_violations(page) == []
    page.goto("/activity/")
    assert serious_axe_violations(page) == []

    # A pending funding handoff, the sandbox's approval page, and the confirmed result.
    page.goto("/milestones/ms_owner_label_035_1/fund/?contract=ctr_owner_label_035")
    page.get_by_role("button", name="Request funding").click()
    expect(page.get_by_role("link", name=re.compile("Open the approval"))).to_be_visible()
    assert serious_axe_violations(page) == []
    with page.context.expect_page() as opened:
        page.get_by_role("link", name=re.compile("Open the approval")).click()
    assert serious_axe_violations(opened.value) == []
    opened.value.get_by_role("button", name="Confirm").click()
    expect(opened.value.get_by_role("status")).to_contain_text("Confirmed")
    apply_approval(page.url.rstrip("/").rsplit("/", 1)[-1])  # the worker's step
    page.reload()
    expect(page.get_by_role("main")).to_contain_text("Confirmed in OpenTrain")
    assert serious_axe_violations(page) == []
    page.goto("/contracts/ctr_owner_label_035/")
    assert serious_axe_violations(page) == []
