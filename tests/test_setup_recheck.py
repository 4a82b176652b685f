"""Checking the setup again (`POST /setup/recheck/`): it asks OpenTrain at most once every 10 s
an account, whoever asks, and only an editor may ask, so nobody can spend the account's rate
limit by pressing it."""

import re
from datetime import timedelta

from django.contrib.auth.models import Group, User
from django.test import Client
from django.utils import timezone

from dashboard.mirror.models import Account as Mirror
from tests.milestone_helpers import use_account

NOBILLING_HOURLY = "ctr_nobilling_hourly_38"
NOT_FUNDED = "ms_nobilling_hourly_38_1"


def refused_for_no_payment_method(pm):
    use_account(pm, "nobilling")
    pm.post(f"/milestones/{NOT_FUNDED}/fund/", {"contract": NOBILLING_HOURLY})


def second_editor() -> Client:
    colleague = User.objects.create_user("colleague", password="colleague-pass-123")
    colleague.groups.add(Group.objects.get(name="editors"))
    client = Client()
    client.force_login(colleague)
    use_account(client, "nobilling")
    return client


def recheck_made_seconds_ago(seconds: int) -> None:
    Mirror.objects.update(rechecked_at=timezone.now() - timedelta(seconds=seconds))


def test_a_check_asks_opentrain_what_the_token_may_do(sandbox, pm, upstream_calls):
    refused_for_no_payment_method(pm)
    upstream_calls.clear()

    response = pm.post("/setup/recheck/", follow=True)

    assert "Checked again" in response.content.decode()
    assert ("GET", "/auth/me") in upstream_calls.routes()


def test_a_second_check_within_10_seconds_asks_opentrain_nothing_and_says_when_to_try(
    sandbox, pm, upstream_calls
):
    refused_for_no_payment_method(pm)
    pm.post("/setup/recheck/")
    upstream_calls.clear()

    html = pm.post("/setup/recheck/", follow=True).content.decode()

    assert "The setup was checked less than 10 s ago" in html
    assert "OpenTrain was not asked again" in html
    assert re.search(r"Try again in \d+ s\.", html)
    assert upstream_calls == []


def test_the_10_seconds_hold_for_everyone_who_asks(sandbox, pm, upstream_calls):
    refused_for_no_payment_method(pm)
    colleague = second_editor()
    pm.post("/setup/recheck/")
    recheck_made_seconds_ago(4)
    upstream_calls.clear()

    html = colleague.post("/setup/recheck/", follow=True).content.decode()

    assert "Try again in 6 s." in html
    assert upstream_calls == []


def test_10_seconds_after_the_last_check_the_next_one_asks_opentrain_again(
    sandbox, pm, upstream_calls
):
    refused_for_no_payment_method(pm)
    pm.post("/setup/recheck/")
    pm.post("/sandbox/billing/org_sbx_nobilling/")  # the person adds a card in OpenTrain
    recheck_made_seconds_ago(10)
    upstream_calls.clear()

    html = pm.post("/setup/recheck/", follow=True).content.decode()

    assert "nothing blocks the dashboard any more" in html
    assert ("GET", "/auth/me") in upstream_calls.routes()


def test_a_viewer_cannot_check_again_and_reaches_nothing(sandbox, pm, viewer, upstream_calls):
    refused_for_no_payment_method(pm)
    watcher = Client()
    watcher.force_login(viewer)
    use_account(watcher, "nobilling")
    upstream_calls.clear()

    response = watcher.post("/setup/recheck/")

    assert response.status_code == 403
    assert "not allowed" in response.content.decode()
    assert upstream_calls == []
    assert Mirror.objects.filter(rechecked_at__isnull=False).count() == 0


def test_a_viewer_is_told_an_editor_can_check_again(sandbox, pm, viewer):
    refused_for_no_payment_method(pm)
    watcher = Client()
    watcher.force_login(viewer)
    use_account(watcher, "nobilling")

    html = watcher.get("/").content.decode()

    assert "Add a payment method" in html
    assert "an editor can check again once it is fixed" in html
    assert "Check again</button>" not in html
