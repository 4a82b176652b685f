"""Creating milestones in Chromium.

Each payment model, the contract picker, a double click, the claim handoff, inline errors, and the
whole flow without JavaScript.
"""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from dashboard.forms import earliest_today
from sandbox.models import Milestone
from tests.milestone_helpers import LATER, set_fault
from tests.mirror_helpers import sync_account

pytestmark = pytest.mark.browser


def _milestones(contract_id):
    return Milestone.objects.filter(contract_id=contract_id)


@pytest.mark.parametrize(
    ("contract_id", "money_label", "typed", "amount", "volume"),
    [
        ("ctr_owner_fixed_450", "Amount (USD)", "125.50", "$125.50", None),
        ("ctr_owner_hourly_15", "Hours", "7.5", "$112.50", "7.5"),
        ("ctr_owner_label_035", "Labels", "1,200", "$420.00", "1200"),
    ],
    ids=["fixed-price", "hourly", "per-label"],
)
def test_a_milestone_is_created_from_the_contract_page(
    pm_page, contract_id, money_label, typed, amount, volume
):
    page = pm_page
    before = _milestones(contract_id).count()
    page.goto(f"/contracts/{contract_id}/")
    page.get_by_role("main").get_by_role("link", name="New milestone").click()

    page.get_by_label("Name").fill("Browser batch")
    page.get_by_label("Description").fill("Label the second batch.\nFollow the guidelines.")
    page.get_by_label(money_label, exact=True).fill(typed)
    page.get_by_label("Due date").fill(LATER)
    if volume:
        expect(page.locator("#cost-preview")).to_contain_text(amount)
    page.get_by_role("button", name="Create milestone").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Milestone created")
    result = page.get_by_role("region", name=re.compile("Milestone #"))
    expect(result).to_contain_text("Browser batch")
    expect(result).to_contain_text("Not funded")
    expect(result).to_contain_text(amount)
    expect(result.get_by_role("link", name="Request funding on the contract page")).to_be_visible()

    assert _milestones(contract_id).count() == before + 1
    created = _milestones(contract_id).latest("created_at")
    assert created.description == "Label the second batch.\nFollow the guidelines."
    assert f"${created.amount_usd:,.2f}" == amount
    assert str(created.due_date) == LATER


def test_the_payment_fields_follow_the_chosen_contract_and_the_cost_follows_the_volume(pm_page):
    page = pm_page
    page.get_by_role("navigation", name="Main").get_by_role("link", name="New milestone").click()
    expect(page).to_have_url(re.compile(r"/milestones/new/$"))
    page.evaluate("window.notReloaded = true")
    page.get_by_label("Description").fill("Typed before choosing a contract")

    picker = page.get_by_label("Contract", exact=True)
    expect(picker.locator("option", has_text="Legal Clause Classification")).to_have_count(0)

    picker.select_option(label="Spanish Sentiment Labels (per label) · Sofia R.")
    labels = page.get_by_label("Labels", exact=True)
    expect(labels).to_be_visible()
    expect(page.get_by_label("Amount (USD)")).to_have_count(0)
    preview = page.locator("#cost-preview")
    labels.fill("3")
    expect(preview).to_have_text(re.compile(r"Cost of this milestone: \$0\.21 \(3 labels at"))
    labels.fill("1")
    expect(preview).to_contain_text("$0.07 (1 label at")
    labels.fill("10,000")
    expect(preview).to_contain_text("$700.00")

    picker.select_option(label="Medical Transcript QA (hourly) · Aisha K.")
    hours = page.get_by_label("Hours", exact=True)
    expect(hours).to_be_visible()
    hours.fill("2.25")
    expect(preview).to_contain_text("$28.13")  # 2.25 h at $12.50 = 28.125, rounded half up

    picker.select_option(label="Chatbot Red-Teaming Prompts · Olu A.")
    expect(page.get_by_label("Amount (USD)")).to_be_visible()
    expect(page.get_by_label("Hours", exact=True)).to_have_count(0)
    expect(page.locator("#cost-preview")).to_have_count(0)

    expect(page).to_have_url(re.compile(r"contract=ctr_owner_fixed_450"))
    expect(page.get_by_label("Description")).to_have_value("Typed before choosing a contract")
    assert page.evaluate("window.notReloaded") is True


