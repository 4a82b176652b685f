"""Pages read the mirror: no upstream call on a page view, how fresh it is in words, Sync now, and
the version stamp open pages poll."""

import re

import pytest
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from dashboard.models import Approval
from sandbox.models import Account
from tests.milestone_helpers import FIXED, LABELS, open_form, use_account
from tests.mirror_helpers import refresh_contract, sync_account

HOURLY_LOW = "ctr_owner_hourly_1250"  # 70 of 80 hours used


def _opentrain_calls(upstream_calls):
    # The sandbox's demo-account list (which token the PM acts with) is not OpenTrain's API.
    return [c for c in upstream_calls.routes() if not c[1].startswith("/_sandbox/")]


def test_no_page_view_calls_opentrain(sandbox, pm, upstream_calls):
    pm.post(
        reverse("milestone_fund", args=["ms_owner_hourly_38_1"]),
        {"contract": "ctr_owner_hourly_38"},
    )
    approval = Approval.objects.get().approval_id
    upstream_calls.clear()

    pages = [
        "/contracts/",
        "/contracts/?status=ended&q=qa&payment_type=PAY_PER_HOUR",
        reverse("contract_detail", args=[HOURLY_LOW]),
        reverse("milestone_create", args=[FIXED]),
        reverse("milestone_new"),
        reverse("milestone_new") + f"?contract={LABELS}",
        reverse("milestone_fund", args=["ms_owner_hourly_38_1"]) + "?contract=ctr_owner_hourly_38",
        reverse("approval_list"),
        reverse("approval_detail", args=[approval]),
        reverse("approval_row", args=[approval]),
        reverse("activity"),
        reverse("mirror_version") + "?v=0",
    ]
    for url in pages:
        assert pm.get(url).status_code in (200, 204), url

    assert _opentrain_calls(upstream_calls) == []


def test_the_list_shows_each_contracts_budget_state_and_used_share(sandbox, pm):
    html = pm.get("/contracts/").content.decode()

    row = re.search(
        rf'<tr data-href="/contracts/{HOURLY_LOW}/".*?</tr>',
        html,
        re.S,
    )
    assert row, "the hourly contract is listed"
    assert '<span class="badge badge-low">LOW</span>' in row.group(0)
    assert re.search(
        r'<progress max="1" value="0\.8750?" aria-label="Budget used: 88%">88%</progress>',
        row.group(0),
    )
    assert "88% used" in row.group(0)
    assert '<span class="badge badge-depleted">DEPLETED</span>' in html


def test_it_says_how_fresh_the_page_is(sandbox, pm):
    html = pm.get("/contracts/").content.decode()

    assert re.search(r"Synced <time data-ago datetime=\"[^\"]+\"[^>]*>\d+ s</time> ago\.", html)
    assert '<button type="submit" class="btn btn-small">Sync now</button>' in html


def test_a_failed_sync_is_shown_in_words_with_the_last_good_time_and_the_list_stays(sandbox, pm):
    Account.objects.filter(key="owner").update(fault="GET:500")
    mirror = sync_account()

    html = pm.get("/contracts/").content.decode()

    assert "The last sync with OpenTrain failed: OpenTrain is not answering properly." in html
    assert f"Request ID for support: <code>{mirror.error_request_id}</code>" in html
    assert "Showing what the last good sync found" in html
    assert f"{mirror.synced_at:%-d %b %Y, %H:%M} UTC" in html
    assert "Medical Transcript QA (hourly)" in html


def test_an_account_never_synced_says_so_and_never_looks_empty(sandbox, pm):
    session = pm.session
    session["sandbox_account"] = "readonly"  # switched, and the worker has not run yet
    session.save()

    html = pm.get("/contracts/").content.decode()

    assert "Not synced yet — the worker fills this in a few seconds" in html
    assert "Sync now" in html
    assert "No contracts yet" not in html


@pytest.mark.parametrize("who", ["pm", "viewer"])
def test_sync_now_queues_a_sync_and_goes_back(sandbox, client, editor, viewer, who):
    client.force_login(editor if who == "pm" else viewer)

    response = client.post(reverse("sync_now"), {"next": "/contracts/?status=ended"}, follow=True)

    assert response.redirect_chain == [("/contracts/?status=ended", 302)]
    assert "Sync requested: the worker picks it up in a few seconds." in response.content.decode()
    queued = DBTaskResult.objects.get()
    assert queued.task_path == "dashboard.mirror.tasks.sync_account"


def test_sync_now_asked_twice_queues_one_sync(sandbox, pm):
    pm.post(reverse("sync_now"), {"next": "/contracts/"})
    response = pm.post(reverse("sync_now"), {"next": "https://elsewhere.example/"}, follow=True)

    assert DBTaskResult.objects.count() == 1
    assert response.redirect_chain[-1][0] == "/contracts/"
    assert "A sync is already waiting" in response.content.decode()


@pytest.mark.parametrize(
    "target", ["contract_detail", "logout", "//evil.example/", "/\\evil.example/"]
)
def test_sync_now_goes_back_only_to_a_local_path(sandbox, pm, target):
    response = pm.post(reverse("sync_now"), {"next": target})

    assert response.status_code == 302
    assert response["Location"] == "/contracts/"


def test_the_version_stamp_answers_204_until_the_mirror_changes(sandbox, pm):
    html = pm.get("/contracts/").content.decode()
    version = re.search(
        r'hx-get="/sync/version/\?v=(\d+)" hx-trigger="every 1s" hx-swap="none"', html
    ).group(1)

    unchanged = pm.get(reverse("mirror_version"), {"v": version})
    refresh_contract(HOURLY_LOW)
    changed = pm.get(reverse("mirror_version"), {"v": version})

    assert unchanged.status_code == 204
    assert changed.status_code == 200
    assert changed["HX-Trigger"] == "mirror-changed"


def test_a_created_milestone_is_on_the_contract_page_without_a_sync(sandbox, pm):
    key = open_form(pm, FIXED)
    pm.post(
        reverse("milestone_create", args=[FIXED]),
        {
            "submission_key": key,
            "name": "Fresh batch",
            "description": "d",
            "amount_usd": "12",
            "confirm_over_total": "on",  # FIXED's estimated total is already used up
        },
    )

    html = pm.get(reverse("contract_detail", args=[FIXED])).content.decode()

    assert "Fresh batch" in html


def test_a_funding_request_shows_on_the_contract_page_without_a_sync(sandbox, pm):
    pm.post(
        reverse("milestone_fund", args=["ms_owner_hourly_38_1"]),
        {"contract": "ctr_owner_hourly_38"},
    )

    html = pm.get(reverse("contract_detail", args=["ctr_owner_hourly_38"])).content.decode()

    assert "Fund milestone requested: waiting for confirmation" in html


def test_acting_as_another_account_reads_that_accounts_mirror(sandbox, pm):
    use_account(pm, "readonly")

    html = pm.get("/contracts/").content.decode()

    assert "Synced" in html and "Not synced yet" not in html
