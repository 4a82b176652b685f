"""The spend exports: the page's numbers as CSV and JSON, with the same filters, money as exact
decimal strings."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from dashboard.mirror.models import BudgetSnapshot
from sandbox import demo
from sandbox.usage import log_usage
from tests.milestone_helpers import use_account
from tests.mirror_helpers import sync_account
from tests.spend import ZERO, first_month, month_query, sandbox_sums, shown_months, shown_total

HOURLY = demo.contract_id(demo.OWNER, "hourly_1250")


def export(client, fmt, **query):
    response = client.get(f"/exports/spend.{fmt}", query)
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="spend.{fmt}"'
    return response


@pytest.mark.parametrize("key", list(demo.ACCOUNTS))
def test_the_json_export_equals_the_page_and_the_sandbox_for_each_demo_account(sandbox, pm, key):
    use_account(pm, key)
    query = month_query(first_month(key))
    expected = sandbox_sums(key)

    page = pm.get("/spend/", query).content.decode()
    document = export(pm, "json", **query).json()

    for name in ("committed", "funded", "used", "paid"):
        assert document["totals"][f"{name}_usd"] == f"{expected[name]:.2f}"
        assert Decimal(document["totals"][f"{name}_usd"]) == shown_total(page, name)
    assert document["totals"]["without_rate"] == expected["without_rate"]
    months = {
        (row["month"], row["payment_type"]): (row["funded_usd"], row["paid_usd"])
        for row in document["months"]
    }
    assert months == {
        (f"{month:%Y-%m}", kind): (f"{funded:.2f}", f"{paid:.2f}")
        for (month, kind), (funded, paid) in expected["months"].items()
    }
    shown = {
        (f"{month:%Y-%m}", kind): (f"{funded:.2f}", f"{paid:.2f}")
        for (month, kind), (funded, paid) in shown_months(page).items()
        if kind != "All" and (funded or paid)
    }
    assert months == shown


def test_the_csv_export_has_the_json_s_numbers_row_for_row(sandbox, pm):
    document = export(pm, "json").json()
    rows = list(csv.DictReader(io.StringIO(export(pm, "csv").content.decode())))

    totals = {row["name"]: row["value"] for row in rows if row["section"] == "totals"}
    assert totals == {name: str(value) for name, value in document["totals"].items()}
    burn = {row["name"]: row["value"] for row in rows if row["section"] == "burn"}
    assert burn == {name: value or "" for name, value in document["burn"].items()}
    months = [
        {k: row[k] for k in ("month", "payment_type", "funded_usd", "paid_usd")}
        for row in rows
        if row["section"] == "month"
    ]
    assert months == document["months"]
    assert document["totals"]["committed_usd"] == "5610.00"


def test_the_exports_follow_the_page_s_filters(sandbox, pm):
    ended = sandbox_sums(demo.OWNER, status="ended", payment_type="FIXED_PRICE")

    document = export(pm, "json", status="ended", payment_type="FIXED_PRICE").json()

    assert document["filters"]["status"] == "ended"
    assert document["filters"]["payment_type"] == "FIXED_PRICE"
    assert document["totals"]["committed_usd"] == f"{ended['committed']:.2f}"
    assert document["totals"]["contracts"] == ended["contracts"]
    assert {row["payment_type"] for row in document["months"]} <= {"FIXED_PRICE"}


def test_the_burn_and_the_budgets_that_run_out_first_are_in_the_exports(sandbox, pm):
    BudgetSnapshot.objects.update(observed_at=timezone.now() - timedelta(days=2))
    log_usage(HOURLY, Decimal(4))
    sync_account(demo.OWNER)

    document = export(pm, "json").json()
    rows = list(csv.DictReader(io.StringIO(export(pm, "csv").content.decode())))

    assert document["burn"]["used_last_7_days_usd"] == "50.00"
    assert Decimal(document["burn"]["weeks_left_at_7_days_pace"]) > ZERO
    [first] = [row for row in document["runs_out"] if row["contract_id"] == HOURLY]
    assert first["days_left"].startswith("3.")
    assert first["runs_out_on"] == f"{timezone.localdate() + timedelta(days=3):%Y-%m-%d}"
    [csv_row] = [row for row in rows if row["section"] == "runs_out"]
    assert csv_row["contract_id"] == HOURLY
    assert csv_row["value"] == first["days_left"]
    assert csv_row["usd_a_day"] == first["usd_a_day"]


def test_an_export_in_another_format_is_not_found(sandbox, pm):
    assert pm.get("/exports/spend.xlsx").status_code == 404


def test_a_viewer_may_export_the_numbers_too(sandbox, viewer, client):
    client.force_login(viewer)

    assert export(client, "csv").content.decode().startswith("section,name,month,")
