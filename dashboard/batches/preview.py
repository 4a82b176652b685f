"""From a CSV (or a spreadsheet) to a batch's preview: each row checked against the mirror's
contract with the same form as a single milestone, edited there until it passes. No HTTP here:
nothing reaches OpenTrain until the PM confirms.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django import forms
from django.utils.text import Truncator

from dashboard import opentrain
from dashboard.batches import spreadsheets
from dashboard.batches.models import Batch, BatchRow
from dashboard.batches.prefill import COLUMNS, contracts_by_id
from dashboard.batches.progress import progress
from dashboard.form_contracts import Commitment
from dashboard.forms import FORMS, QUOTED_CHARS, earliest_today
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


class ConfirmForm(forms.Form):
    """The "Confirm and send" form: refused while a row's edit is still open (what was typed
    there would not be sent), and, while rows go over their contracts' estimated totals
    unconfirmed, until the box under their list is ticked. The list comes back with the tick, so
    a row that went over after the page was shown is never confirmed unseen."""

    confirm_over_total = forms.BooleanField(
        label="Send them anyway, over the estimated totals", required=False
    )
    over_total_lines = forms.CharField(required=False, max_length=10_000)

    def __init__(self, batch: Batch, *args, **kwargs):
        self.batch = batch
        super().__init__(*args, **kwargs)

    @property
    def open_rows(self) -> list[BatchRow]:
        """The rows whose edit form was open on the page (each carries an `open_edit` field)."""
        opened = self.data.getlist("open_edit") if hasattr(self.data, "getlist") else []
        ids = [v for v in opened[:MAX_ROWS] if v.isascii() and v.isdigit() and len(v) < 10]
        return list(self.batch.rows.filter(pk__in=ids, dropped=False).order_by("position"))

    def clean(self):
        cleaned = super().clean()
        for row in self.open_rows:
            self.add_error(
                None,
                f"{row.line} is still open: save it or cancel it, then confirm. Nothing was sent.",
            )
        over = progress(self.batch).over_total_lines
        if not over or self.errors:
            return cleaned
        if not cleaned.get("confirm_over_total"):
            self.add_error(
                "confirm_over_total",
                "Tick the box to send them anyway, or lower, fix or drop those lines.",
            )
        elif cleaned.get("over_total_lines") != over:
            self.add_error(
                "confirm_over_total",
                "The lines over their estimated totals changed since the page was shown: "
                "check the list, then tick the box again.",
            )
        return cleaned


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
    earlier = Earlier()
    checked = []
    for line, typed in enumerate(rows, start=2):
        unreadable = typed.get(spreadsheets.UNREADABLE)
        typed = {c: (typed.get(c) or "").strip() for c in COLUMNS}
        if unreadable:
            typed[spreadsheets.UNREADABLE] = unreadable
        row = BatchRow(position=line, typed=typed)
        check_row(row, contracts.get(typed["contract_id"]), earlier)
        checked.append(row)
    return checked


def edit_row(account: Account | None, row: BatchRow, data) -> dict[str, list[str]]:
    """Save what the PM typed into a row of the preview and check the batch again (costs and
    warnings depend on the other rows); returns the row's errors by field, "row" for the row's own.

    What was typed is kept even when it is refused, so nothing is lost and the preview says why.
    """
    edited = {c: spreadsheets.capped(c, (data.get(c) or "").strip()) for c in EDITABLE}
    edited[CONFIRM] = "on" if data.get(CONFIRM) else ""
    row.typed = {**row.typed, **edited}
    row.save(update_fields=["typed"])
    return recheck(account, row.batch)[row.pk]


def recheck(account: Account | None, batch: Batch) -> dict[int, dict[str, list[str]]]:
    """Check every row of the batch again in one pass: one mirror query, one bulk update."""
    rows = list(batch.rows.order_by("position"))
    contracts = _contracts(account, [r.typed for r in rows])
    earlier = Earlier()
    by_row = {}
    for row in rows:
        row.fields, row.cost = {}, None
        by_row[row.pk] = check_row(row, contracts.get(row.typed.get("contract_id", "")), earlier)
    fields = [
        "contract_id",
        "contract_title",
        "payment_type",
        "fields",
        "cost",
        "errors",
        "warnings",
        "over_total",
    ]
    BatchRow.objects.bulk_update(rows, fields)
    return by_row


def field_errors(account: Account | None, row: BatchRow) -> dict[str, list[str]]:
    """The row's errors by field, for its edit form (nothing saved)."""
    contract = _contracts(account, [row.typed]).get(row.typed.get("contract_id", ""))
    return check_row(row, contract, Earlier())


EDITABLE = ["name", "description", "amount_usd", "volume", "due_date"]
# The row's own "Create it anyway, over the estimated total", as the single form names it.
CONFIRM = "confirm_over_total"


@dataclass
class Earlier:
    """What the rows above a row hold: their cost per contract (a row goes over the estimated
    total with them), and their milestones with the line of each (a row may repeat one)."""

    costs: dict[str, Decimal] = field(default_factory=dict)
    lines: dict[tuple, int] = field(default_factory=dict)

    def commitment(self, contract: opentrain.Contract) -> Commitment:
        """The contract's milestones and the rows above, against its estimated total."""
        on_contract = Commitment.of(contract)
        planned = self.costs.get(contract.id, Decimal(0))
        return Commitment(on_contract.estimated_total, on_contract.committed + planned)

    def add(self, row: BatchRow) -> str:
        """Count the row in; the warning when it repeats a row above, else ""."""
        cost = row.cost or Decimal(0)
        self.costs[row.contract_id] = self.costs.get(row.contract_id, Decimal(0)) + cost
        same = (row.contract_id, *sorted(row.fields.items()))
        repeated = self.lines.setdefault(same, row.position)
        if repeated == row.position:
            return ""
        return f"Repeats line {repeated} above: the same milestone on the same contract."


def _contracts(account: Account | None, rows: list[dict]) -> dict[str, opentrain.Contract]:
    return contracts_by_id(account, ((r.get("contract_id") or "").strip() for r in rows))


def check_row(
    row: BatchRow, contract: opentrain.Contract | None, earlier: Earlier
) -> dict[str, list[str]]:
    """Fill in the row's contract, fields, cost, errors and warnings, all in words, with the
    single form's checks (a due date in the past refused, going over the estimated total to be
    confirmed); returns the errors by field ("row" for those about the row as a whole)."""
    typed = row.typed
    row.contract_id = typed["contract_id"]
    row.errors, row.warnings, row.over_total = [], [], ""
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
    form = form_class(
        _form_data(typed, row.key),
        rate=contract.rate_usd,
        commitment=earlier.commitment(contract),
        refuse_before=earliest_today(),
    )
    # Over the estimated total without the row's own tick: confirmed for the batch, not refused.
    over_only = not form.is_valid() and list(form.errors) == [CONFIRM]
    if not form.is_valid() and not over_only:
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
    if over_only:
        row.over_total = form.over_total
    elif form.over_total:
        row.warnings.append(f"{form.over_total} It will be sent anyway: confirmed for this line.")
    repeated = earlier.add(row)
    if repeated:
        row.warnings.append(repeated)
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
