"""OpenTrain misbehaving: the client retries only what is safe, and every page stays calm.

The faults come from the sandbox itself (sandbox/faults.py), set on the demo account
whose token the dashboard uses, so they travel over real HTTP exactly as a real outage would.
"""

import re
import time
import uuid
from decimal import Decimal

import httpx
import pytest
from django.urls import reverse

from dashboard import opentrain
from dashboard.mirror import sync
from dashboard.models import Approval
from dashboard.opentrain import transport
from sandbox.demo import OWNER_TOKEN as OWNER
from sandbox.models import Account, Milestone
from sandbox.models import Approval as Upstream
from tests.milestone_helpers import LATER
from tests.mirror_helpers import sync_account

HTMX = {"HTTP_HX_REQUEST": "true"}

# Every fault of the issue. `429=30` asks for a wait longer than the client's cap, so the page
# reports it at once (a short Retry-After is retried; see the client tests below).
FAULTS = [
    "latency=150",
    "hang=1",
    "500",
    "502",
    "503",
    "429=30",
    "drop",
    "notjson",
    "html",
    "truncated",
]
# Faults that act after the sandbox did the work: a write happened, its answer was lost.
AFTER = {"drop", "notjson", "truncated"}

UNAVAILABLE = "OpenTrain is not answering properly"
UNCONFIRMED = "OpenTrain did not confirm the request"
RATE_LIMITED = "OpenTrain is rate limiting the dashboard"
# A milestone whose answer was lost and not found on re-read.
UNKNOWN = "Not known yet whether the milestone was created"


@pytest.fixture(autouse=True)
def _quick(monkeypatch, settings):
    # Tuning constants only: no waiting between retries, and a short timeout for `hang`.
    monkeypatch.setattr(transport, "BACKOFF", (0, 0))
    settings.OT_API_TIMEOUT = 0.5


def _fault(spec, account="owner"):
    Account.objects.filter(key=account).update(fault=spec)


def _milestones(description):
    return Milestone.objects.filter(description=description).count()


def _settle(spec):
    """Let a hung sandbox request finish before the test's database goes away."""
    if "hang" in spec:
        time.sleep(1.2)


def _html(response):
    return response.content.decode()


def _assert_calm(response, *titles):
    html = _html(response)
    assert response.status_code != 500
    assert response.status_code < 500 or response.status_code == 502, response.status_code
    assert any(title.lower() in html.lower() for title in titles), html[:3000]
    assert "Traceback" not in html and "Server Error" not in html


def _expected(spec, method):
    if spec.startswith("429"):
        return (RATE_LIMITED,)
    if method == "GET":
        return (UNAVAILABLE,)
    return (UNCONFIRMED, UNAVAILABLE, UNKNOWN)


# --- the client: retries only what is safe ----------------------------------------------------


def test_an_account_fault_with_times_acts_that_many_times_then_clears(sandbox):
    _fault("GET:503,times=2")
    url = f"{sandbox.url}/sandbox/api/public/v1/auth/me"
    auth = {"Authorization": f"Bearer {OWNER}"}

    statuses = [httpx.get(url, headers=auth).status_code for _ in range(3)]

    assert statuses == [503, 503, 200]
    assert Account.objects.get(key="owner").fault == ""


def test_a_fault_with_times_is_not_spent_by_requests_it_does_not_apply_to(sandbox):
    _fault("POST:503,times=1")

    assert opentrain.list_contracts(OWNER)

    assert Account.objects.get(key="owner").fault == "POST:503,times=1"


@pytest.mark.parametrize("status", [502, 503, 504])
def test_a_get_is_retried_after_a_gateway_error_and_then_succeeds(sandbox, status):
    _fault(f"GET:{status},times={opentrain.GET_ATTEMPTS - 1}")

    contracts = opentrain.list_contracts(OWNER)

    assert contracts
    assert Account.objects.get(key="owner").fault == ""