def test_a_double_click_on_submit_creates_one_milestone(pm_page):
    page = pm_page
    contract_id = "ctr_owner_fixed_450"
    page.goto(f"/contracts/{contract_id}/milestones/new/")
    page.get_by_label("Description").fill("Only once, please")
    page.get_by_label("Amount (USD)").fill("90")

    page.get_by_role("button", name="Create milestone").dblclick()

    expect(page.get_by_role("heading", level=1)).to_have_text("Milestone created")
    page.goto("/activity/")  # let any second request finish before counting
    expect(page.get_by_role("row", name=re.compile("Only once, please"))).to_have_count(1)
    assert _milestones(contract_id).filter(description="Only once, please").count() == 1


def test_a_slow_write_shows_it_is_sending_and_after_two_seconds_that_it_still_waits(pm_page):
    page = pm_page
    contract_id = "ctr_owner_fixed_450"
    page.goto(f"/contracts/{contract_id}/milestones/new/")
    page.get_by_label("Description").fill("Slow, please")
    page.get_by_label("Amount (USD)").fill("90")
    set_fault("POST:latency=4000")

    page.get_by_role("button", name="Create milestone").click()

    expect(page.get_by_role("button", name="Sending…")).to_be_visible()
    expect(page.get_by_role("button", name="Create and request funding")).to_be_disabled()
    expect(page.get_by_text("Still waiting for OpenTrain")).to_be_visible(timeout=3500)
    expect(page.get_by_role("heading", level=1)).to_have_text("Milestone created", timeout=15000)
    assert _milestones(contract_id).filter(description="Slow, please").count() == 1


def test_the_claim_handoff_from_an_unclaimed_account_ends_with_the_milestone(context, pm_page):
    page = pm_page
    page.get_by_label("Act as").select_option(label="Agent workspace (unclaimed)")
    page.get_by_role("button", name="Switch").click()
    expect(page.get_by_role("status")).to_contain_text("Agent workspace (unclaimed)")
    sync_account("unclaimed")  # the worker follows every demo account

    # The form that cannot succeed is not offered: the reason and the claim link are.
    contract_id = "ctr_unclaimed_fixed_300"
    page.goto(f"/contracts/{contract_id}/")
    new = page.get_by_role("main").get_by_role("button", name="New milestone")
    expect(new).to_be_disabled()
    page.goto(f"/contracts/{contract_id}/milestones/new/")
    expect(page.get_by_role("main")).to_contain_text("You cannot create milestones yet")
    expect(page.get_by_label("Description")).to_have_count(0)
    problem = page.get_by_role("alert").filter(has_text="claim")
    expect(problem).to_contain_text("A human must claim this OpenTrain account first")

    claim_link = problem.get_by_role("link", name=re.compile("Claim the OpenTrain account"))
    expect(claim_link).to_have_attribute("target", "_blank")
    expect(claim_link).to_have_attribute("rel", "noopener noreferrer")
    with context.expect_page() as opened:
        claim_link.click()
    claim_tab = opened.value
    claim_tab.get_by_role("button", name="Claim this account").click()
    expect(claim_tab.get_by_role("status")).to_contain_text("Account claimed")
    claim_tab.close()

    # Back in the dashboard: the setup checklist checks again at once.
    page.bring_to_front()
    page.goto("/")
    page.get_by_role("button", name="Fixed it? Check again").click()
    expect(page.get_by_role("status")).to_contain_text("nothing blocks the dashboard any more")
    page.goto(f"/contracts/{contract_id}/milestones/new/")
    page.get_by_label("Name").fill("After the claim")
    page.get_by_label("Description").fill("Sent once the account is claimed")
    page.get_by_label("Amount (USD)").fill("75")
    page.get_by_role("button", name="Create milestone").click()
    # Its one milestone already uses the whole estimated total: going over needs a tick.
    page.get_by_label("Create it anyway, over the estimated total").check()
    page.get_by_role("button", name="Create milestone").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Milestone created")
    expect(page.get_by_role("main")).to_contain_text("After the claim")
    assert _milestones(contract_id).filter(name="After the claim").count() == 1


