"""The contracts list's filters: a plain GET form, validated like any other form."""

from django import forms

from dashboard.opentrain.vocabulary import CONTRACT_STATUSES, PAYMENT_TYPES

STATUS_CHOICES = [("all", "All"), *CONTRACT_STATUSES.items()]
MODEL_CHOICES = [("", "Any payment model"), *PAYMENT_TYPES.items()]
PAGE_SIZE = 25


class ContractFilterForm(forms.Form):
    status = forms.ChoiceField(
        choices=STATUS_CHOICES,
        required=False,
        label="Status",
        error_messages={"invalid_choice": "“%(value)s” is not a known status: showing all."},
    )
    payment_type = forms.ChoiceField(
        choices=MODEL_CHOICES,
        required=False,
        label="Payment model",
        error_messages={"invalid_choice": "“%(value)s” is not a known payment model: showing any."},
    )
    q = forms.CharField(required=False, max_length=200, strip=True, label="Search")

    def values(self) -> dict:
        """The filters to apply; a value that did not validate falls back to its default (and
        the form's error next to that filter says so)."""
        self.is_valid()
        data = self.cleaned_data
        return {
            "status": data.get("status") or "all",
            "payment_type": data.get("payment_type") or "",
            "q": data.get("q") or "",
        }


def apply(rows, *, status: str, payment_type: str, q: str):
    """The mirror's contracts (a queryset) narrowed to the filters, in SQL."""
    if status != "all":
        rows = rows.filter(status=status)
    if payment_type:
        rows = rows.filter(payment_type=payment_type)
    if q:
        # `search_text` is stored case-folded: fold the needle the same way.
        rows = rows.filter(search_text__contains=q.casefold())
    return rows
