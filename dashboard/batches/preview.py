"""From a CSV (or a spreadsheet) to a batch's preview: each row checked against the mirror's
contract with the same form as a single milestone, edited there until it passes. No HTTP here:
nothing reaches OpenTrain until the PM confirms.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django import forms
from django.utils.text import Truncator

from dashboard import opentrain
from dashboard.batches import spreadsheets
from dashboard.batches.models import Batch, BatchRow
from dashboard.batches.prefill import COLUMNS, contracts_by_id
from dashboard.forms import FORMS, QUOTED_CHARS
from dashboard.mirror.models import Account

MAX_ROWS = 1000
MAX_BYTES = 2 * 1024 * 1024


class UploadForm(forms.Form):
    file = forms.FileField(
        label="CSV or Excel file",
        help_text="Columns: " + ", ".join(COLUMNS) + ". One row per milestone.",
        error_messages={"required": "Choose a CSV or Excel (.xlsx) file to upload."},
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError("That file is over 2 MB; split it into smaller files.")
        header, rows = spreadsheets.read(upload.name or "", upload.read(), MAX_ROWS)
        missing = [c for c in COLUMNS if c not in header]
        if missing:
            raise forms.ValidationError(
                "The first line must name the columns "
                + ", ".join(COLUMNS)
                + ". Missing: "
                + ", ".join(missing)
                + "."
            )
        if not rows:
            raise forms.ValidationError("That file has no milestone rows under its header.")
        return rows


def create_batch(account: Account, user, source: str, rows: list[dict]) -> Batch:
    """A batch in preview, every row checked; contracts are read from the mirror once."""
    batch = Batch.objects.create(
        account_fingerprint=account.fingerprint, created_by=user, source=source[:200]
    )
    checked = checked_rows(account, rows)
    for row in checked:
        row.batch = batch
    BatchRow.objects.bulk_create(checked)
    return batch


def checked_rows(account: Account | None, rows: list[dict]) -> list[BatchRow]:
    """The rows as the preview will show them, not saved: one mirror query, one pass."""
    contracts = _contracts(account, rows)
    planned: dict[str, Decimal] = {}  # cost of earlier rows, per contract, for the warnings
    checked = []
    for line, typed in enumerate(rows, start=2):
        unreadable = typed.get(spreadsheets.UNREADABLE)
        typed = {c: (typed.get(c) or "").strip() for c in COLUMNS}
        if unreadable:
            typed[spreadsheets.UNREADABLE] = unreadable
        row = BatchRow(position=line, typed=typed)
        check_row(row, contracts.get(typed["contract_id"]), planned)
        checked.append(row)
    return checked


def edit_row(account: Account | None, row: BatchRow, data) -> dict[str, list[str]]:
    """Save what the PM typed into a row of the preview and check the batch again (costs and
    warnings depend on the other rows); returns the row's errors by field, "row" for the row's own.

    What was typed is kept even when it is refused, so nothing is lost and the preview says why.
    """
    edited = {c: spreadsheets.capped(c, (data.get(c) or "").strip()) for c in EDITABLE}
    row.typed = {**row.typed, **edited}
    row.save(update_fields=["typed"])
    return recheck(account, row.batch)[row.pk]


def recheck(account: Account | None, batch: Batch) -> dict[int, dict[str, list[str]]]:
    """Check every row of the batch again in one pass: one mirror query, one bulk update."""
    rows = list(batch.rows.order_by("position"))
    contracts = _contracts(account, [r.typed for r in rows])
    planned: dict[str, Decimal] = {}
    by_row = {}
    for row in rows:
        row.fields, row.cost = {}, None
        by_row[row.pk] = check_row(row, contracts.get(row.typed.get("contract_id", "")), planned)
    fields = [
        "contract_id",
        "contract_title",
        "payment_type",
        "fields",
        "cost",
        "errors",
        "warnings",
    ]
    BatchRow.objects.bulk_update(rows, fields)
    return by_row


def field_errors(account: Account | None, row: BatchRow) -> dict[str, list[str]]:
    """The row's errors by field, for its edit form (nothing saved)."""
    contract = _contracts(account, [row.typed]).get(row.typed.get("contract_id", ""))
    return check_row(row, contract, {})