def test_the_cost_preview_appears_only_for_a_volume_the_server_accepts(pm_page):
    page = pm_page
    page.goto("/contracts/ctr_owner_label_035/milestones/new/")  # $0.35 a label
    labels = page.get_by_label("Labels", exact=True)
    preview = page.locator("#cost-preview")
    waiting = "enter the number of labels to see it"

    labels.fill("4")
    expect(preview).to_contain_text("$1.40 (4 labels at")
    for refused in ("2.5", "1e3", "0", "12,34", "10000001", "3000000"):
        labels.fill(refused)  # half a label, not digits, zero, bad grouping, too many, too dear
        expect(preview).to_contain_text(waiting)
    labels.fill("5.0")  # a whole number, written with a decimal: the server accepts it
    expect(preview).to_contain_text("$1.75")

    page.goto("/contracts/ctr_owner_hourly_15/milestones/new/")  # $15 an hour
    hours = page.get_by_label("Hours", exact=True)
    hours.fill("1.005")
    expect(preview).to_contain_text("enter the number of hours to see it")
    hours.fill("1.25")
    expect(preview).to_contain_text("$18.75")

    # The same volumes through the server: refused where no cost showed.
    hours.fill("1.005")
    page.get_by_label("Description").fill("Too precise")
    page.get_by_role("button", name="Create milestone").click()
    _expect_error_next_to(page, "Hours", "Use at most 2 decimal places.")


def test_going_over_the_estimated_total_is_allowed_after_the_warning_and_a_tick(pm_page):
    page = pm_page
    contract_id = "ctr_owner_hourly_1250"  # $1,500.00 estimated, $1,000.00 of milestones
    before = _milestones(contract_id).count()
    page.goto(f"/contracts/{contract_id}/milestones/new/")
    page.get_by_label("Name").fill("A long month")
    page.get_by_label("Description").fill("More hours than planned")
    page.get_by_label("Hours", exact=True).fill("41")
    page.get_by_label("Due date").fill(earliest_today().isoformat())
    page.get_by_role("button", name="Create milestone").click()

    confirm = page.get_by_label("Create it anyway, over the estimated total")
    expect(confirm).to_be_visible()
    warning = page.locator(".over-total")
    expect(warning).to_contain_text(
        "This makes $1,512.50 of milestones on a contract estimated at $1,500.00: $12.50 over."
    )
    expect(confirm).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Description")).to_have_value("More hours than planned")
    expect(page.get_by_label("Hours", exact=True)).to_have_value("41")
    assert _milestones(contract_id).count() == before

    confirm.check()
    page.get_by_role("button", name="Create milestone").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Milestone created")
    assert _milestones(contract_id).filter(name="A long month").count() == 1


def test_a_past_due_date_is_refused_next_to_the_field(pm_page):
    page = pm_page
    page.goto("/contracts/ctr_owner_fixed_450/milestones/new/")
    page.get_by_label("Description").fill("Late already")
    page.get_by_label("Amount (USD)").fill("10")
    yesterday = earliest_today() - timedelta(days=1)
    page.get_by_label("Due date").fill(yesterday.isoformat())
    page.get_by_role("button", name="Create milestone").click()

    day = f"{yesterday.day} {yesterday:%b %Y}"
    _expect_error_next_to(page, "Due date", f"{day} is in the past.")
    expect(page.get_by_label("Description")).to_have_value("Late already")


def _expect_error_next_to(page, label, message):
    """The field says it is invalid and points, with aria-describedby, at the message."""
    field = page.get_by_label(label, exact=True)
    # "Next to": inside the same field block as the input (waits for the re-rendered form).
    block = page.locator(".field").filter(has=field)
    expect(block).to_contain_text(message)
    expect(field).to_have_attribute("aria-invalid", "true")
    described_by = field.get_attribute("aria-describedby") or ""
    texts = [page.locator(f"#{ref}").inner_text() for ref in described_by.split()]
    assert any(message in text for text in texts), (label, described_by, texts)


