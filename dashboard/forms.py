"""The milestone forms: one per payment model, picked by the contract's `paymentType`.

They apply the API's own rules before anything is sent, so invalid input never reaches OpenTrain.
Numbers are parsed as `Decimal` from plain digits only: no exponents, NaN or Infinity.
"""

import re
import uuid
from datetime import date, timedelta
from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.text import Truncator

from dashboard.opentrain.vocabulary import milestone_cost
from dashboard.words import day, money

# Sane upper bounds for one milestone; larger values are almost certainly typos.
MAX_AMOUNT_USD = Decimal("1000000")
MAX_HOURS = Decimal("100000")
MAX_LABELS = Decimal("10000000")
# An error message repeats at most this much of what was typed.
QUOTED_CHARS = 100
EARLIEST_DUE = date(2000, 1, 1)
LATEST_DUE = date(2100, 12, 31)

# Plain digits, optionally grouped by thousands ("5,000"), optionally with a decimal part.
# app.js reads this same pattern from the field's `data-pattern` for the live cost preview.
NUMBER_PATTERN = r"(\d{1,3}(,\d{3})+|\d+)(\.\d+)?|\.\d+"
_NUMBER = re.compile(NUMBER_PATTERN)
# The earliest "today" anywhere (UTC-12): a due date of the PM's today is never refused,
# whatever their time zone, and yesterday is refused everywhere a day later at the latest.
EARLIEST_OFFSET = timedelta(hours=12)


def earliest_today() -> date:
    return (timezone.now() - EARLIEST_OFFSET).date()


class DateInput(forms.DateInput):
    """`<input type="date">` that never echoes an impossible date (`2026-13-45`): HTML forbids
    it as the value, and the field's error already says what is wrong."""

    input_type = "date"

    def format_value(self, value):
        if isinstance(value, str):
            try:
                date.fromisoformat(value)
            except ValueError:
                return None
        return super().format_value(value)


class DateField(forms.DateField):
    """A date field whose error repeats what was typed, since the input cannot show it again."""

    def to_python(self, value):
        try:
            return super().to_python(value)
        except forms.ValidationError as error:
            if error.code != "invalid":
                raise
            typed = Truncator(value.strip()).chars(QUOTED_CHARS)
            message = f"{self.error_messages['invalid']} You typed “{typed}”."
            raise forms.ValidationError(message, code="invalid") from None


class PositiveDecimalField(forms.Field):
    """A positive number with at most `places` decimals and at most `maximum`."""

    widget = forms.TextInput

    def __init__(self, *, places: int, maximum: Decimal, noun: str, **kwargs):
        self.places = places
        self.maximum = maximum
        self.noun = noun
        super().__init__(**kwargs)

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.update(
            {
                "inputmode": "decimal" if self.places else "numeric",
                "autocomplete": "off",
                "maxlength": "20",
                # The rules `to_python` and `validate` apply, for the live cost preview.
                "data-pattern": NUMBER_PATTERN,
                "data-places": str(self.places),
                "data-max": format(self.maximum, "f"),
            }
        )
        return attrs

    def to_python(self, value):
        text = str(value or "").strip()
        if text.startswith("$") and self.noun == "amount":
            text = text[1:].strip()
        if not text:
            return None
        if text.startswith("-"):
            raise forms.ValidationError(f"Enter {self._an()} greater than zero.", code="positive")
        if len(text) > 20:
            raise forms.ValidationError(self._too_large(), code="max_value")
        if not _NUMBER.fullmatch(text):
            example = "5000" if self.places == 0 else "1250 or 12.50"
            raise forms.ValidationError(
                f"Enter {self._an()} as plain digits, such as {example}.", code="invalid"
            )
        return Decimal(text.replace(",", ""))

    def validate(self, value):
        super().validate(value)
        if value is None:
            return
        if value <= 0:
            raise forms.ValidationError(f"Enter {self._an()} greater than zero.", code="positive")
        if value != value.quantize(Decimal(1).scaleb(-self.places)):
            if self.places == 0:
                message = f"Enter a whole number of {self.noun}."
            else:
                message = f"Use at most {self.places} decimal places."
            raise forms.ValidationError(message, code="decimal_places")
        if value > self.maximum:
            raise forms.ValidationError(self._too_large(), code="max_value")

    def _an(self) -> str:
        return "an amount" if self.noun == "amount" else f"a number of {self.noun}"

    def _too_large(self) -> str:
        limit = money(self.maximum) if self.noun == "amount" else f"{self.maximum:,} {self.noun}"
        return (
            f"That is more than the dashboard accepts for one milestone ({limit}). "
            "Split the work into smaller milestones."
        )


