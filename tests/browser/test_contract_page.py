"""The contract page and the funding handoff, in Chromium."""

import re

import pytest
from playwright.sync_api import expect

from sandbox.models import Milestone
from tests.mirror_helpers import apply_approval

pytestmark = pytest.mark.browser


def test_a_contract_opens_from_the_list_with_its_budget_and_milestones(pm_page):
    page = pm_page
    page.get_by_role("link", name="Spanish Sentiment Labels (per label)", exact=True).click()

    expect(page).to_have_url(re.compile(r"/contracts/ctr_owner_label_007/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Spanish Sentiment Labels (per label)"
    )
    facts = page.get_by_role("region", name="Contract")
    expect(facts).to_contain_text("Sofia R.")
    expect(facts).to_contain_text("Per label")
    budget = page.get_by_role("region", name="Budget")
    expect(budget).to_contain_text("DEPLETED")
    expect(budget.get_by_label("Share of the funded volume used")).to_be_visible()
    milestones = page.get_by_role("region", name="Milestones")
    expect(milestones.get_by_role("listitem")).to_have_count(2)  # the cancelled one is hidden
    expect(milestones.get_by_role("heading", name="Batch B")).to_be_visible()
    expect(milestones.get_by_role("listitem").last).to_contain_text("Active and funded")
    expect(page.get_by_role("main").get_by_role("link", name="New milestone")).to_have_attribute(
        "href", "/contracts/ctr_owner_label_007/milestones/new/"
    )


def test_funding_is_confirmed_on_the_sandbox_and_the_dashboard_follows_without_a_reload(
    context, pm_page
):
    page = pm_page
    page.goto("/contracts/ctr_owner_hourly_38/")
    page.get_by_role("link", name="Request funding for First 20 hours").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Request funding")
    expect(page.get_by_role("region", name="What will happen")).to_contain_text(
        "No money moves yet"
    )
    page.get_by_role("button", name="Request funding").click()

    status = page.get_by_role("region", name=re.compile("^Status"))
    expect(status).to_contain_text("Nothing happens and no money moves")
    page.evaluate("window.notReloaded = true")

    with context.expect_page() as opened:
        page.get_by_role("link", name=re.compile("Open the approval in OpenTrain")).click()
    sandbox_tab = opened.value
    sandbox_tab.get_by_role("button", name="Confirm").click()
    expect(sandbox_tab.get_by_role("status")).to_contain_text("Confirmed")

    # The worker applies OpenTrain's approval event; the dashboard's tab, untouched, redraws.
    apply_approval(page.url.rstrip("/").rsplit("/", 1)[-1])
    expect(status).to_contain_text("Confirmed in OpenTrain", timeout=15_000)
    expect(status).to_contain_text("The milestone is funded")
    expect(status).to_contain_text("The milestone is now: Active and funded")
    assert page.evaluate("window.notReloaded") is True
    assert Milestone.objects.get(id="ms_owner_hourly_38_1").status == "ACTIVE_FUNDED"
