"""Issue 29's words in Chromium, on a laptop and on a phone: the contract page's money and units
and its budget state, the batch pages' buttons and proposed names, and the sign-in page saying what
it keeps. Each is read by its visible words, as a PM reads it."""

import re

import pytest
from django.contrib.sessions.models import Session
from playwright.sync_api import expect

from sandbox.models import Contract as SandboxContract
from tests.browser.conftest import PASSWORD, PHONE
from tests.milestone_helpers import FIXED, HOURLY, LATER, form_url
from tests.mirror_helpers import refresh_contract

pytestmark = pytest.mark.browser

SIZES = pytest.mark.parametrize(
    "viewport", [{"width": 1280, "height": 900}, PHONE], ids=["laptop", "phone"]
)
# A fixed-price contract with room under its estimated total, and no milestone yet.
ROOMY = "ctr_owner_fixed_450"


@pytest.fixture
def signed_in(new_context, sign_in):
    def open_page(viewport):
        page = new_context(viewport=viewport).new_page()
        sign_in(page)
        return page

    return open_page


@SIZES
def test_the_contract_page_writes_money_with_cents_and_1_hour(signed_in, viewport):
    SandboxContract.objects.get(id=HOURLY).milestones.create(
        number=3, name="Spot check", description="One hour.", amount_usd="12.50", volume=1
    )
    refresh_contract(HOURLY)
    page = signed_in(viewport)

    page.goto(f"/contracts/{HOURLY}/")

    facts = page.get_by_role("region", name="Contract")
    expect(facts).to_contain_text("$1,500.00")
    expect(facts).to_contain_text("$12.50 / hour")
    spot_check = page.locator(".timeline-item", has_text="Spot check")
    expect(spot_check).to_contain_text("$12.50")
    expect(spot_check).to_contain_text(re.compile(r"1 hour\b(?!s)"))
    expect(spot_check).not_to_contain_text("1 hours")
    expect(page.get_by_role("region", name="Budget")).to_contain_text("10 hours")


@SIZES
def test_a_contract_with_nothing_funded_says_so_instead_of_ok(signed_in, viewport):
    page = signed_in(viewport)

    page.goto(f"/contracts/{ROOMY}/")

    budget = page.get_by_role("region", name="Budget")
    expect(budget).to_contain_text("Nothing funded")
    expect(budget).to_contain_text("No milestone is funded yet")
    expect(budget.locator(".badge")).not_to_have_text("OK")


@SIZES
def test_a_batch_of_ticked_contracts_proposes_the_next_name_without_import_another_file(
    signed_in, viewport
):
    page = signed_in(viewport)

    page.goto("/milestones/batch/new/?contract=ctr_owner_label_012")  # last milestone "Batch 1"
    expect(page.get_by_role("main")).to_contain_text("Batch 2")
    page.get_by_role("button", name="Preview these milestones").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Batch of milestones")
    expect(page.get_by_role("main")).to_contain_text("Batch 2")
    expect(page.get_by_role("button", name="Confirm and send")).to_be_visible()
    expect(page.get_by_role("link", name="Import another file")).to_have_count(0)


@SIZES
def test_an_imported_batch_offers_import_another_file_and_writes_cents(signed_in, viewport):
    page = signed_in(viewport)
    csv = (
        "contract_id,name,description,amount_usd,volume,due_date\n"
        f"{FIXED},Extra,More labels.,$1575.5,,{LATER}\n"
    )

    page.goto("/milestones/import/")
    page.get_by_label("CSV or Excel file").set_input_files(
        {"name": "week.csv", "mimeType": "text/csv", "buffer": csv.encode()}
    )
    page.get_by_role("button", name="Preview", exact=True).click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Batch of milestones")
    expect(page.get_by_role("link", name="Import another file")).to_be_visible()
    expect(page.get_by_text("Total cost:")).to_contain_text("$1,575.50")
    expect(page.get_by_role("main")).not_to_contain_text(re.compile(r"\$1,575\.5(?!0)"))


@SIZES
def test_the_sign_in_page_says_what_was_typed_is_kept_and_it_comes_back(
    new_context, sign_in, pm_user, viewport
):
    page = new_context(viewport=viewport).new_page()
    page.goto("/accounts/login/")
    expect(page.get_by_role("main")).not_to_contain_text("What you typed is kept")
    sign_in(page)
    page.goto(form_url(ROOMY))
    page.get_by_label("Name").fill("Third batch")
    page.get_by_label("Description").fill("Typed before the session expired")
    page.get_by_label("Amount (USD)", exact=True).fill("42.50")
    Session.objects.all().delete()  # the session expires while the PM types

    page.get_by_role("button", name="Create milestone").click()

    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))
    expect(page.get_by_text("What you typed is kept")).to_have_text(
        "What you typed is kept: sign in within 15 minutes and it is put back in the form."
    )
    page.get_by_label("Username").fill(pm_user.get_username())
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_label("Description")).to_have_value("Typed before the session expired")
