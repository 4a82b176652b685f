"""The contracts list's filters and sorts: a plain GET form, validated like any other form, and
the paging that keeps a 50,000-contract list fast."""

from functools import cached_property

from django import forms
from django.core.paginator import Paginator
from django.db.models import F

from dashboard.opentrain.vocabulary import CONTRACT_STATUSES, PAYMENT_TYPES

STATUS_CHOICES = [("all", "All"), *CONTRACT_STATUSES.items()]
MODEL_CHOICES = [("", "Any payment model"), *PAYMENT_TYPES.items()]
PAGE_SIZE = 25
COUNT_CAP = 1000  # past this the list says "more than 1,000" instead of counting every row
# Past any account's end (25 billion contracts), and a row offset the databases' integers hold.
MAX_PAGE = 10**9

# A sort: its words, the column it sorts (a header of the table) and its direction.
SORTS = {
    "newest": ("Newest first", "created", "descending"),
    "attention": ("Needs attention first", "attention", "descending"),
    "budget": ("Least budget left first", "budget", "ascending"),
    "-budget": ("Most budget left first", "budget", "descending"),
    "-activity": ("Latest activity first", "activity", "descending"),
    "activity": ("Oldest activity first", "activity", "ascending"),
    "title": ("Title, A to Z", "title", "ascending"),
    "-title": ("Title, Z to A", "title", "descending"),
    "-rate": ("Highest rate first", "rate", "descending"),
    "rate": ("Lowest rate first", "rate", "ascending"),
}
DEFAULT_SORT = "newest"
SORTED_BY = {
    "created": "upstream_created_at",
    "attention": "attention_score",
    "budget": "remaining_usd",
    "activity": "last_activity_at",
    "title": "title",
    "rate": "rate_usd",
}
NULLABLE = {"created", "budget", "activity", "rate"}


class KindFilterForm(forms.Form):
    """Which contracts: their status and payment model (the list's and the spend page's)."""

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


class ContractFilterForm(KindFilterForm):
    attention = forms.BooleanField(required=False, label="Needs attention only")
    q = forms.CharField(required=False, max_length=200, strip=True, label="Search")
    sort = forms.ChoiceField(
        choices=[(key, words) for key, (words, _, _) in SORTS.items()],
        required=False,
        label="Sort",
        error_messages={
            "invalid_choice": "“%(value)s” is not a known order: showing the newest first."
        },
    )

    def values(self) -> dict:
        """The filters to apply; a value that did not validate falls back to its default (and
        the form's error next to that filter says so)."""
        self.is_valid()
        data = self.cleaned_data
        return {
            "status": data.get("status") or "all",
            "payment_type": data.get("payment_type") or "",
            "attention": bool(data.get("attention")),
            "q": data.get("q") or "",
            "sort": data.get("sort") or DEFAULT_SORT,
        }


def active_count(chosen: dict) -> int:
    """How many of the chosen filters narrow the list (the sort does not): "Filters (2)"."""
    return sum(
        [
            chosen["status"] != "all",
            bool(chosen["payment_type"]),
            chosen["attention"],
            bool(chosen["q"]),
        ]
    )


def apply(rows, *, status: str, payment_type: str, attention: bool, q: str, sort: str):
    """The mirror's contracts (a queryset) narrowed to the filters and sorted, in SQL (the
    attention scores brought up to now first: `attention.refresh`)."""
    if status != "all":
        rows = rows.filter(status=status)
    if payment_type:
        rows = rows.filter(payment_type=payment_type)
    if attention:
        rows = rows.filter(attention_score__gt=0)
    if q:
        # `search_text` is stored case-folded: fold the needle the same way.
        rows = rows.filter(search_text__contains=q.casefold())
    _, column, direction = SORTS[sort]
    # Ties go by ID, in the same direction: one index then serves the whole order.
    return rows.order_by(_order(column, direction), "-pk" if direction == "descending" else "pk")


def _order(column: str, direction: str = "descending"):
    """A column's order, rows without a value last. Only nullable columns say NULLS LAST: an
    index (PostgreSQL's plain ones) serves a plain order of a column that is never NULL."""
    key = F(SORTED_BY[column])
    nulls_last = True if column in NULLABLE else None
    return (
        key.desc(nulls_last=nulls_last)
        if direction == "descending"
        else key.asc(nulls_last=nulls_last)
    )


def page_rows(rows, page_size: int, number):
    """One page of the sorted rows. A page past the end shows the last page, and a number that is
    no number the first, as Django's `get_page` does; past the count cap, the last page is the
    last the count reached (`CappedPaginator`)."""
    # What each row shows (`Contract.LISTED`): the list never reads a contract's stored JSON.
    paginator = CappedPaginator(rows.only(*rows.model.LISTED), page_size)
    try:
        asked = int(number)
    except (TypeError, ValueError):
        asked = 0
    paginator.asked = asked if 1 <= asked <= MAX_PAGE else 0
    return paginator.get_page(number)


class CappedPaginator(Paginator):
    """Counts no further than it must (a count of every row grows with the account): to the end
    of the page that holds row COUNT_CAP + 1 (so that page shows in full), or, for a page asked for
    past that, to the row after it (which tells whether a next page follows)."""

    asked = 0  # the page asked for, when it is a whole number from 1 to MAX_PAGE

    @cached_property
    def count(self):
        past_cap = -(-(COUNT_CAP + 1) // self.per_page) * self.per_page
        reach = max(past_cap, self.asked * self.per_page + 1)
        return self.object_list.order_by()[:reach].count()

    @property
    def counted(self) -> bool:
        """Whether `count` is the exact number of rows (the list then names its last page)."""
        return self.count <= COUNT_CAP


# The sort a column's header links to first; a second click reverses it (where it can be).
FIRST_SORT = {
    "title": "title",
    "rate": "-rate",
    "budget": "budget",
    "attention": "attention",
    "activity": "-activity",
}


def header_sorts(sort: str) -> dict[str, tuple[str, str]]:
    """For each sortable column: the sort its header links to, and its `aria-sort`."""
    _, current, direction = SORTS[sort]
    headers = {}
    for column, first in FIRST_SORT.items():
        if column != current:
            headers[column] = (first, "none")
            continue
        flipped = sort[1:] if sort.startswith("-") else f"-{sort}"
        headers[column] = (flipped if flipped in SORTS else sort, direction)
    return headers