class MilestoneForm(forms.Form):
    """The fields every payment model shares. Subclasses add `amount_usd` or `volume`."""

    payment_type = ""
    money_field = ""

    name = forms.CharField(
        label="Name",
        required=False,
        max_length=200,
        help_text="Optional. A short name, such as “Second labeling batch”.",
    )
    description = forms.CharField(
        label="Description",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What the AI trainer delivers for this milestone.",
        error_messages={"required": "Describe the work to deliver."},
    )
    due_date = DateField(
        label="Due date",
        required=False,
        input_formats=["%Y-%m-%d"],
        widget=DateInput(format="%Y-%m-%d"),
        help_text="Optional.",
        error_messages={"invalid": "Enter a real date, such as 2026-07-15."},
    )
    # Shown only once the milestone would take the contract over its estimated total.
    confirm_over_total = forms.BooleanField(
        label="Create it anyway, over the estimated total", required=False
    )
    # One per rendered form: the database admits one submission per key, so a double click or
    # a browser resubmit cannot create a second milestone.
    submission_key = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)

    def __init__(
        self,
        *args,
        rate: Decimal | None = None,
        commitment=None,
        refuse_before: date | None = None,
        **kwargs,
    ):
        """`commitment` (`form_contracts.Commitment`) turns on the over-total warning;
        `refuse_before` refuses due dates before that day (the single form passes both; a
        batch row warns instead)."""
        self.rate = rate
        self.commitment = commitment
        self.refuse_before = refuse_before
        self.over_total = ""
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        if refuse_before is not None:
            self.fields["due_date"].widget.attrs["min"] = refuse_before.isoformat()

    @property
    def money(self):
        """The payment model's own field (`amount_usd` or `volume`), for the template."""
        return self[self.money_field] if self.money_field else None

    def clean_due_date(self):
        due = self.cleaned_data.get("due_date")
        if due is not None and not EARLIEST_DUE <= due <= LATEST_DUE:
            raise forms.ValidationError("Enter a due date between the years 2000 and 2100.")
        if due is not None and self.refuse_before is not None and due < self.refuse_before:
            raise forms.ValidationError(
                f"{day(due)} is in the past. Choose today or a later date, or leave it empty.",
                code="past",
            )
        return due

    def clean(self):
        cleaned = super().clean()
        if self.commitment is not None and not self.errors:
            self.over_total = self.commitment.over_by(self.cost_of(cleaned))
            if self.over_total and not cleaned.get("confirm_over_total"):
                self.add_error(
                    "confirm_over_total",
                    f"{self.over_total} Tick the box to create it anyway, or lower the "
                    f"{'amount' if self.money_field == 'amount_usd' else 'volume'}.",
                )
        return cleaned

    def cost_of(self, cleaned: dict) -> Decimal | None:
        """What the milestone in `cleaned` costs, when the form can tell."""
        return None

    def milestone_fields(self) -> dict:
        """The keyword arguments for `opentrain.create_milestone`, from valid data."""
        data = self.cleaned_data
        due = data.get("due_date")
        return {
            "description": data["description"],
            "name": data.get("name") or None,
            "due_date": due.isoformat() if due else None,
        }

    @property
    def cost(self) -> Decimal | None:
        """What the milestone will cost, when the form can tell (hourly and per-label only)."""
        return None


