"""`/milestones/import/`: a CSV becomes a preview; nothing reaches OpenTrain before confirming."""

import csv
import io
import re
from datetime import date, datetime

import pytest

from dashboard.batches.models import Batch
from dashboard.batches.preview import COLUMNS
from sandbox.models import Milestone as UpstreamMilestone
from tests.batch_helpers import INVALID_ROWS, csv_file, upload, valid_row, xlsx_file
from tests.milestone_helpers import ENDED, FIXED, HOURLY, LABELS, milestones, posts
from tests.mirror_helpers import refresh_contract

pytestmark = pytest.mark.django_db(transaction=True)


def row_html(html: str, line: int) -> str:
    return re.search(rf'<tr id="row-{line}".*?</tr>', html, re.S).group(0)


def test_preview_shows_each_row_with_its_cost_and_sends_nothing(sandbox, pm, upstream_calls):
    before = len(milestones(HOURLY))
    batch = upload(pm, [valid_row(1), valid_row(2), valid_row(3)])

    html = pm.get(f"/batches/{batch.pk}/").content.decode()

    assert "$50.00" in row_html(html, 2)  # 4 hours at $12.50
    assert "4 hours" in row_html(html, 2)
    assert "1,000 labels" in row_html(html, 3)
    assert "$300.00" in row_html(html, 4)
    assert "Total cost: <strong>$420.00</strong>" in html
    assert "nothing has been sent to OpenTrain" in html
    assert posts(upstream_calls) == []
    assert len(milestones(HOURLY)) == before


def test_preview_shows_errors_next_to_the_rows_in_words(sandbox, pm):
    batch = upload(pm, [valid_row(1), *INVALID_ROWS])

    html = pm.get(f"/batches/{batch.pk}/").content.decode()

    assert "Ready" in row_html(html, 2)
    assert "This contract is ended: it takes no new milestones." in row_html(html, 3)
    assert "This contract has no rate" in row_html(html, 4)
    assert "Amount (USD): Enter an amount as plain digits" in row_html(html, 5)
    assert "Send 1 milestone to OpenTrain" in html


def test_a_fixed_price_row_with_a_volume_is_refused(sandbox, pm):
    batch = upload(pm, [{"contract_id": FIXED, "description": "x", "volume": "3"}])

    assert batch.rows.get().errors == [
        "This contract has a fixed price: give amount_usd and leave volume empty.",
        "Amount (USD): Enter the amount for this milestone.",
    ]


def test_preview_refuses_a_past_due_date_and_warns_about_the_estimated_total(sandbox, pm):
    past = {**valid_row(3), "due_date": "2020-01-06"}
    over = {**valid_row(3), "amount_usd": "999999"}

    html = pm.get(f"/batches/{upload(pm, [past, over]).pk}/").content.decode()

    assert "Due date: 6 Jan 2020 is in the past." in row_html(html, 2)
    assert "on a contract estimated at $300.00: $999,999.00 over." in row_html(html, 3)


def test_a_dropped_row_is_not_counted(sandbox, pm):
    batch = upload(pm, [valid_row(1), valid_row(3)])
    hourly = batch.rows.get(contract_id=HOURLY)

    pm.post(f"/batches/{batch.pk}/rows/{hourly.pk}/drop/")

    html = pm.get(f"/batches/{batch.pk}/").content.decode()
    assert "Dropped" in row_html(html, 2)
    assert "Total cost: <strong>$300.00</strong>" in html


def test_a_file_without_the_header_is_refused_in_words(sandbox, pm):
    response = pm.post("/milestones/import/", {"file": csv_file([])})
    assert response.status_code == 200
    assert "That file has no milestone rows" in response.content.decode()

    bad = csv_file([])
    bad.seek(0)
    bad.write(b"contract,amount\nx,1\n")
    bad.seek(0)
    response = pm.post("/milestones/import/", {"file": bad})
    assert "Missing: contract_id, name, description" in response.content.decode()
    assert not Batch.objects.exists()


def test_viewers_cannot_upload(sandbox, client, viewer):
    client.force_login(viewer)
    response = client.post("/milestones/import/", {"file": csv_file([valid_row(1)])})
    assert response.status_code == 403


def test_the_template_lists_active_contracts_with_their_last_milestone(sandbox, pm):
    response = pm.get("/milestones/import/template.csv")

    text = b"".join(response.streaming_content).decode()
    lines = text.splitlines()
    assert lines[0] == "contract_id,name,description,amount_usd,volume,due_date"
    assert any(line.startswith(FIXED + ",") for line in lines)
    assert any(line.startswith(LABELS + ",") for line in lines)
    assert not any(line.startswith(ENDED + ",") for line in lines)


def test_the_template_holds_only_contracts_of_the_mirror_and_formulas_as_text(sandbox, pm):
    UpstreamMilestone.objects.filter(contract_id=FIXED).update(name="=cmd|' /C calc'!A0")
    refresh_contract(FIXED)

    response = pm.get(
        "/milestones/import/template.csv",
        {"contract": [FIXED, "=cmd|' /C calc'!A0", "+1+1"]},
    )

    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [r["contract_id"] for r in rows] == [FIXED]
    assert rows[0]["name"] == "'=cmd|' /C calc'!A0"


def test_a_template_cell_written_as_text_reads_back_as_typed(sandbox, pm):
    UpstreamMilestone.objects.filter(contract_id=FIXED).update(name="-= Week 3 =-")
    refresh_contract(FIXED)
    template = pm.get("/milestones/import/template.csv", {"contract": FIXED})
    upload_ = io.BytesIO(b"".join(template.streaming_content))
    upload_.name = "template.csv"

    response = pm.post("/milestones/import/", {"file": upload_})

    batch = Batch.objects.get(pk=response.url.strip("/").split("/")[-1])
    assert batch.rows.get().typed["name"] == "-= Week 3 =-"


def test_an_xlsx_saved_from_a_spreadsheet_is_previewed_like_a_csv(sandbox, pm):
    workbook = xlsx_file(
        [
            COLUMNS,
            [HOURLY, "Week 48", "Transcripts", None, 4, date(2027, 1, 8)],
            [FIXED, "Fixed", "Flat fee", 300, None, datetime(2027, 1, 9)],
            [LABELS, None, "Labels", None, 1000.0, "2027-01-10"],
            [ENDED, None, "Too late", 100, None, None],
        ]
    )

    response = pm.post("/milestones/import/", {"file": workbook})

    batch = Batch.objects.get(pk=response.url.strip("/").split("/")[-1])
    rows = list(batch.rows.order_by("position"))
    assert [r.fields.get("volume") or r.fields.get("amount_usd") for r in rows[:3]] == [
        "4",
        "300",
        "1000",
    ]
    assert [r.fields["due_date"] for r in rows[:3]] == ["2027-01-08", "2027-01-09", "2027-01-10"]
    assert rows[3].errors == ["This contract is ended: it takes no new milestones."]
    html = pm.get(response.url).content.decode()
    assert "Total cost: <strong>$420.00</strong>" in html
    assert "Send 3 milestones" in html


def test_a_spreadsheet_without_the_header_or_that_is_not_one_is_refused_in_words(sandbox, pm):
    no_header = pm.post("/milestones/import/", {"file": xlsx_file([["contract", "amount"]])})
    broken = io.BytesIO(b"PK\x03\x04 not really a workbook")
    broken.name = "week.xlsx"
    not_one = pm.post("/milestones/import/", {"file": broken})

    assert "Missing: contract_id, name, description" in no_header.content.decode()
    assert "That spreadsheet could not be read." in not_one.content.decode()
    assert not Batch.objects.exists()
