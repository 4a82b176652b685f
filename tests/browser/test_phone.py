"""The dashboard on a 390 px phone and a 1280 px laptop, in Chromium: no page scrolls sideways in
any flow, the contracts are cards whose first shows in the first screen, the navigation sits
behind a menu button and the filters behind "Filters (2)", the "Needs you" tick boxes sit in
their cards, and on the laptop the header is one row."""

import re

import pytest
from playwright.sync_api import expect

from dashboard.batches.funding import fund_batch
from dashboard.batches.models import Batch
from dashboard.batches.tasks import send_batch
from tests.batch_helpers import INVALID_ROWS, csv_file, valid_row
from tests.browser.conftest import PHONE, serious_axe_violations
from tests.milestone_helpers import ENDED, HOURLY, LABELS
from tests.mirror_helpers import apply_approval, sync_account

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1280, "height": 900}
PAGES = [
    "/",
    "/contracts/",
    "/contracts/?payment_type=PAY_PER_LABEL&q=nothing-matches",
    "/contracts/ctr_owner_label_007/",  # milestones with invoice IDs
    "/contracts/ctr_owner_fixed_1250/",
    "/contracts/ctr_no_such_contract/",
    "/milestones/new/",
    "/milestones/new/?contract=ctr_owner_hourly_38",
    "/contracts/ctr_owner_fixed_450/milestones/new/",
    "/milestones/import/",
    "/milestones/ms_owner_hourly_38_1/fund/?contract=ctr_owner_hourly_38",
    "/contracts/ctr_owner_hourly_38/end/",
    "/activity/",
    "/approvals/",
    "/spend/",
    "/spend/?payment_type=HOURLY&start=2026-13",  # a filter and a bad month with its error
    "/settings/notifications/",
    "/settings/channels/",
]


def wider_than_the_screen(page, state: str) -> list[str]:
    """The page as it stands, measured on the laptop and then on the phone (where it is left):
    one line for each width it is wider than."""
    wide = []
    for viewport in (LAPTOP, PHONE):
        page.set_viewport_size(viewport)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > viewport["width"]:
            wide.append(f"{state} ({page.url}) is {width} px wide at {viewport['width']} px")
    return wide


@pytest.fixture
def phone(new_context, sign_in):
    """A phone signed in as a project manager, on the contracts list (axe-core may be injected)."""
    page = new_context(viewport=PHONE, bypass_csp=True).new_page()
    sign_in(page)
    return page


def act_as(page, label):
    page.get_by_label("Act as").select_option(label=label)
    page.get_by_role("button", name="Switch").click()
    expect(page.get_by_role("status")).to_contain_text(label)


def test_no_page_of_the_navigation_scrolls_sideways_and_each_passes_axe_on_a_phone(
    phone, expected_console_errors
):
    expected_console_errors.append("404 (Not Found)")  # the unknown contract's page
    wide, violations = [], []
    for path in PAGES:
        phone.goto(path)
        wide += wider_than_the_screen(phone, path)
        violations += [f"{path}: {found}" for found in serious_axe_violations(phone)]

    # Setup problems: disabled buttons with their reasons, the inbox's Setup, the sandbox's pages.
    act_as(phone, "Agent workspace (unclaimed)")
    sync_account("unclaimed")  # the worker follows every demo account
    phone.goto("/contracts/ctr_unclaimed_fixed_300/")
    expect(phone.locator(".blocked-reason").first).to_be_visible()
    wide += wider_than_the_screen(phone, "blocked buttons")
    phone.goto("/contracts/ctr_unclaimed_fixed_300/milestones/new/")
    wide += wider_than_the_screen(phone, "the form an unclaimed account cannot send")
    phone.goto("/")
    expect(phone.get_by_role("region", name="Setup")).to_be_visible()
    wide += wider_than_the_screen(phone, "the claim in Setup")
    violations += [f"the claim in Setup: {found}" for found in serious_axe_violations(phone)]
    with phone.context.expect_page() as opened:
        phone.get_by_role("link", name="Claim the OpenTrain account").first.click()
    wide += wider_than_the_screen(opened.value, "the sandbox's claim page")

    act_as(phone, "Read-only token (no payments:write)")
    sync_account("readonly")
    phone.goto("/")
    wide += wider_than_the_screen(phone, "a read-only key in Setup")
    act_as(phone, "No payment method")
    sync_account("nobilling")
    phone.goto("/milestones/ms_nobilling_hourly_38_1/fund/?contract=ctr_nobilling_hourly_38")
    phone.get_by_role("button", name="Request funding").click()  # refused: no payment method
    expect(phone.locator(".problem")).to_be_visible()
    wide += wider_than_the_screen(phone, "the funding request refused")
    phone.goto("/")
    wide += wider_than_the_screen(phone, "no payment method in Setup")
    phone.goto(phone.locator("a[href*='/sandbox/billing/']").first.get_attribute("href"))
    wide += wider_than_the_screen(phone, "the sandbox's billing page")
    assert wide == []
    assert violations == []