class FixedPriceMilestoneForm(MilestoneForm):
    payment_type = "FIXED_PRICE"
    money_field = "amount_usd"

    amount_usd = PositiveDecimalField(
        label="Amount (USD)",
        places=2,
        maximum=MAX_AMOUNT_USD,
        noun="amount",
        help_text="In US dollars, at most 2 decimals.",
        error_messages={"required": "Enter the amount for this milestone."},
    )

    def milestone_fields(self) -> dict:
        return {**super().milestone_fields(), "amount_usd": self.cleaned_data["amount_usd"]}

    def cost_of(self, cleaned: dict) -> Decimal | None:
        return cleaned.get("amount_usd")


class _VolumeMilestoneForm(MilestoneForm):
    """Hourly and per-label: the PM enters the volume; OpenTrain computes the amount."""

    money_field = "volume"

    def cost_of(self, cleaned: dict) -> Decimal | None:
        return milestone_cost(self.rate, cleaned.get("volume"))

    def clean(self):
        cost = milestone_cost(self.rate, self.cleaned_data.get("volume"))
        if cost is not None and cost <= 0:
            self.add_error("volume", "At this contract's rate that costs less than one cent.")
        elif cost is not None and cost > MAX_AMOUNT_USD:
            self.add_error(
                "volume",
                f"That would cost {money(cost)}, more than the dashboard accepts for one milestone "
                f"({money(MAX_AMOUNT_USD)}). Split the work into smaller milestones.",
            )
        return super().clean()

    def milestone_fields(self) -> dict:
        # Volume only: OpenTrain computes the amount, so no rounding of ours can disagree with it.
        return {**super().milestone_fields(), "volume": self.cleaned_data["volume"]}

    @property
    def typed_volume(self) -> Decimal | None:
        """The volume as typed so far, when it is a valid one (for the cost preview)."""
        try:
            # value(): what was typed, or the pre-filled volume of an unbound form.
            return self.fields["volume"].clean(self["volume"].value())
        except forms.ValidationError:
            return None

    @property
    def cost(self) -> Decimal | None:
        return milestone_cost(self.rate, self.typed_volume)


class HourlyMilestoneForm(_VolumeMilestoneForm):
    payment_type = "PAY_PER_HOUR"

    volume = PositiveDecimalField(
        label="Hours",
        places=2,
        maximum=MAX_HOURS,
        noun="hours",
        help_text="How many hours this milestone covers, at most 2 decimals.",
        error_messages={"required": "Enter how many hours this milestone covers."},
    )


class PerLabelMilestoneForm(_VolumeMilestoneForm):
    payment_type = "PAY_PER_LABEL"

    volume = PositiveDecimalField(
        label="Labels",
        places=0,
        maximum=MAX_LABELS,
        noun="labels",
        help_text="How many labels this milestone covers, a whole number.",
        error_messages={"required": "Enter how many labels this milestone covers."},
    )


# The API's `paymentType` -> the form for it. The views branch on this and nothing else.
FORMS = {
    "FIXED_PRICE": FixedPriceMilestoneForm,
    "PAY_PER_HOUR": HourlyMilestoneForm,
    "PAY_PER_LABEL": PerLabelMilestoneForm,
}


class ContractChoiceField(forms.ChoiceField):
    """Checks the chosen id against a dict: a swap never builds thousands of options."""

    contracts: dict = {}

    def valid_value(self, value):
        return value in self.contracts


class ContractPickerForm(forms.Form):
    """`/milestones/new/`: which active contract the milestone is for."""

    contract = ContractChoiceField(
        label="Contract",
        error_messages={
            "required": "Choose a contract.",
            "invalid_choice": "Choose one of the active contracts.",
        },
    )

    def __init__(self, *args, contracts=(), **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.contracts = {c.id: c for c in contracts if c.is_active}
        field = self.fields["contract"]
        field.contracts = self.contracts
        # A callable is only evaluated when the select is rendered, not on every swap.
        field.choices = self._choices

    def _choices(self):
        return [("", "Choose a contract…")] + [
            (c.id, f"{c.title} · {c.freelancer.display_name}".rstrip(" ·"))
            for c in self.contracts.values()
        ]

    @property
    def chosen(self):
        if not self.is_valid():
            return None
        return self.contracts.get(self.cleaned_data["contract"])
