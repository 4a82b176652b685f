"""Reading an uploaded file of milestones: a CSV, or an .xlsx saved from Excel or LibreOffice.

Both come out the same way, as the header and one dict of text per line, so the preview checks a
spreadsheet's cells exactly as it checks a CSV's; a cell the dashboard's own CSV wrote as text
("'=...") reads back as typed. Everything read is bounded: a workbook's unpacked size before it
is opened, the rows (reading stops past the limit), and every cell. No HTTP here.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal

from django import forms

from dashboard.exports import as_typed
from dashboard.forms import MilestoneForm

MAX_UNPACKED_MB = 16  # the sum of its members as they declare it; 1,000 full rows are under 9 MB
MAX_COLUMNS = 50
# Blank lines are skipped, but not endlessly: a file of a million empty rows is refused.
MAX_LINES = 10_000
# The longest cell kept, by column. A longer one is kept one character over, so the preview refuses
# it in words until the PM shortens it, and no megabyte-long cell reaches the database or a page.
CAPS = {
    "contract_id": 200,
    "name": MilestoneForm.base_fields["name"].max_length,
    "description": MilestoneForm.base_fields["description"].max_length,
}
OTHER_CAP = 1_000
# A line the CSV reader could not take apart: the preview shows this as the row's error.
UNREADABLE = "unreadable"


def cap(column: str) -> int:
    return CAPS.get(column, OTHER_CAP)


def capped(column: str, text: str) -> str:
    return text[: cap(column) + 1]


def read(name: str, data: bytes, max_rows: int) -> tuple[list[str], list[dict]]:
    """The header and the non-blank lines of the file; a `ValidationError` in words if it cannot
    be read or has more than `max_rows` lines of milestones."""
    if name.lower().endswith(".xlsx") or data[:4] == b"PK\x03\x04":
        return _xlsx(data, max_rows)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise forms.ValidationError(
            "That file is not UTF-8 text. Save it from your spreadsheet as “CSV UTF-8” or as an "
            "Excel workbook (.xlsx)."
        ) from None
    lines = _csv_lines(csv.reader(io.StringIO(text)))
    header = [cell.strip() for cell in next(lines, [])]
    return header, _rows(header, lines, max_rows)


def _csv_lines(reader) -> Iterator[list[str] | None]:
    """Each line's cells; None for a line with a cell over the csv module's limit."""
    while True:
        try:
            yield next(reader)
        except StopIteration:
            return
        except csv.Error:
            yield None


def _xlsx(data: bytes, max_rows: int) -> tuple[list[str], list[dict]]:
    # Imported here: only a spreadsheet upload pays for loading openpyxl.
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            # zipfile never unpacks a member past the size it declares, so this bounds the reading
            # (and its time: openpyxl parses a sheet that declares no dimension once to find it).
            unpacked = sum(member.file_size for member in archive.infolist())
        if unpacked > MAX_UNPACKED_MB * 1024 * 1024:
            raise forms.ValidationError(
                f"That spreadsheet unpacks to more than {MAX_UNPACKED_MB} MB. Save it again as a "
                "smaller workbook, or as “CSV UTF-8”."
            )
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            lines = book.worksheets[0].iter_rows(max_col=MAX_COLUMNS, values_only=True)
            header = [_text(v) for v in next(lines, ())]
            return header, _rows(header, ([_text(v) for v in line] for line in lines), max_rows)
        finally:
            book.close()
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, IndexError, SyntaxError):
        raise forms.ValidationError(
            "That spreadsheet could not be read. Save it again as an Excel workbook (.xlsx) or "
            "as “CSV UTF-8”."
        ) from None


def _rows(header: list[str], lines: Iterable[list[str] | None], max_rows: int) -> list[dict]:
    """The lines with any text in them, as dicts by column, each cell capped; reading stops as
    soon as the file is over a limit."""
    rows = []
    for number, cells in enumerate(lines, start=2):
        if number > MAX_LINES:
            raise forms.ValidationError(
                f"That file has more than {MAX_LINES:,} lines, counting blank ones; "
                "split it into smaller files."
            )
        if cells is None:
            message = (
                f"This line has a cell longer than {csv.field_size_limit():,} characters; "
                "it was not read."
            )
            rows.append({UNREADABLE: message})
        elif any(cell.strip() for cell in cells):
            pairs = zip(header, cells, strict=False)
            rows.append({c: capped(c, as_typed(cell)) for c, cell in pairs})
        if len(rows) > max_rows:
            raise forms.ValidationError(
                f"That file has more than {max_rows:,} milestone rows; split it into smaller files."
            )
    return rows


def _text(value) -> str:
    """A cell as the PM would have typed it: whole numbers without ".0", dates as YYYY-MM-DD."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        return format(Decimal(str(value)).normalize(), "f")
    return str(value).strip()
