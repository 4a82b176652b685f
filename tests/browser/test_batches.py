"""Batches in Chromium: ticked contracts → preview (a row edited in place) → confirm → live
progress → funding for all; the inbox's budget tick boxes; a CSV chosen with the file chooser.
Every page on the way is checked with axe-core. The worker's steps run in the test process
(`.call`), as the worker would run them; the open page picks them up by its own polling."""

import pytest
from playwright.sync_api import expect

from dashboard.batches.funding import fund_batch
from dashboard.batches.models import Batch
from dashboard.batches.tasks import send_batch
from sandbox.models import Milestone
from tests.batch_helpers import csv_file, valid_row
from tests.browser.conftest import serious_axe_violations
from tests.milestone_helpers import ENDED, HOURLY, LABELS

pytestmark = pytest.mark.browser


def the_batch() -> Batch:
    return Batch.objects.get()


def test_ticked_contracts_go_through_preview_and_confirm_to_live_progress(axe_page):
    page = axe_page
    page.goto(f"/milestones/batch/new/?contract={HOURLY}&contract={LABELS}&contract={ENDED}")
    expect(page.get_by_role("main")).to_contain_text("Weeks 5-6")
    expect(page.get_by_role("main")).to_contain_text("This contract is ended")
    assert serious_axe_violations(page) == []

    page.get_by_role("button", name="Preview these milestones").click()
    expect(page.get_by_text("Total cost:")).to_contain_text("$850.00")  # $500 + $350
    assert serious_axe_violations(page) == []

    # A row edited in place (htmx): a bad value is named beside its field, then fixed.
    page.get_by_role("link", name="Edit line 2").click()
    hours = page.get_by_label("Hours")
    hours.fill("ten")
    page.get_by_role("button", name="Save line 2").click()
    expect(page.get_by_label("Hours")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Hours")).to_have_value("ten")
    assert serious_axe_violations(page) == []
    page.get_by_label("Hours").fill("10")
    page.get_by_role("button", name="Save line 2").click()
    expect(page.locator("#row-2")).to_contain_text("$125.00")
    expect(page.get_by_text("Total cost:")).to_contain_text("$475.00")

    page.get_by_role("button", name="Confirm and send").click()
    expect(page.locator(".batch-counts")).to_contain_text("2 waiting")
    send_batch.call(batch_id=str(the_batch().pk))  # the worker's step
    expect(page.locator(".batch-counts")).to_contain_text("2 created", timeout=15_000)
    assert Milestone.objects.filter(contract_id=HOURLY, volume=10).count() == 1
    assert serious_axe_violations(page) == []

    page.get_by_role("button", name="Request funding for all created").click()
    fund_batch.call(batch_id=str(the_batch().pk))  # the worker's step
    expect(page.get_by_role("main")).to_contain_text("2 waiting for a person", timeout=15_000)
    assert serious_axe_violations(page) == []
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.get_by_role("button", name="Copy all links").click()
    copied = page.evaluate("navigator.clipboard.readText()").split("\n")
    assert len(copied) == 2 and all("/sandbox/approvals/apr_" in link for link in copied)


def test_the_inbox_budget_tick_boxes_lead_to_add_milestones(axe_page):
    page = axe_page
    page.goto("/")
    page.get_by_label("Tick Medical Transcript QA (hourly)").check()
    assert serious_axe_violations(page) == []

    page.locator("#add-low").get_by_role("button", name="Add milestones").click()

    expect(page).to_have_url(f"/milestones/batch/new/?contract={HOURLY}")
    expect(page.get_by_role("main")).to_contain_text("Weeks 5-6")
    page.get_by_role("button", name="Preview these milestones").click()
    expect(page.locator("#row-2")).to_contain_text("$500.00")
    assert the_batch().rows.count() == 1


def test_a_csv_chosen_with_the_file_chooser_becomes_a_preview(axe_page):
    page = axe_page
    page.goto("/milestones/import/")
    assert serious_axe_violations(page) == []
    upload = csv_file([valid_row(1), valid_row(2), valid_row(3)])

    with page.expect_file_chooser() as chooser:
        page.get_by_label("CSV or Excel file").click()
    chooser.value.set_files(
        {"name": "week.csv", "mimeType": "text/csv", "buffer": upload.getvalue()}
    )
    page.get_by_role("button", name="Preview").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("week.csv")
    expect(page.get_by_text("Total cost:")).to_contain_text("$420.00")
    expect(page.get_by_role("button", name="Confirm and send")).to_be_enabled()
    assert serious_axe_violations(page) == []


def test_confirm_and_send_never_sends_the_old_values_of_a_line_still_open(axe_page):
    page = axe_page
    page.goto(f"/milestones/batch/new/?contract={HOURLY}&contract={LABELS}")
    page.get_by_role("button", name="Preview these milestones").click()
    confirm = page.get_by_role("button", name="Confirm and send")

    page.get_by_role("link", name="Edit line 2").click()
    page.get_by_label("Hours").fill("12")
    expect(confirm).to_be_disabled()
    expect(page.locator("#batch-confirm")).to_contain_text("Save or cancel line 2 first")

    # A second line opened and saved: the button comes back, but line 2 is still open.
    page.get_by_role("link", name="Edit line 3").click()
    page.get_by_label("Labels").fill("6000")
    page.get_by_role("button", name="Save line 3").click()
    expect(page.locator("#row-3")).to_contain_text("6,000 labels")
    confirm.click()

    expect(page.locator("#batch-confirm")).to_contain_text("Line 2 is still open")
    expect(page.get_by_label("Hours")).to_have_value("12")  # what was typed is still there
    assert not the_batch().confirmed
    assert serious_axe_violations(page) == []