def test_a_milestone_from_its_form_to_a_confirmed_approval_never_scrolls_sideways(phone):
    page = phone
    page.goto("/contracts/ctr_owner_label_035/milestones/new/")
    page.get_by_label("Labels", exact=True).fill("0.5")
    page.get_by_role("button", name="Create milestone").click()
    expect(page.get_by_label("Labels", exact=True)).to_have_attribute("aria-invalid", "true")
    wide = wider_than_the_screen(page, "the form with errors")

    page.get_by_label("Description").fill("Checked on a phone")
    page.get_by_label("Labels", exact=True).fill("100")
    page.get_by_role("button", name="Create milestone").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Milestone created")
    wide += wider_than_the_screen(page, "milestone created")

    page.goto("/milestones/ms_owner_label_035_1/fund/?contract=ctr_owner_label_035")
    page.get_by_role("button", name="Request funding").click()
    handoff = page.get_by_role("link", name=re.compile("Open the approval"))
    expect(handoff).to_be_visible()
    wide += wider_than_the_screen(page, "the approval waiting")

    with page.context.expect_page() as opened:
        handoff.click()
    sandbox_page = opened.value
    wide += wider_than_the_screen(sandbox_page, "the sandbox's approval page")
    sandbox_page.get_by_role("button", name="Confirm").click()
    expect(sandbox_page.get_by_role("status")).to_contain_text("Confirmed")
    wide += wider_than_the_screen(sandbox_page, "the sandbox's approval confirmed")

    apply_approval(page.url.rstrip("/").rsplit("/", 1)[-1])  # the worker's step
    page.reload()
    expect(page.get_by_role("main")).to_contain_text("Confirmed in OpenTrain")  # IDs in <code>
    wide += wider_than_the_screen(page, "the approval confirmed")
    page.goto("/contracts/ctr_owner_label_035/")
    wide += wider_than_the_screen(page, "the contract with its approval")
    page.goto("/activity/")
    wide += wider_than_the_screen(page, "activity")
    assert wide == []


def test_an_import_with_errors_and_a_batch_of_ticked_contracts_never_scroll_sideways(phone):
    page = phone
    page.goto("/milestones/import/")
    wide = wider_than_the_screen(page, "import")
    upload = csv_file([valid_row(1), *INVALID_ROWS])
    page.get_by_label("CSV or Excel file").set_input_files(
        {"name": "week.csv", "mimeType": "text/csv", "buffer": upload.getvalue()}
    )
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("week.csv")
    wide += wider_than_the_screen(page, "the import's preview with errors")

    page.goto("/")
    page.get_by_label("Tick Medical Transcript QA (hourly)").check()
    wide += wider_than_the_screen(page, "the inbox with a tick")

    page.goto(f"/milestones/batch/new/?contract={HOURLY}&contract={LABELS}&contract={ENDED}")
    expect(page.get_by_role("main")).to_contain_text("This contract is ended")
    wide += wider_than_the_screen(page, "ticked contracts")
    page.get_by_role("button", name="Preview these milestones").click()
    expect(page.get_by_text("Total cost:")).to_be_visible()
    wide += wider_than_the_screen(page, "the batch's preview")
    page.get_by_role("link", name="Edit line 2").click()
    page.get_by_label("Hours").fill("ten")
    page.get_by_role("button", name="Save line 2").click()
    expect(page.get_by_label("Hours")).to_have_attribute("aria-invalid", "true")
    wide += wider_than_the_screen(page, "a line with an error")
    page.get_by_label("Hours").fill("10")
    page.get_by_role("button", name="Save line 2").click()
    expect(page.locator("#row-2")).to_contain_text("$125.00")

    page.get_by_role("button", name="Confirm and send").click()
    expect(page.locator(".batch-counts")).to_contain_text("2 waiting")
    batch_id = page.url.rstrip("/").rsplit("/", 1)[-1]
    send_batch.call(batch_id=batch_id)  # the worker's step
    expect(page.locator(".batch-counts")).to_contain_text("2 created", timeout=15_000)
    wide += wider_than_the_screen(page, "the batch sent")
    page.get_by_role("button", name="Request funding for all created").click()
    fund_batch.call(batch_id=str(Batch.objects.get(pk=batch_id).pk))  # the worker's step
    expect(page.get_by_role("main")).to_contain_text("2 waiting for a person", timeout=15_000)
    wide += wider_than_the_screen(page, "the batch's funding")
    assert wide == []


def test_the_first_contract_card_shows_in_the_phones_first_screen(phone):
    first = phone.locator("table.contracts tbody tr").first
    expect(first).to_be_visible()
    box = first.bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"], box


