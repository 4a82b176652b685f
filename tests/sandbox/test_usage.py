"""Simulated work: the Log usage page and the sandbox_usage command consume a contract's budget."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from .conftest import ctr, feed, ms

pytestmark = pytest.mark.django_db(transaction=True)


def _budget(live_api, slug):
    return live_api("GET", f"/contracts/{ctr(slug)}").json()["contract"]["budget"]


def _budget_events(live_api):
    return [e for e in feed(live_api)["events"] if e["type"] == "contract.budget_state_changed"]


def _fund(live_api, signed_in, milestone_id):
    approval = live_api("POST", f"/milestones/{milestone_id}/fund").json()["approval"]
    signed_in.post(f"/sandbox/approvals/{approval['id']}/", {"decision": "confirm"})


def test_logging_labels_moves_the_budget_from_ok_to_low_to_depleted(live_api, signed_in):
    _fund(live_api, signed_in, ms("label_012", 1))  # 2,500 labels funded, none used
    page = f"/sandbox/contracts/{ctr('label_012')}/usage/"
    assert "Log 2,000 labels" in signed_in.get(page).text
    updated = live_api("GET", f"/contracts/{ctr('label_012')}").json()["contract"]["updatedAt"]

    signed_in.post(page)

    budget = _budget(live_api, "label_012")
    assert (budget["state"], budget["consumedVolume"], budget["consumedFraction"]) == (
        "LOW",
        2000,
        0.8,
    )
    assert live_api("GET", f"/contracts/{ctr('label_012')}").json()["contract"]["updatedAt"] > (
        updated
    )
    [event] = _budget_events(live_api)
    assert event["resourceId"] == ctr("label_012")
    assert event["data"] == {
        "contractId": ctr("label_012"),
        "previousState": "OK",
        "state": "LOW",
        "paymentType": "PAY_PER_LABEL",
        "fundedVolume": 2500,
        "consumedVolume": 2000,
        "remainingVolume": 500,
        "consumedFraction": 0.8,
    }

    response = signed_in.post(page, follow=True)

    assert "DEPLETED" in response.text
    assert [e["data"]["state"] for e in _budget_events(live_api)] == ["LOW", "DEPLETED"]


def test_logging_hours_adds_five_hours(live_api, signed_in):
    page = f"/sandbox/contracts/{ctr('hourly_15')}/usage/"
    assert "Log 5 hours" in signed_in.get(page).text
    signed_in.post(page)
    assert _budget(live_api, "hourly_15")["consumedVolume"] == 7.5
    assert _budget_events(live_api) == []  # 7.5 of 10 hours: still OK


def test_funding_more_lifts_a_depleted_budget_and_says_so(live_api, signed_in):
    created = live_api(
        "POST",
        f"/contracts/{ctr('label_007')}/milestones",
        json={"description": "Batch C", "volume": 10000},
    ).json()["milestone"]
    _fund(live_api, signed_in, created["id"])
    [event] = _budget_events(live_api)
    assert (event["data"]["previousState"], event["data"]["state"]) == ("DEPLETED", "OK")


def test_fixed_price_contracts_have_no_usage_to_log(signed_in):
    page = signed_in.get(f"/sandbox/contracts/{ctr('fixed_300')}/usage/")
    assert "Fixed-price contracts have no usage budget." in page.text
    assert "<form" not in page.text.split("<main", 1)[-1].split("Other contracts")[0]


def test_the_usage_page_needs_a_signed_in_person(client, seeded):
    response = client.get(f"/sandbox/contracts/{ctr('hourly_15')}/usage/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_approval_page_links_to_the_usage_page(live_api, signed_in):
    approval = live_api("POST", f"/milestones/{ms('hourly_38', 1)}/fund").json()["approval"]
    page = signed_in.get(f"/sandbox/approvals/{approval['id']}/")
    assert f'href="/sandbox/contracts/{ctr("hourly_38")}/usage/"' in page.text


def test_the_command_moves_an_hourly_budget_through_low_to_depleted(live_api):
    out = StringIO()
    call_command("sandbox_usage", ctr("hourly_15"), "5.5", stdout=out)  # 8 of 10 hours
    assert out.getvalue().startswith("LOW 8/10")
    call_command("sandbox_usage", ctr("hourly_15"), "2", stdout=StringIO())
    assert _budget(live_api, "hourly_15")["state"] == "DEPLETED"
    assert [e["data"]["state"] for e in _budget_events(live_api)] == ["LOW", "DEPLETED"]


@pytest.mark.parametrize(
    ("contract", "volume", "message"),
    [
        ("ctr_nope", "5", "No sandbox contract"),
        (ctr("fixed_300"), "5", "Fixed-price"),
        (ctr("ended"), "5", "ended"),
        (ctr("hourly_15"), "0", "positive"),
        (ctr("hourly_15"), "lots", "must be a number"),
    ],
)
def test_the_command_refuses_what_cannot_be_logged(seeded, contract, volume, message):
    with pytest.raises(CommandError, match=message):
        call_command("sandbox_usage", contract, volume)
