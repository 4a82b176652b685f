from django.shortcuts import render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from dashboard import access, filters
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
    context["active_filters"] = filters.active_count(chosen)
    context |= {"query": query.urlencode(), "headers": headers, "editor": editor}
    # The context processor's `blocks` would read the mirror account a second time.
    context["blocks"] = access.blocks_for(account)
    context["count_cap"] = f"{filters.COUNT_CAP:,}"
    return render(request, template_name, context)
