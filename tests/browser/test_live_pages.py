"""Open pages follow the mirror: a change the worker applies shows without a reload."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from sandbox.models import Contract
from tests.mirror_helpers import sync_account

pytestmark = pytest.mark.browser


def test_an_open_list_shows_a_synced_change_without_a_reload(pm_page):
    results = pm_page.get_by_role("region", name="Contracts")
    expect(results).to_contain_text("Medical Transcript QA (hourly)")
    pm_page.evaluate("window.stillTheSamePage = true")
    Contract.objects.filter(id="ctr_owner_hourly_1250").update(
        title="Renamed by OpenTrain", updated_at=timezone.now()
    )

    sync_account()  # what the worker does after OpenTrain's webhook

    expect(results).to_contain_text("Renamed by OpenTrain", timeout=3_000)
    assert pm_page.evaluate("window.stillTheSamePage") is True


def test_the_list_says_how_fresh_it_is_and_offers_sync_now(pm_page):
    expect(pm_page.get_by_text("Synced")).to_be_visible()

    pm_page.get_by_role("button", name="Sync now").click()

    expect(pm_page.get_by_text("Sync requested")).to_be_visible()
    expect(pm_page).to_have_url(pm_page.url)
