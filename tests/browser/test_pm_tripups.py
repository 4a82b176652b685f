"""What a new project manager tripped over, in Chromium: a session that expires inside the form,
and "Choose" without JavaScript."""

import re

import pytest
from django.contrib.sessions.models import Session
from playwright.sync_api import expect

from sandbox.models import Milestone
from tests.browser.conftest import PASSWORD
from tests.milestone_helpers import HOURLY, form_url

pytestmark = pytest.mark.browser

# A fixed-price contract with room under its estimated total (no over-total warning on the way).
FIXED = "ctr_owner_fixed_450"


def fill_the_form(page):
    page.get_by_label("Name").fill("Third batch")
    page.get_by_label("Description").fill("Typed before the session expired")
    page.get_by_label("Amount (USD)", exact=True).fill("42.50")


@pytest.mark.parametrize("javascript", [True, False], ids=["htmx", "no-javascript"])
def test_a_session_that_expired_inside_the_form_comes_back_to_it_with_what_was_typed(
    new_context, sign_in, pm_user, javascript
):
    page = new_context(java_script_enabled=javascript).new_page()
    sign_in(page)
    page.goto(form_url(FIXED))
    fill_the_form(page)
    Session.objects.all().delete()  # the session expires while the PM types

    page.get_by_role("button", name="Create milestone").click()

    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))
    expect(page.locator("#milestone-form")).to_have_count(0)
    page.get_by_label("Username").fill(pm_user.get_username())
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(re.compile(re.escape(form_url(FIXED)) + "$"))
    expect(page.get_by_label("Name")).to_have_value("Third batch")
    expect(page.get_by_label("Description")).to_have_value("Typed before the session expired")
    expect(page.get_by_label("Amount (USD)", exact=True)).to_have_value("42.50")
    assert not Milestone.objects.filter(description__startswith="Typed before").exists()

    page.get_by_role("button", name="Create milestone").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Milestone created")


def test_choose_without_javascript_keeps_the_name_and_description(new_context, sign_in):
    page = new_context(java_script_enabled=False).new_page()
    sign_in(page)
    page.goto("/milestones/new/")
    page.get_by_label("Name").fill("Picked later")
    page.get_by_label("Description").fill("Typed before choosing a contract")

    page.get_by_label("Contract", exact=True).select_option(value=HOURLY)
    page.get_by_role("button", name="Choose").click()

    expect(page.get_by_label("Hours", exact=True)).to_be_visible()
    expect(page.get_by_label("Name")).to_have_value("Picked later")
    expect(page.get_by_label("Description")).to_have_value("Typed before choosing a contract")
    expect(page.get_by_role("alert")).to_have_count(0)
