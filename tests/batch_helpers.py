"""Helpers shared by the batch tests (plain functions, not fixtures)."""

import csv
import io
import re

from openpyxl import Workbook

from dashboard.batches.models import Batch
from dashboard.batches.preview import COLUMNS
from tests.milestone_helpers import ENDED, FIXED, HOURLY, LABELS, NO_RATE


def csv_file(rows: list[dict], name: str = "week.csv") -> io.BytesIO:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    upload = io.BytesIO(out.getvalue().encode())
    upload.name = name
    return upload


def xlsx_file(rows: list[list], name: str = "week.xlsx") -> io.BytesIO:
    """A workbook as Excel or LibreOffice saves it (openpyxl writes the same format)."""
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    upload = io.BytesIO()
    book.save(upload)
    upload.seek(0)
    upload.name = name
    return upload


def upload(client, rows: list[dict]) -> Batch:
    """Upload a CSV as the PM would; returns the batch its preview shows."""
    response = client.post("/milestones/import/", {"file": csv_file(rows)})
    assert response.status_code == 302, response.content.decode()[:2000]
    return Batch.objects.get(pk=response.url.strip("/").split("/")[-1])


def valid_row(n: int) -> dict:
    """One of three valid milestones, by payment model, each with its own name."""
    contract = (FIXED, HOURLY, LABELS)[n % 3]
    row = {"contract_id": contract, "name": f"Week batch {n}", "description": f"Batch {n} work"}
    if contract == FIXED:
        row["amount_usd"] = "300"
    elif contract == HOURLY:
        row["volume"] = "4"
    else:
        row["volume"] = "1000"
    return row


INVALID_ROWS = [
    {"contract_id": ENDED, "description": "Too late", "amount_usd": "100"},
    {"contract_id": NO_RATE, "description": "No rate here", "volume": "500"},
    {"contract_id": FIXED, "description": "Typo", "amount_usd": "3OO"},
]


def fifty_rows() -> list[dict]:
    """47 valid rows with the 3 invalid ones among them."""
    rows = [valid_row(n) for n in range(1, 48)]
    rows.insert(10, INVALID_ROWS[0])
    rows.insert(25, INVALID_ROWS[1])
    rows.insert(40, INVALID_ROWS[2])
    return rows


def confirm(client, batch, *, over_total_ok: bool = True):
    """Press "Confirm and send" with the fields the page's form carries, as a browser would; by
    default the PM has also ticked the box that sends the rows listed as over their contracts'
    estimated totals (FIXED's one milestone already uses its whole estimated total)."""
    html = client.get(f"/batches/{batch.pk}/").content.decode()
    form = re.search(r'<form[^>]*id="batch-confirm".*?</form>', html, re.S)
    fields = form.group(0) if form else ""
    data = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', fields))
    data.pop("csrfmiddlewaretoken", None)
    if over_total_ok and 'name="confirm_over_total"' in fields:
        data["confirm_over_total"] = "on"
    return client.post(f"/batches/{batch.pk}/confirm/", data)
