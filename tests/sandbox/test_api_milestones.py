import threading
from decimal import Decimal

import httpx
import pytest
from django.db import connection

from sandbox.demo import NOBILLING_TOKEN, OWNER_TOKEN
from sandbox.models import Milestone

from .conftest import BASE, assert_envelope, ctr

pytestmark = pytest.mark.django_db


def _create(api, slug, body=None, raw=None, **kwargs):
    return api("POST", f"/contracts/{ctr(slug)}/milestones", body=body, raw=raw, **kwargs)


def test_a_fixed_price_milestone_is_created_unfunded(api):
    response = _create(
        api,
        "fixed_300",
        {
            "name": "Second labeling batch",
            "description": "Label the next 5,000 posts per the updated guidelines",
            "amountUsd": 300,
            "dueDate": "2026-07-15",
        },
    )
    assert response.status_code == 201
    milestone = response.json()["milestone"]
    assert milestone["id"].startswith("ms_")
    assert {k: v for k, v in milestone.items() if k not in ("id", "createdAt")} == {
        "name": "Second labeling batch",
        "description": "Label the next 5,000 posts per the updated guidelines",
        "status": "NOT_FUNDED",
        "amountUsd": 300,
        "volume": None,
        "milestoneNumber": 2,
        "dueDate": "2026-07-15T00:00:00.000Z",
        "pendingApproval": False,
        "needsReview": False,
        "invoiceId": None,
    }
    assert milestone["createdAt"].endswith("Z")


def test_three_labels_at_seven_cents_cost_exactly_21_cents(api):
    response = _create(api, "label_007", {"description": "Tiny batch", "volume": 3})
    assert response.status_code == 201
    assert b'"amountUsd": 0.21' in response.content
    assert Milestone.objects.get(id=response.json()["milestone"]["id"]).amount_usd == Decimal(
        "0.21"
    )


def test_an_hourly_amount_is_computed_from_the_volume(api):
    response = _create(api, "hourly_1250", {"description": "Week 5", "volume": 12.5})
    milestone = response.json()["milestone"]
    assert response.status_code == 201
    assert milestone["amountUsd"] == 156.25
    assert milestone["volume"] == 12.5
    assert milestone["milestoneNumber"] == 3


def test_a_computed_amount_rounds_half_up_to_the_cent(api):
    # 0.07 x 0.5 = 0.035 -> 0.04
    response = _create(api, "label_007", {"description": "Half a label", "volume": 0.5})
    assert response.json()["milestone"]["amountUsd"] == 0.04


def test_a_matching_amount_and_volume_are_accepted(api):
    body = {"description": "Batch", "volume": 1000, "amountUsd": 350}
    response = _create(api, "label_035", body)
    assert response.status_code == 201
    assert response.json()["milestone"]["amountUsd"] == 350


def test_an_amount_that_does_not_match_rate_times_volume_is_refused(api):
    body = {"description": "Batch", "volume": 3, "amountUsd": 0.22}
    response = _create(api, "label_007", body)
    assert_envelope(response, 400, "BAD_REQUEST", field="amountUsd")
    assert not Milestone.objects.filter(description="Batch").exists()


def test_invalid_json_is_a_bad_request(api):
    response = _create(api, "fixed_300", raw="{not json")
    assert_envelope(response, 400, "BAD_REQUEST")


def test_a_json_array_is_a_bad_request(api):
    assert_envelope(_create(api, "fixed_300", raw="[1, 2]"), 400, "BAD_REQUEST")


@pytest.mark.parametrize("description", [None, "", "   ", 5])
def test_the_description_is_required(api, description):
    body = {"amountUsd": 10}
    if description is not None:
        body["description"] = description
    assert_envelope(_create(api, "fixed_300", body), 400, "BAD_REQUEST", field="description")


@pytest.mark.parametrize("value", ["10", True, 0, -5, "NaN"])
def test_the_amount_must_be_a_positive_number(api, value):
    body = {"description": "x", "amountUsd": value}
    assert_envelope(_create(api, "fixed_300", body), 400, "BAD_REQUEST", field="amountUsd")


