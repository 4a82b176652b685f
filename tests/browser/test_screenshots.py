"""`make screenshots`: a PNG of each main screen, on a laptop and on a phone, for the README.

On a laptop (1366x900) the whole page; on a phone (390x844) one screenful, scrolled to the part
that matters (the cost preview, the claim message).

Not part of `make test` (the `screenshots` marker is deselected there); it walks the same flows
as the browser tests and saves what a project manager sees under docs/screenshots/.
"""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import LAPTOP, PHONE
from tests.milestone_helpers import LATER
from tests.mirror_helpers import sync_account

pytestmark = [pytest.mark.browser, pytest.mark.screenshots]

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.mark.parametrize(("size", "viewport"), [("laptop", LAPTOP), ("phone", PHONE)])
def test_save_a_screenshot_of_each_main_screen(new_context, sign_in, size, viewport):
    page = new_context(viewport=viewport).new_page()
    OUT.mkdir(parents=True, exist_ok=True)

    def shoot(name, focus=None):
        """The whole page on a laptop; on a phone, one screenful around `focus` (or the top)."""
        page.wait_for_load_state("networkidle")
        if size == "phone" and focus is not None:
            focus.evaluate("el => el.scrollIntoView({block: 'center'})")
        page.screenshot(
            path=OUT / f"{name}-{size}.png", full_page=size == "laptop", animations="disabled"
        )

    sign_in(page)
    shoot("contracts")

    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Needs you")
    shoot("inbox")

    page.goto("/contracts/ctr_owner_label_007/")
    shoot("contract")

    page.goto("/spend/")
    shoot("spend", focus=page.locator("figure#spend-months"))

    page.goto("/contracts/ctr_owner_fixed_1250/")
    shoot("contract-chart", focus=page.locator("figure#budget-timeline"))

    def fill_form(contract_id, name, description, money_label, money):
        page.goto(f"/contracts/{contract_id}/milestones/new/")
        page.get_by_label("Name").fill(name)
        page.get_by_label("Description").fill(description)
        page.get_by_label(money_label, exact=True).fill(money)

    preview = page.locator("#cost-preview")
    fill_form(
        "ctr_owner_hourly_1250", "Weeks 5-6", "QA of the next 400 transcripts.", "Hours", "16"
    )
    expect(preview).to_contain_text("$200.00")
    shoot("form-hourly", focus=preview)

    fill_form("ctr_owner_label_007", "Batch C", "Three labels, to check the sums.", "Labels", "3")
    expect(preview).to_contain_text("$0.21")
    shoot("form-per-label", focus=preview)

    fill_form(
        "ctr_owner_fixed_450",
        "First 200 prompts",
        "200 adversarial prompts with expected refusals.",
        "Amount (USD)",
        "150",
    )
    page.get_by_label("Due date").fill(LATER)
    shoot("form-fixed-price", focus=page.get_by_label("Amount (USD)"))
    page.get_by_role("button", name="Create milestone").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Milestone created")
    shoot("milestone-created")

    page.goto("/milestones/ms_owner_hourly_38_1/fund/?contract=ctr_owner_hourly_38")
    page.get_by_role("button", name="Request funding").click()
    expect(page.get_by_role("link", name=re.compile("Open the approval"))).to_be_visible()
    shoot("approval-handoff")

    page.get_by_label("Act as").select_option(label="Agent workspace (unclaimed)")
    page.get_by_role("button", name="Switch").click()
    sync_account("unclaimed")  # the worker follows every demo account
    # The form that cannot succeed is replaced by the reason and the claim link.
    page.goto("/contracts/ctr_unclaimed_fixed_300/milestones/new/")
    claim = page.get_by_role("alert").filter(has_text="claim")
    expect(claim).to_be_visible()
    page.evaluate("window.scrollTo(0, 0)")
    shoot("claim-error", focus=claim)

    page.goto("/activity/")
    shoot("activity")

    page.goto("/settings/notifications/")
    shoot("notifications")

    page.goto("/settings/channels/")
    shoot("channels")
