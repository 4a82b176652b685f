"""Reading an uploaded file of milestones: a CSV, or an .xlsx saved from Excel or LibreOffice.

Both come out the same way, as the header and one dict of text per line, so the preview checks a
spreadsheet's cells exactly as it checks a CSV's. No HTTP here.
"""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime
from decimal import Decimal

from django import forms


def read(name: str, data: bytes) -> tuple[list[str], list[dict]]:
    """The header and the lines of the file; a `ValidationError` in words if it cannot be read."""
    if name.lower().endswith(".xlsx") or data[:4] == b"PK\x03\x04":
        return _xlsx(data)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise forms.ValidationError(
            "That file is not UTF-8 text. Save it from your spreadsheet as “CSV UTF-8” or as an "
            "Excel workbook (.xlsx)."
        ) from None
    reader = csv.DictReader(io.StringIO(text))
    return list(reader.fieldnames or []), list(reader)


def _xlsx(data: bytes) -> tuple[list[str], list[dict]]:
    # Imported here: only a spreadsheet upload pays for loading openpyxl.
    from openpyxl import load_workbook

    try:
        sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
        lines = sheet.iter_rows(values_only=True)
        header = [_text(v) for v in next(lines, ())]
        rows = [dict(zip(header, (_text(v) for v in line), strict=False)) for line in lines]
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, IndexError):
        raise forms.ValidationError(
            "That spreadsheet could not be read. Save it again as an Excel workbook (.xlsx) or "
            "as “CSV UTF-8”."
        ) from None
    return header, rows


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