def test_a_get_gives_up_after_a_bounded_number_of_attempts(sandbox):
    _fault(f"GET:503,times={opentrain.GET_ATTEMPTS + 1}")

    with pytest.raises(opentrain.OpenTrainError) as caught:
        opentrain.list_contracts(OWNER)

    assert caught.value.status == 503
    # Exactly GET_ATTEMPTS requests spent the fault; one use is left.
    assert Account.objects.get(key="owner").fault == "GET:503,times=1"


def test_a_get_is_retried_after_a_dropped_connection(sandbox):
    _fault("GET:drop,times=1")

    assert opentrain.get_contract(OWNER, "ctr_owner_hourly_38").id == "ctr_owner_hourly_38"


def test_a_get_is_not_retried_on_a_500(sandbox):
    _fault("GET:500,times=1")

    with pytest.raises(opentrain.OpenTrainError) as caught:
        opentrain.list_contracts(OWNER)

    assert caught.value.status == 500
    assert Account.objects.get(key="owner").fault == ""


def test_a_short_retry_after_is_waited_for_and_retried(sandbox):
    _fault("GET:429=1,times=1")
    started = time.monotonic()

    assert opentrain.list_contracts(OWNER)

    assert time.monotonic() - started >= 1.0


def test_a_retry_after_past_the_cap_is_reported_instead_of_waited_for(sandbox):
    _fault("GET:429=30,times=1")
    started = time.monotonic()

    with pytest.raises(opentrain.OpenTrainError) as caught:
        opentrain.list_contracts(OWNER)

    assert caught.value.status == 429
    assert caught.value.retry_after == 30
    assert time.monotonic() - started < opentrain.RETRY_AFTER_CAP


@pytest.mark.parametrize("spec", ["500", "502", "503", "504", "429=1", "html", *sorted(AFTER)])
def test_a_milestone_create_is_never_retried(sandbox, spec):
    # One failure only: a retry would succeed, and show up as one milestone too many.
    _fault(f"POST:{spec},times=1")

    with pytest.raises(opentrain.OpenTrainError) as caught:
        opentrain.create_milestone(
            OWNER, "ctr_owner_fixed_450", description="never twice", amount_usd=Decimal(100)
        )

    assert _milestones("never twice") == (1 if spec in AFTER else 0)
    assert caught.value.ambiguous == (spec != "429=1")


# --- pages that read: the list, the contract page, approval polling ----------------------------


@pytest.fixture
def pending_approval(sandbox, pm):
    response = pm.post(
        reverse("milestone_fund", args=["ms_owner_hourly_38_1"]),
        {"contract": "ctr_owner_hourly_38"},
    )
    assert response.status_code == 302
    return Approval.objects.get()


def _reading_pages(approval_id):
    """(label, url, headers) of every page that reads the mirror."""
    approval = reverse("approval_detail", args=[approval_id])
    return [
        ("list", "/contracts/?q=Spanish&status=active", {}),
        ("contract", "/contracts/ctr_owner_hourly_38/", {}),
        ("milestone form", "/contracts/ctr_owner_hourly_38/milestones/new/", {}),
        ("milestone form with a picker", "/milestones/new/?contract=ctr_owner_hourly_38", {}),
        ("approval", approval, {}),
        ("approval redraw", approval, HTMX),
        ("activity", "/activity/", {}),
    ]


@pytest.mark.parametrize("spec", FAULTS)
def test_every_reading_page_stays_calm_and_says_when_a_sync_hit_a_fault(
    pm, pending_approval, spec, monkeypatch
):
    monkeypatch.setattr(sync, "RATE_LIMIT_WAIT_CAP", 0)  # tuning: no waiting out a 429 here
    _fault(spec)
    sync_account()  # the worker's sync meets the fault
    _settle(spec)

    for label, url, headers in _reading_pages(pending_approval.approval_id):
        response = pm.get(url, **headers)
        html = _html(response)
        assert response.status_code == 200, label
        assert "Traceback" not in html and "Server Error" not in html, label
        if spec.startswith("latency"):
            assert "The last sync with OpenTrain failed" not in html, label
        else:
            assert "The last sync with OpenTrain failed" in html, label
            assert any(t.lower() in html.lower() for t in _expected(spec, "GET")), label
        if label == "list":
            assert 'value="Spanish"' in html, "the search box keeps what was typed"
            assert "Spanish" in html and "No contracts yet" not in html
    pending_approval.refresh_from_db()
    assert pending_approval.status == "pending"


