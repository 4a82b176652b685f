"""The spend page's filters: a plain GET form, as the contract list's, whose values become
`spend.Filters`. A value that does not validate falls back to its default, and the error next to
its field says so."""

from django import forms

from dashboard import spend
from dashboard.filters import KindFilterForm
from dashboard.opentrain.vocabulary import CONTRACT_STATUSES

STATUS_CHOICES = [("", "Active and ended"), *CONTRACT_STATUSES.items()]
# `<input type="month">` sends 2026-06; browsers without it let a person type the same.
MONTH_FORMATS = ["%Y-%m"]
FIRST_YEAR, LAST_YEAR = 2000, 2100


class MonthField(forms.DateField):
    """A month as the first day of it, typed as 2026-06."""

    def __init__(self, **kwargs):
        super().__init__(
            input_formats=MONTH_FORMATS,
            required=False,
            error_messages={"invalid": "Write a month as year and month, like 2026-06."},
            **kwargs,
        )

    def validate(self, value):
        super().validate(value)
        if value is not None and not FIRST_YEAR <= value.year <= LAST_YEAR:
            raise forms.ValidationError(
                f"Choose a month between {FIRST_YEAR} and {LAST_YEAR}.", code="out_of_range"
            )


class SpendFilterForm(KindFilterForm):
    """The list's status and payment model (both contract statuses by default), and months."""

    field_order = ["payment_type", "status", "start", "end"]
    status = forms.ChoiceField(
        choices=STATUS_CHOICES,
        required=False,
        label="Status",
        error_messages=KindFilterForm.base_fields["status"].error_messages,
    )
    start = MonthField(label="From month")
    end = MonthField(label="To month")

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            self.add_error("end", f"The last month cannot come before the first ({start:%Y-%m}).")
        return data

    def filters(self) -> spend.Filters:
        self.is_valid()
        data = self.cleaned_data
        return spend.Filters(
            payment_type=data.get("payment_type") or "",
            status=data.get("status") or "",
            start=data.get("start"),
            end=data.get("end"),
        )

    def active_count(self) -> int:
        """How many filters narrow the page: "Filters (2)"."""
        chosen = self.filters()
        return sum(bool(v) for v in (chosen.payment_type, chosen.status, chosen.start, chosen.end))