def test_a_contract_card_shows_its_full_title_budget_attention_and_new_milestone(phone):
    card = phone.locator("table.contracts tbody tr").filter(
        has_text="Spanish Sentiment Labels (per label)"
    )
    title = card.get_by_role("link", name="Spanish Sentiment Labels (per label)", exact=True)
    expect(title).to_be_visible()
    # Wrapped, not cut off with an ellipsis: the title's cell shows all it holds.
    cell = card.locator(".title-cell")
    assert cell.evaluate("el => el.scrollWidth <= el.clientWidth"), "the title is cut off"
    title_box, card_box = title.bounding_box(), card.bounding_box()
    assert title_box["x"] + title_box["width"] <= card_box["x"] + card_box["width"]

    expect(card.locator(".budget-cell .badge")).to_be_visible()
    expect(card.locator("progress")).to_be_visible()
    expect(card.get_by_text("Budget depleted")).to_be_visible()
    expect(card.get_by_text("Work to review")).to_be_visible()
    expect(card.get_by_role("link", name=re.compile("^New milestone"))).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert serious_axe_violations(phone) == []


def test_the_menu_button_opens_the_navigation_on_a_phone(phone):
    navigation = phone.get_by_role("navigation", name="Main")
    expect(navigation.get_by_role("link", name="Activity")).to_be_hidden()
    expect(phone.get_by_role("link", name="Settings")).to_be_hidden()

    menu = phone.locator("summary").filter(has_text="Menu")
    expect(menu).to_have_text(re.compile(r"^Menu \d+ open items"))  # what needs the PM
    menu.click()
    expect(navigation.get_by_role("link", name="Activity")).to_be_visible()
    expect(phone.get_by_role("button", name="Sign out")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert serious_axe_violations(phone) == []

    phone.get_by_role("link", name="Settings").click()
    expect(phone.get_by_role("heading", name="Notifications", level=1)).to_be_visible()


def test_the_filters_fold_behind_a_button_that_counts_those_active(phone):
    phone.goto("/contracts/?status=active&payment_type=PAY_PER_LABEL&sort=title")
    filters = phone.locator("summary").filter(has_text="Filters")
    expect(filters).to_have_text(re.compile(r"^Filters \(2\)"))  # the sort is no filter
    expect(phone.get_by_label("Status")).to_be_hidden()
    expect(phone.locator("table.contracts tbody tr").first).to_be_in_viewport()

    filters.click()
    expect(phone.get_by_label("Status")).to_be_visible()
    assert serious_axe_violations(phone) == []
    phone.get_by_label("Needs attention only").check()
    expect(phone).to_have_url(re.compile(r"attention=1"))
    expect(filters).to_have_text(re.compile(r"^Filters \(3\)"))
    phone.get_by_label("Status").select_option(label="All")
    expect(filters).to_have_text(re.compile(r"^Filters \(2\)"))

    phone.goto("/contracts/")
    expect(filters).to_have_text(re.compile(r"^Filters\W*$"))


def test_on_a_laptop_the_list_is_a_table_with_its_filters_and_the_header_one_row(
    new_context, sign_in
):
    page = new_context(viewport=LAPTOP).new_page()
    sign_in(page)
    expect(page.locator("summary").filter(has_text="Menu")).to_be_hidden()
    expect(page.locator("summary").filter(has_text="Filters")).to_be_hidden()
    expect(page.get_by_label("Status")).to_be_visible()
    expect(page.get_by_role("columnheader", name="Budget")).to_be_visible()

    brand = page.get_by_role("link", name="OpenTrain dashboard").bounding_box()
    for name in ("Activity", "Settings"):
        box = page.get_by_role("link", name=name, exact=True).bounding_box()
        assert abs(box["y"] - brand["y"]) <= 8, (name, box, brand)
    sign_out = page.get_by_role("button", name="Sign out").bounding_box()
    assert sign_out["x"] + sign_out["width"] <= LAPTOP["width"]


def test_a_needs_you_tick_box_sits_just_before_its_title(new_context, sign_in):
    page = new_context(viewport=LAPTOP, bypass_csp=True).new_page()
    sign_in(page)
    page.goto("/")
    item = page.locator('[data-key="depleted:ctr_owner_label_007"]')
    for viewport in (LAPTOP, PHONE):
        page.set_viewport_size(viewport)
        tick = item.get_by_role("checkbox").bounding_box()
        title = item.locator(".inbox-contract a").bounding_box()
        gap = title["x"] - (tick["x"] + tick["width"])
        assert 0 <= gap <= 24, (viewport, gap)  # beside the title, not 170 px away
        assert title["y"] <= tick["y"] + tick["height"] / 2 <= title["y"] + title["height"]
    assert serious_axe_violations(page) == []
