from django.shortcuts import render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from dashboard import access, filters, words
from dashboard.inbox.items import url
from dashboard.mirror import attention
from dashboard.mirror.models import Contract
from dashboard.mirror.reading import account_for_request

HEADERS = [  # the table's columns in order: (label, the sort column its header links to)
    ("Contract", "title"),
    ("Rate", "rate"),
    ("Status", None),
    ("Milestones", None),
    ("Budget", "budget"),
    ("Needs attention", "attention"),
    ("Last activity", "activity"),
]


@require_GET
@vary_on_headers("HX-Request")
def contract_list(request):
    form = filters.ContractFilterForm(request.GET)
    chosen = form.values()
    account = account_for_request(request)
    contracts = Contract.objects.for_account(account)
    attention.refresh(contracts, due=account is not None and account.attention_due)
    rows = filters.apply(contracts, **chosen)
    page = filters.page_rows(rows, filters.PAGE_SIZE, request.GET.get("page"))
    editor = request.user.has_perm("dashboard.make_changes")

    query = request.GET.copy()
    query.pop("page", None)
    sorts = filters.header_sorts(chosen["sort"])
    headers = []
    for label, column in HEADERS:
        header = {"label": label}
        if column:
            query["sort"], header["aria_sort"] = sorts[column]
            header["query"] = query.urlencode()
        headers.append(header)
    query["sort"] = chosen["sort"]
    if chosen["sort"] == filters.DEFAULT_SORT:
        del query["sort"]
    template_name = "dashboard/contract_list.html"
    if request.htmx and not request.htmx.boosted:
        template_name += "#results"
    context = {"form": form, "page": page, "mirror": account, "filters": chosen}
    context |= {"query": query.urlencode(), "headers": headers, "editor": editor}
    context["rows"] = _rows(page.object_list, editor)
    # The context processor's `blocks` would read the mirror account a second time.
    context["blocks"] = access.blocks_for(account)
    context["count_cap"] = f"{filters.COUNT_CAP:,}"
    return render(request, template_name, context)


def _rows(contracts, editor: bool) -> list[dict]:
    """What each row shows, worked out here once: 25 rows of template filters, URL reversals and
    includes were half of the list's time."""
    rows = []
    for contract in contracts:
        active = contract.is_active
        link = url("contract_detail", contract.contract_id)
        fraction = contract.consumed_fraction
        shows_use = fraction is not None and words.unit(contract.payment_type)
        rate_usd = contract.rate_usd
        if rate_usd is not None:  # the column keeps 4 places: $0.07, not $0.0700
            contract.rate_usd = rate_usd.normalize()
        rows.append(
            {
                "id": contract.contract_id,
                "title": contract.title,
                "detail_url": link,
                "new_url": url("milestone_create", contract.contract_id)
                if editor and active
                else None,
                "pickable": bool(editor and active and link),
                "freelancer": (contract.freelancer_name or "—")
                + (f" · {contract.freelancer_country}" if contract.freelancer_country else ""),
                "rate": words.rate(contract),
                "payment_model": words.payment_model(contract.payment_type),
                "status_css": words.css_token(contract.status),
                "status": words.contract_status(contract.status),
                "milestone_count": contract.milestone_count,
                "latest": contract.latest_milestone_status
                and words.milestone_status(contract.latest_milestone_status),
                "has_budget": contract.has_budget,
                "budget_css": words.css_token(contract.budget_state),
                "budget_state": contract.budget_state or "Unknown",
                "fraction": str(fraction) if shows_use else None,
                "percent": str(round(float(fraction) * 100)) if shows_use else None,
                "left": None
                if contract.remaining_usd is None
                else words.money(contract.remaining_usd),
                "badges": attention.badges(contract.attention_score),
                "activity_attr": words.datetime_attr(contract.last_activity_at),
                "activity_day": words.day(contract.last_activity_at),
            }
        )
    return rows