EDITABLE = ["name", "description", "amount_usd", "volume", "due_date"]


def _contracts(account: Account | None, rows: list[dict]) -> dict[str, opentrain.Contract]:
    return contracts_by_id(account, ((r.get("contract_id") or "").strip() for r in rows))


def check_row(
    row: BatchRow, contract: opentrain.Contract | None, planned: dict
) -> dict[str, list[str]]:
    """Fill in the row's contract, fields, cost, errors and warnings, all in words; returns the
    errors by field ("row" for those about the row as a whole)."""
    typed = row.typed
    row.contract_id = typed["contract_id"]
    row.errors, row.warnings = [], []
    by_field: dict[str, list[str]] = {}

    def refuse(message: str, field: str = "row", label: str = "") -> None:
        by_field.setdefault(field, []).append(message)
        row.errors.append(f"{label}: {message}" if label else message)

    if typed.get(spreadsheets.UNREADABLE):
        refuse(typed[spreadsheets.UNREADABLE])
        return by_field
    too_long = [c for c in COLUMNS if len(typed.get(c, "")) > spreadsheets.cap(c)]
    for column in too_long:
        message = f"Longer than {spreadsheets.cap(column):,} characters; shorten it."
        refuse(message, column if column in EDITABLE else "row", column)
    if too_long:
        return by_field
    if contract is None:
        refuse(_no_contract(typed["contract_id"]))
        return by_field
    row.contract_title = contract.title
    row.payment_type = contract.payment_type
    form_class = FORMS.get(contract.payment_type)
    if not contract.is_active:
        refuse(f"This contract is {contract.status or 'not active'}: it takes no new milestones.")
    if form_class is None:
        refuse("The dashboard does not know this contract's payment model.")
        return by_field
    other = "volume" if form_class.money_field == "amount_usd" else "amount_usd"
    if typed[other]:
        refuse(_wrong_column(form_class, other), other)
    if form_class.money_field == "volume" and contract.rate_usd is None:
        refuse("This contract has no rate, so OpenTrain cannot price the milestone.")
    form = form_class(_form_data(typed, row.key), rate=contract.rate_usd)
    if not form.is_valid():
        for name, messages in form.errors.items():
            label = form.fields[name].label if name in form.fields else ""
            for message in messages:
                refuse(message, name if name in form.fields else "row", label)
        return by_field
    fields = form.milestone_fields()
    row.cost = fields.get("amount_usd") or form.cost
    row.fields = {k: (format(v, "f") if isinstance(v, Decimal) else v) for k, v in fields.items()}
    if row.errors:
        return by_field
    row.warnings = _warnings(row, contract, planned)
    return by_field


def _form_data(typed: dict, key) -> dict:
    return {**typed, "submission_key": str(key)}


def _no_contract(contract_id: str) -> str:
    if not contract_id:
        return "No contract_id: say which contract this milestone is for."
    quoted = Truncator(contract_id).chars(QUOTED_CHARS)
    return f"No contract “{quoted}” on this account (as of the last sync)."


def _wrong_column(form_class, column: str) -> str:
    if form_class.money_field == "amount_usd":
        return "This contract has a fixed price: give amount_usd and leave volume empty."
    unit = "hours" if form_class.payment_type == "PAY_PER_HOUR" else "labels"
    return f"This contract is paid in {unit}: give the {unit} in volume and leave amount_usd empty."


def _warnings(row: BatchRow, contract: opentrain.Contract, planned: dict) -> list[str]:
    warnings = []
    spent = sum((m.amount_usd or Decimal(0) for m in contract.milestones), Decimal(0))
    before = planned.get(contract.id, Decimal(0))
    planned[contract.id] = before + (row.cost or 0)
    total = contract.estimated_total_usd
    if total is not None and row.cost is not None and spent + before + row.cost > total:
        warnings.append(
            f"With this row the contract's milestones come to ${spent + before + row.cost:,}, "
            f"over its estimated total of ${total:,}."
        )
    due = row.fields.get("due_date")
    if due and date.fromisoformat(due) < date.today():
        warnings.append(f"The due date {due} is already past.")
    return warnings