def test_each_invalid_input_shows_its_error_next_to_its_field(pm_page):
    page = pm_page
    contract_id = "ctr_owner_label_035"
    page.goto(f"/contracts/{contract_id}/milestones/new/")
    page.get_by_label("Description").fill("   ")
    page.get_by_label("Labels", exact=True).fill("2.5")
    page.get_by_role("button", name="Create milestone").click()

    # Announced: an alert inside the form's live region.
    status = page.locator("[aria-live]").get_by_role("alert").filter(has_text="Nothing was sent")
    expect(status).to_contain_text("Correct the marked fields below")
    _expect_error_next_to(page, "Description", "Describe the work to deliver.")
    _expect_error_next_to(page, "Labels", "Enter a whole number of labels.")
    for valid in ("Name", "Due date"):
        expect(page.get_by_label(valid)).not_to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Description")).to_be_focused()

    page.get_by_label("Description").fill("Now described")
    page.get_by_label("Labels", exact=True).fill("-4")
    page.get_by_role("button", name="Create milestone").click()
    _expect_error_next_to(page, "Labels", "greater than zero")
    expect(page.get_by_label("Description")).not_to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Description")).to_have_value("Now described")

    page.goto("/contracts/ctr_owner_fixed_450/milestones/new/")
    page.get_by_label("Description").fill("Too precise")
    page.get_by_label("Amount (USD)").fill("10.999")
    page.get_by_role("button", name="Create milestone").click()
    _expect_error_next_to(page, "Amount (USD)", "Use at most 2 decimal places.")

    page.get_by_label("Amount (USD)").fill("NaN")
    page.get_by_role("button", name="Create milestone").click()
    _expect_error_next_to(page, "Amount (USD)", "as plain digits")

    page.get_by_label("Amount (USD)").fill("5")
    page.get_by_label("Due date").fill("1999-12-31")
    page.get_by_role("button", name="Create milestone").click()
    _expect_error_next_to(page, "Due date", "between the years 2000 and 2100")

    assert _milestones("ctr_owner_label_035").count() == 1
    assert _milestones("ctr_owner_fixed_450").count() == 0


def test_signing_in_listing_and_creating_a_milestone_work_without_javascript(new_context, sign_in):
    page = new_context(java_script_enabled=False).new_page()
    sign_in(page)
    expect(page.get_by_role("region", name="Contracts")).to_contain_text("11 contracts")

    page.get_by_role("link", name="New milestone for Math Reasoning Step Labels").click()
    page.get_by_label("Description").fill("Without JavaScript")
    page.get_by_label("Labels", exact=True).fill("2.5")
    page.get_by_role("button", name="Create milestone").click()
    _expect_error_next_to(page, "Labels", "Enter a whole number of labels.")
    expect(page.get_by_label("Description")).to_have_value("Without JavaScript")

    page.get_by_label("Labels", exact=True).fill("500")
    page.get_by_role("button", name="Create milestone").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Milestone created")
    expect(page.get_by_role("main")).to_contain_text("$60.00")
    assert _milestones("ctr_owner_label_012").filter(description="Without JavaScript").count() == 1


def test_the_picker_works_without_javascript(new_context, sign_in):
    page = new_context(java_script_enabled=False).new_page()
    sign_in(page)
    page.goto("/milestones/new/")
    page.get_by_label("Contract", exact=True).select_option(
        label="Search Relevance Ratings (hourly) · Marta S."
    )
    page.get_by_role("button", name="Choose").click()
    page.get_by_label("Description").fill("Picked without JavaScript")
    page.get_by_label("Hours", exact=True).fill("4")
    page.get_by_role("button", name="Create milestone").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Milestone created")
    expect(page.get_by_role("main")).to_contain_text("$60.00")
