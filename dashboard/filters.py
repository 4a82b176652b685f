"""The contracts list's filters and sorts: a plain GET form, validated like any other form, and
the paging that keeps a 50,000-contract list fast."""

from functools import cached_property

from django import forms
from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db.models import F, IntegerField, Subquery

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
# What each row shows: the list never reads a contract's stored JSON.
LIST_COLUMNS = (
    "contract_id",
    "title",
    "status",
    "payment_type",
    "rate_usd",
    "freelancer_name",
    "freelancer_country",
    "has_budget",
    "budget_state",
    "consumed_fraction",
    "remaining_usd",
    "last_activity_at",
    "milestone_count",
    "latest_milestone_status",
    "attention_score",
)


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
    """One page of the sorted rows, with how many there are, in one statement (`_read_page`).

    A page past the end, or a number that is no number, finds no rows: Django's paginator then
    picks the page to show, as it always did, and that page is read the same way."""
    paginator = ListPaginator(rows.values_list("pk", flat=True), page_size)
    wanted = _page_number(number)
    page = _read_page(rows, paginator, wanted) if wanted is not None else None
    if page is None:
        wanted = paginator.get_page(number).number
        page = _read_page(rows, paginator, wanted) or Page([], wanted, paginator)
    return page


def _read_page(rows, paginator: "ListPaginator", number: int) -> Page | None:
    """Page `number` (None when it has no rows): the page's IDs in a subquery (an index can often
    answer that alone, the attention score's among them), those rows' list columns around it,
    and the capped count as a column of each row."""
    size = paginator.per_page
    # One row beyond the page: past the count cap it tells whether there is a next page.
    ids = paginator.object_list[(number - 1) * size : number * size + 1]
    found = list(
        rows.model.objects.filter(pk__in=ids)
        .only(*LIST_COLUMNS)
        .annotate(listed=paginator.count_column())
        .order_by(*rows.query.order_by)
    )
    if not found:
        return None
    paginator.count = found[0].listed
    if not paginator.counted:  # the pages known so far: this one, and the next if any
        paginator.num_pages = number + (len(found) > size)
    return Page(found[:size], number, paginator)


def _page_number(number) -> int | None:
    """The page asked for, when it is a whole number from 1 to MAX_PAGE."""
    try:
        number = int(number or 1)
    except (TypeError, ValueError):
        return None
    return number if 1 <= number <= MAX_PAGE else None


class ListPaginator(Paginator):
    """Counts at most COUNT_CAP + 1 rows (a count of every row grows with the account). Past the
    cap the last page is not known: each page looks one row ahead to know whether there is a next.
    """

    @cached_property
    def count(self):
        return self.object_list.order_by()[: COUNT_CAP + 1].count()

    def count_column(self) -> Subquery:
        """`count` as a column another statement can carry: PostgreSQL and SQLite work out a
        subquery that names no outer row once per statement, not once per row."""
        return Subquery(
            self.object_list.order_by()[: COUNT_CAP + 1],
            template="(SELECT COUNT(*) FROM (%(subquery)s) listed)",
            output_field=IntegerField(),
        )

    @property
    def counted(self) -> bool:
        """Whether `count` is the exact number of rows."""
        return self.count <= COUNT_CAP

    def validate_number(self, number):
        if self.counted:
            return super().validate_number(number)
        try:
            number = int(number)
        except (TypeError, ValueError) as exc:
            raise PageNotAnInteger("That page number is not an integer") from exc
        if number < 1:
            raise EmptyPage("That page number is less than 1")
        if number > MAX_PAGE:
            raise EmptyPage("That page number is past any list's end")
        return number

    def page(self, number):
        if self.counted:
            return super().page(number)
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom : bottom + self.per_page + 1])
        if not rows and number > 1:
            return self.page(1)
        # The pages known so far: this one, and the next when a row was found beyond it.
        self.num_pages = number + (len(rows) > self.per_page)
        return Page(rows[: self.per_page], number, self)


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
