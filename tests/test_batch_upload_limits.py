"""`/milestones/import/` with files made to hurt: every upload is bounded (its unpacked size, its
rows, every cell), and what cannot be read is said in words next to the file or the row."""

import csv
import io
import re
import zipfile

import pytest

from dashboard.batches.models import Batch
from dashboard.batches.preview import COLUMNS
from tests.batch_helpers import csv_file, upload, valid_row, xlsx_file
from tests.milestone_helpers import FIXED

pytestmark = pytest.mark.django_db(transaction=True)

SHEET = "xl/worksheets/sheet1.xml"


def bomb(unpacked_mb: int) -> io.BytesIO:
    """A real workbook whose first cell under the header unpacks to `unpacked_mb` MB of "A"."""
    book = zipfile.ZipFile(xlsx_file([COLUMNS]))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as bombed:
        for member in book.infolist():
            if member.filename != SHEET:
                bombed.writestr(member, book.read(member))
        with bombed.open(SHEET, "w", force_zip64=True) as sheet:
            header = "".join(
                f'<c r="{chr(65 + n)}1" t="inlineStr"><is><t>{c}</t></is></c>'
                for n, c in enumerate(COLUMNS)
            )
            sheet.write(
                b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                b'<sheetData><row r="1">' + header.encode() + b'</row><row r="2">'
                b'<c r="A2" t="inlineStr"><is><t>'
            )
            for _ in range(unpacked_mb):
                sheet.write(b"A" * 1024 * 1024)
            sheet.write(b"</t></is></c></row></sheetData></worksheet>")
    out.seek(0)
    out.name = "week.xlsx"
    return out


def errors_shown(html: str) -> list[str]:
    return re.findall(r"<li>(.*?)</li>", html, re.S)


def test_a_small_spreadsheet_that_unpacks_to_many_megabytes_is_refused_before_it_is_read(
    sandbox, pm
):
    upload_ = bomb(unpacked_mb=64)
    assert len(upload_.getvalue()) < 2 * 1024 * 1024  # under the upload limit: only unpacking hurts

    response = pm.post("/milestones/import/", {"file": upload_})

    assert response.status_code == 200
    assert "That spreadsheet unpacks to more than 16 MB" in response.content.decode()
    assert not Batch.objects.exists()


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_file_over_the_row_limit_is_refused_in_words(sandbox, pm, kind):
    rows = [valid_row(n) for n in range(1001)]
    if kind == "csv":
        file = csv_file(rows)
    else:
        file = xlsx_file([COLUMNS, *([r.get(c) for c in COLUMNS] for r in rows)])

    response = pm.post("/milestones/import/", {"file": file})

    assert "That file has more than 1,000 milestone rows" in response.content.decode()
    assert not Batch.objects.exists()


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_overlong_cells_are_refused_next_to_their_field_and_quoted_short(sandbox, pm, kind):
    overlong = {
        "contract_id": "c" * 300,
        "name": "n" * 201,
        "description": "d" * 50_000,
        "amount_usd": "9" * 5_000,
        "due_date": "2027-01-01" + "x" * 900,
    }
    wrong_date = {**valid_row(0), "due_date": "2027-01-01" + "x" * 900}
    if kind == "csv":
        file = csv_file([overlong, wrong_date])
    else:
        file = xlsx_file([COLUMNS, *([r.get(c) for c in COLUMNS] for r in (overlong, wrong_date))])

    response = pm.post("/milestones/import/", {"file": file})

    batch = Batch.objects.get(pk=response.url.strip("/").split("/")[-1])
    too_long, typo = batch.rows.order_by("position")
    assert too_long.errors == [
        "contract_id: Longer than 200 characters; shorten it.",
        "name: Longer than 200 characters; shorten it.",
        "description: Longer than 5,000 characters; shorten it.",
        "amount_usd: Longer than 1,000 characters; shorten it.",
    ]
    assert all(len(value) <= 5_001 for value in too_long.typed.values())
    [date_error] = typo.errors
    quoted = re.search(r"You typed “(.*)”", date_error).group(1)
    assert quoted.startswith("2027-01-01xxx")
    assert len(quoted) <= 100
    html = pm.get(response.url).content.decode()
    assert "d" * 5_002 not in html
    assert all(len(error) < 300 for error in errors_shown(html))


def test_a_csv_cell_over_the_csv_modules_limit_is_an_error_on_its_row(sandbox, pm):
    rows = [valid_row(0), {**valid_row(1), "description": "d" * (csv.field_size_limit() + 1)}]
    rows.append(valid_row(2))

    batch = upload(pm, rows)

    first, huge, last = batch.rows.order_by("position")
    assert huge.errors == [
        f"This line has a cell longer than {csv.field_size_limit():,} characters; it was not read."
    ]
    assert first.errors == last.errors == []


def test_an_overlong_cell_typed_into_a_preview_row_is_refused_next_to_it(sandbox, pm):
    batch = upload(pm, [{**valid_row(0), "contract_id": FIXED, "amount_usd": "300"}])
    row = batch.rows.get()

    response = pm.post(
        f"/batches/{batch.pk}/rows/{row.pk}/edit/",
        {"description": "d" * 20_000, "amount_usd": "300"},
    )

    row.refresh_from_db()
    assert "Longer than 5,000 characters; shorten it." in response.content.decode()
    assert len(row.typed["description"]) == 5_001