# --- the milestone form -------------------------------------------------------------------------

FORM = "/contracts/ctr_owner_hourly_38/milestones/new/"


def _key(html):
    return re.search(r'name="submission_key" value="([0-9a-f-]{36})"', html).group(1)


@pytest.mark.parametrize("spec", FAULTS)
def test_the_milestone_form_explains_a_fault_keeps_the_input_and_never_doubles(sandbox, pm, spec):
    marker = f"fault test {spec} {uuid.uuid4()}"
    typed = {"name": "Week 9", "description": marker, "volume": "3", "due_date": LATER}
    typed["submission_key"] = _key(_html(pm.get(FORM)))
    _fault(f"POST:{spec}")

    response = pm.post(FORM, typed)
    _settle(spec)

    html = _html(response)
    if response.status_code == 302:
        # The dashboard found out the milestone was created (on time, or by re-reading).
        assert response["Location"].startswith("/submissions/")
        assert "Milestone created" in _html(pm.get(response["Location"]))
    else:
        _assert_calm(response, *_expected(spec, "POST"))
        assert marker in html and 'value="Week 9"' in html and 'value="3"' in html
        # The PM presses "Submit again" on the form as it came back.
        typed["submission_key"] = _key(html)
    _fault("")
    again = pm.post(FORM, typed)
    _settle(spec)
    if "Nothing was sent this time" in _html(again):
        # Held: the earlier attempt's outcome is not known yet. The PM confirms another.
        typed["repeat_of"] = re.search(r'name="repeat_of" value="([^"]+)"', _html(again)).group(1)
        again = pm.post(FORM, typed)

    assert again.status_code in (200, 302)
    assert _milestones(marker) == 1


def test_a_write_still_running_after_a_timeout_is_not_sent_a_second_time(sandbox, pm):
    # OpenTrain received the milestone, the dashboard stopped waiting, and the write lands later:
    # pressing "Submit again" before it lands must not send it again.
    marker = f"late write {uuid.uuid4()}"
    typed = {"description": marker, "volume": "3", "submission_key": _key(_html(pm.get(FORM)))}
    _fault("POST:hang=1")
    first = pm.post(FORM, typed)
    _fault("")
    assert UNKNOWN in _html(first)

    again = pm.post(FORM, typed | {"submission_key": _key(_html(first))})
    _settle("hang")

    assert _milestones(marker) == 1
    assert "Nothing was sent this time" in _html(again)
    # Once it has landed, the next attempt finds it instead of sending.
    third = pm.post(FORM, typed | {"submission_key": _key(_html(again))})
    assert third.status_code == 302
    assert _milestones(marker) == 1


# --- money handoffs: fund, payout, end ---------------------------------------------------------

HANDOFFS = [
    ("milestone_fund", "ms_owner_hourly_38_1", "ctr_owner_hourly_38"),
    ("milestone_approve", "ms_owner_hourly_15_2", "ctr_owner_hourly_15"),
    ("contract_end", "ctr_owner_hourly_15", "ctr_owner_hourly_15"),
]


@pytest.mark.parametrize("spec", FAULTS)
def test_each_handoff_explains_a_fault_and_asking_again_makes_no_second_approval(sandbox, pm, spec):
    _fault(f"POST:{spec}")
    for name, target, contract in HANDOFFS:
        url = reverse(name, args=[target])
        response = pm.post(url, {"contract": contract})
        if spec.startswith("latency"):
            assert response.status_code == 302, name
        else:
            _assert_calm(response, *_expected(spec, "POST"))
            # The page offers to try again, on the same action.
            assert f'action="{url}"' in _html(response), name
    _settle(spec)

    _fault("")
    for name, target, contract in HANDOFFS:
        again = pm.post(reverse(name, args=[target]), {"contract": contract})
        assert again.status_code == 302, _html(again)
    # Fund, payout and end: one pending approval each, however often they were asked for.
    assert Upstream.objects.filter(status="pending").count() == len(HANDOFFS)
