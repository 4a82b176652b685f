"""Exports: the contract list as filtered, milestones across contracts, and activity, streamed."""

import csv
import io
import json

import pytest

from tests.milestone_helpers import FIXED, FIXED_FORM, HOURLY, send

pytestmark = pytest.mark.django_db(transaction=True)


def download(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert response.streaming
    return b"".join(response.streaming_content).decode()


def csv_rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_the_contract_export_follows_the_lists_filters(sandbox, pm):
    rows = csv_rows(download(pm, "/exports/contracts.csv?payment_type=PAY_PER_HOUR"))

    assert rows
    assert {r["payment_type"] for r in rows} == {"PAY_PER_HOUR"}
    hourly = next(r for r in rows if r["contract_id"] == HOURLY)
    assert hourly["rate_usd"] == "12.5000"


def test_the_contract_export_in_json_has_exact_amounts_and_iso_dates(sandbox, pm):
    rows = json.loads(download(pm, "/exports/contracts.json"))

    fixed = next(r for r in rows if r["contract_id"] == FIXED)
    assert fixed["rate_usd"] == "300.0000"
    assert fixed["created_at"][:4].isdigit() and "T" in fixed["created_at"]


def test_the_milestone_export_lists_milestones_across_contracts(sandbox, pm):
    rows = csv_rows(download(pm, "/exports/milestones.csv"))

    assert {FIXED, HOURLY} <= {r["contract_id"] for r in rows}
    paid = next(r for r in rows if r["name"] == "Weeks 1-2")
    assert paid["amount_usd"] == "500.00"
    assert paid["due_date"].startswith("2026-06-01")


def test_the_activity_export_lists_what_was_sent_and_what_came_back(sandbox, pm):
    send(pm, FIXED, {**FIXED_FORM, "amount_usd": "300.10"})

    [row] = json.loads(download(pm, "/exports/activity.json"))

    assert row["contract_id"] == FIXED
    assert row["state"] == "created"
    assert row["amount_usd"] == "300.10"
    assert row["user"] == "editor"
    assert "T" in row["created_at"]


def test_an_unknown_format_is_not_found(sandbox, pm):
    assert pm.get("/exports/activity.xml").status_code == 404
