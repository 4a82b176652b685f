"""Exports: the contract list as filtered, milestones across contracts, and activity, streamed."""

import csv
import io
import json

import pytest

from dashboard.notify.models import URGENT_KINDS, Preference
from sandbox.models import Contract as UpstreamContract
from sandbox.models import Milestone as UpstreamMilestone
from tests.milestone_helpers import FIXED, FIXED_FORM, HOURLY, send
from tests.mirror_helpers import refresh_contract
from tests.notify_helpers import person, worker_runs

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


def test_the_activity_export_lists_the_notifications_sent_with_whom_and_what(sandbox, pm):
    ann = person("ann")
    # Ann's digest comes at midnight, so it is due whenever the test runs (at 08:00 by default).
    Preference.objects.create(user=ann, urgent_kinds=list(URGENT_KINDS), digest_hour=0)
    send(pm, FIXED, {**FIXED_FORM, "amount_usd": "300.10"})
    worker_runs()  # the seeded depleted budget: an e-mail, and Ann's digest

    rows = csv_rows(download(pm, "/exports/activity.csv"))

    emailed = [r for r in rows if r["action"] == "email"]
    assert [(r["recipient"], r["subject"], r["state"]) for r in emailed] == [
        ("ann@example.com", "Budget depleted: Spanish Sentiment Labels (per label)", "sent")
    ]
    assert [r["recipient"] for r in rows if r["action"] == "email_digest"] == ["ann@example.com"]
    milestone = next(r for r in rows if r["action"] == "create_milestone")
    assert (milestone["recipient"], milestone["subject"]) == ("", "")
    assert rows[0]["created_at"] >= rows[-1]["created_at"]


def test_an_unknown_format_is_not_found(sandbox, pm):
    assert pm.get("/exports/activity.xml").status_code == 404


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_contract_title_that_starts_like_a_formula_is_exported_as_text(sandbox, pm, start):
    title = start + 'HYPERLINK("https://evil.example/","Open me")'
    UpstreamContract.objects.filter(id=FIXED).update(title=title)
    refresh_contract(FIXED)

    rows = csv_rows(download(pm, "/exports/contracts.csv"))
    json_rows = json.loads(download(pm, "/exports/contracts.json"))

    fixed = next(r for r in rows if r["contract_id"] == FIXED)
    assert fixed["title"] == "'" + title
    assert fixed["rate_usd"] == "300.0000"
    assert next(r for r in json_rows if r["contract_id"] == FIXED)["title"] == title


def test_milestone_and_activity_exports_write_formula_like_text_as_text(sandbox, pm):
    UpstreamContract.objects.filter(id=FIXED).update(title="=1+1")
    UpstreamMilestone.objects.filter(contract_id=FIXED).update(name="@SUM(A1:A9)")
    refresh_contract(FIXED)
    send(pm, FIXED, FIXED_FORM)

    milestones = [
        r for r in csv_rows(download(pm, "/exports/milestones.csv")) if r["contract_id"] == FIXED
    ]
    [activity] = csv_rows(download(pm, "/exports/activity.csv"))

    assert {r["contract_title"] for r in milestones} == {"'=1+1"}
    assert "'@SUM(A1:A9)" in {r["name"] for r in milestones}
    assert all(not r["amount_usd"].startswith("'") for r in milestones)
    assert activity["contract_title"] == "'=1+1"
