"""From a CSV to a batch's preview: each row checked against the mirror's contract with the same
form as a single milestone. No HTTP here: nothing reaches OpenTrain until the PM confirms.
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

from django import forms

from dashboard import opentrain
from dashboard.batches.models import Batch, BatchRow
from dashboard.forms import FORMS
from dashboard.mirror import reading
from dashboard.mirror.models import Account, Contract

COLUMNS = ["contract_id", "name", "description", "amount_usd", "volume", "due_date"]
MAX_ROWS = 1000
MAX_BYTES = 2 * 1024 * 1024


class UploadForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="Columns: " + ", ".join(COLUMNS) + ". One row per milestone.",
        error_messages={"required": "Choose a CSV file to upload."},
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError("That file is over 2 MB; split it into smaller files.")
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError(
                "That file is not UTF-8 text. Save it from your spreadsheet as “CSV UTF-8”."
            ) from None
        reader = csv.DictReader(io.StringIO(text))
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise forms.ValidationError(
                "The first line must name the columns "
                + ", ".join(COLUMNS)
                + ". Missing: "
                + ", ".join(missing)
                + "."
            )
        rows = [r for r in reader if any((v or "").strip() for v in r.values() if v)]
        if not rows:
            raise forms.ValidationError("That file has no milestone rows under its header.")
        if len(rows) > MAX_ROWS:
            raise forms.ValidationError(f"That file has {len(rows)} rows; at most {MAX_ROWS}.")
        return rows


def create_batch(account: Account, user, source: str, rows: list[dict]) -> Batch:
    """A batch in preview, every row checked; contracts are read from the mirror once."""
    ids = {(r.get("contract_id") or "").strip() for r in rows}
    contracts = {
        row.contract_id: row.as_result()
        for row in Contract.objects.for_account(account).filter(contract_id__in=ids)
    }
    batch = Batch.objects.create(
        account_fingerprint=account.fingerprint, created_by=user, source=source[:200]
    )
    planned: dict[str, Decimal] = {}  # cost of earlier rows, per contract, for the warnings
    checked = []
    for line, typed in enumerate(rows, start=2):
        typed = {c: (typed.get(c) or "").strip() for c in COLUMNS}
        row = BatchRow(batch=batch, position=line, typed=typed)
        check_row(row, contracts.get(typed["contract_id"]), planned)
        checked.append(row)
    BatchRow.objects.bulk_create(checked)
    return batch


def check_row(row: BatchRow, contract: opentrain.Contract | None, planned: dict) -> None:
    """Fill in the row's contract, fields, cost, errors and warnings, all in words."""
    typed = row.typed
    row.contract_id = typed["contract_id"]
    row.errors, row.warnings = [], []
    if contract is None:
        row.errors.append(_no_contract(typed["contract_id"]))
        return
    row.contract_title = contract.title
    row.payment_type = contract.payment_type
    form_class = FORMS.get(contract.payment_type)
    if not contract.is_active:
        row.errors.append(
            f"This contract is {contract.status or 'not active'}: it takes no new milestones."
        )
    if form_class is None:
        row.errors.append("The dashboard does not know this contract's payment model.")
        return
    other = "volume" if form_class.money_field == "amount_usd" else "amount_usd"
    if typed[other]:
        row.errors.append(_wrong_column(form_class, other))
    if form_class.money_field == "volume" and contract.rate_usd is None:
        row.errors.append("This contract has no rate, so OpenTrain cannot price the milestone.")
    form = form_class(_form_data(typed, row.key), rate=contract.rate_usd)
    if not form.is_valid():
        for name, messages in form.errors.items():
            label = form.fields[name].label if name in form.fields else ""
            row.errors += [f"{label}: {m}" if label else m for m in messages]
        return
    fields = form.milestone_fields()
    row.cost = fields.get("amount_usd") or form.cost
    row.fields = {k: (format(v, "f") if isinstance(v, Decimal) else v) for k, v in fields.items()}
    if row.errors:
        return
    row.warnings = _warnings(row, contract, planned)


def _form_data(typed: dict, key) -> dict:
    return {**typed, "submission_key": str(key)}


def _no_contract(contract_id: str) -> str:
    if not contract_id:
        return "No contract_id: say which contract this milestone is for."
    return f"No contract “{contract_id}” on this account (as of the last sync)."


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


def template_rows(account: Account | None):
    """The template CSV: one row per active contract with its last milestone's values."""
    yield COLUMNS
    for contract in reading.active_contracts(account):
        last = contract.latest_milestone
        row = {"contract_id": contract.id}
        if last is not None:
            row["name"] = last.name
            row["description"] = last.description
            if contract.payment_type == "FIXED_PRICE":
                row["amount_usd"] = _plain(last.amount_usd)
            else:
                row["volume"] = _plain(last.volume)
            row["due_date"] = _a_week_later(last.due_date)
        yield [row.get(c, "") for c in COLUMNS]


def _plain(value: Decimal | None) -> str:
    return "" if value is None else format(value.normalize(), "f")


def _a_week_later(due: str) -> str:
    """Next week's batch is due a week after the last one (empty when it had no due date)."""
    try:
        return (date.fromisoformat(due[:10]) + timedelta(days=7)).isoformat()
    except ValueError:
        return ""