def test_nan_and_infinity_literals_are_refused(api):
    for literal in ("NaN", "Infinity", "-Infinity"):
        raw = '{"description": "x", "amountUsd": ' + literal + "}"
        assert_envelope(_create(api, "fixed_300", raw=raw), 400, "BAD_REQUEST", field="amountUsd")


@pytest.mark.parametrize("value", ["3", False, 0, -1])
def test_the_volume_must_be_a_positive_number(api, value):
    body = {"description": "x", "volume": value}
    assert_envelope(_create(api, "label_007", body), 400, "BAD_REQUEST", field="volume")


def test_an_amount_with_fractions_of_a_cent_is_refused(api):
    body = {"description": "x", "amountUsd": 10.005}
    assert_envelope(_create(api, "fixed_300", body), 400, "BAD_REQUEST", field="amountUsd")


def test_a_fixed_price_milestone_needs_an_amount(api):
    body = {"description": "x", "volume": 10}
    assert_envelope(_create(api, "fixed_300", body), 400, "BAD_REQUEST", field="amountUsd")


@pytest.mark.parametrize("slug", ["hourly_38", "label_035"])
def test_hourly_and_per_label_milestones_need_a_volume(api, slug):
    body = {"description": "x", "amountUsd": 100}
    assert_envelope(_create(api, slug, body), 400, "BAD_REQUEST", field="volume")


@pytest.mark.parametrize("due", ["next week", "2026-13-01", 20260715])
def test_the_due_date_must_be_iso_8601(api, due):
    body = {"description": "x", "amountUsd": 10, "dueDate": due}
    assert_envelope(_create(api, "fixed_300", body), 400, "BAD_REQUEST", field="dueDate")


def test_a_due_datetime_is_stored_as_its_utc_day(api):
    body = {"description": "x", "amountUsd": 10, "dueDate": "2026-07-15T23:30:00-02:00"}
    assert _create(api, "fixed_300", body).json()["milestone"]["dueDate"] == (
        "2026-07-16T00:00:00.000Z"
    )


def test_an_ended_contract_takes_no_milestones(api):
    body = {"description": "x", "amountUsd": 10}
    assert_envelope(_create(api, "ended", body), 409, "CONFLICT", reason="contract_ended")


def test_a_contract_without_a_rate_takes_no_volume_milestones(api):
    body = {"description": "x", "volume": 10}
    response = _create(api, "label_norate", body)
    assert_envelope(response, 409, "CONFLICT", reason="contract_rate_missing")


def test_another_accounts_contract_is_not_found(api):
    response = api(
        "POST",
        f"/contracts/{ctr('fixed_300')}/milestones",
        token=NOBILLING_TOKEN,
        body={"description": "x", "amountUsd": 10},
    )
    assert_envelope(response, 404, "NOT_FOUND")


def test_a_missing_contract_is_not_found(api):
    response = api("POST", "/contracts/ctr_nope/milestones", body={"description": "x"})
    assert_envelope(response, 404, "NOT_FOUND")


def test_numbers_continue_after_hidden_milestones(api):
    # label_007 has milestones 1-3, the third cancelled (hidden from the API).
    response = _create(api, "label_007", {"description": "Next", "volume": 10})
    assert response.json()["milestone"]["milestoneNumber"] == 4


@pytest.mark.multihost
@pytest.mark.skipif(
    connection.vendor == "sqlite",
    reason="the in-memory SQLite test database shares one connection across server threads",
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_creates_get_distinct_numbers(api, live_server):
    url = f"{live_server.url}{BASE}/contracts/{ctr('hourly_38')}/milestones"
    statuses = []

    def post():
        r = httpx.post(
            url,
            json={"description": "race", "volume": 1},
            headers={"Authorization": f"Bearer {OWNER_TOKEN}"},
            timeout=20,
        )
        statuses.append(r.status_code)

    threads = [threading.Thread(target=post) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [201] * 6
    numbers = sorted(
        Milestone.objects.filter(contract_id=ctr("hourly_38")).values_list("number", flat=True)
    )
    assert numbers == list(range(1, 8))
