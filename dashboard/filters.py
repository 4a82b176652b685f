"""The contracts list's filters: a plain GET form, validated like any other form."""

from django import forms

from dashboard.opentrain.vocabulary import CONTRACT_STATUSES, PAYMENT_TYPES

STATUS_CHOICES = [("all", "All"), *CONTRACT_STATUSES.items()]
MODEL_CHOICES = [("", "Any payment model"), *PAYMENT_TYPES.items()]
PAGE_SIZE = 25


class ContractFilterForm(forms.Form):
    status = forms.ChoiceField(choices=STATUS_CHOICES, required=False, label="Status")
    payment_type = forms.ChoiceField(choices=MODEL_CHOICES, required=False, label="Payment model")
    q = forms.CharField(required=False, max_length=200, strip=True, label="Search")

    def values(self) -> dict:
        """The filters to apply; a value that did not validate falls back to its default."""
        data = self.cleaned_data if self.is_valid() else {}
        return {
            "status": data.get("status") or "all",
            "payment_type": data.get("payment_type") or "",
            "q": data.get("q") or "",
        }


def apply(contracts, *, status: str, payment_type: str, q: str):
    needle = q.casefold()
    result = []
    for contract in contracts:
        if status != "all" and contract.status != status:
            continue
        if payment_type and contract.payment_type != payment_type:
            continue
        if (
            needle
            and needle
            not in (
                f"{contract.title} {contract.freelancer.display_name} {contract.freelancer.country}"
            ).casefold()
        ):
            continue
        result.append(contract)
    return result
