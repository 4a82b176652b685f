"""Team channels in Chromium: an editor adds a channel pointing at a chat service on this machine,
presses "Send a test" and sees "Sent" once the worker has sent it (its step run here, as the worker
would run it); the open page picks the outcome up by its own polling. axe-core checks each step."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from dashboard.notify import send
from dashboard.notify.models import Channel, Notice
from tests.browser.conftest import serious_axe_violations
from tests.notify.chat_receiver import Receiver

pytestmark = pytest.mark.browser


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


def axe_violations(page) -> list[str]:
    """Every axe-core finding, whatever its impact."""
    return [v["id"] for v in Axe().run(page).response["violations"]]


def test_an_editor_adds_a_channel_sends_a_test_and_sees_it_sent(axe_page, receiver):
    page = axe_page
    page.goto("/settings/channels/")
    expect(page.get_by_role("heading", name="No channels yet")).to_be_visible()
    assert serious_axe_violations(page) == []

    page.get_by_label("Name").fill("team")
    page.get_by_label("Incoming webhook URL").fill("http://hooks.example.com/plain")
    page.get_by_role("button", name="Add the channel").click()
    expect(page.get_by_label("Incoming webhook URL")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("main")).to_contain_text("Only https:// URLs are accepted")
    expect(page.get_by_label("Name")).to_have_value("team")
    assert serious_axe_violations(page) == []

    page.get_by_label("Incoming webhook URL").fill(receiver.url("ok"))
    page.get_by_role("button", name="Add the channel").click()
    row = page.locator("tr", has_text="#team")
    expect(row).to_contain_text(Channel.objects.get().masked_url)
    expect(row).to_contain_text("Nothing sent yet")
    assert receiver.secret not in page.content()
    assert serious_axe_violations(page) == []

    page.get_by_role("button", name="Send a test to #team").click()
    expect(row).to_contain_text("Test waiting")
    assert receiver.received == []  # the web request only queued it

    assert send.deliver()["sent"] == 1  # the worker's step
    expect(row.get_by_role("status")).to_contain_text("Sent", timeout=15_000)
    expect(row).to_contain_text("The test reached #team")
    assert receiver.texts() == [
        "A test from the OpenTrain dashboard: this channel will get budgets that ran out or will "
        "within a day, approvals that expire within 24 hours, milestones whose creation is still "
        "unclear after an hour and a sync with OpenTrain that keeps failing."
    ]
    assert Notice.objects.get().state == "sent"
    assert axe_violations(page) == []


def test_a_refused_test_shows_the_refusal_in_words(axe_page, receiver):
    Channel.objects.create(name="gone", url=receiver.url("no_service"), kinds=["budget"])
    page = axe_page
    page.goto("/settings/channels/")

    page.get_by_role("button", name="Send a test to #gone").click()
    expect(page.get_by_text("Test waiting")).to_be_visible()
    send.deliver()  # the worker's step

    status = page.locator(f"#channel-{Channel.objects.get().pk}").get_by_role("status")
    expect(status).to_contain_text("Not delivered", timeout=15_000)
    expect(status).to_contain_text("The webhook URL is no longer valid")
    assert serious_axe_violations(page) == []
