from django.shortcuts import render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from dashboard import filters
from dashboard.mirror import attention
from dashboard.mirror.models import Contract
from dashboard.mirror.reading import account_for_request


@require_GET
@vary_on_headers("HX-Request")
def contract_list(request):
    form = filters.ContractFilterForm(request.GET)
    chosen = form.values()
    account = account_for_request(request)
    rows = filters.apply(Contract.objects.for_account(account), **chosen)
    page = filters.page_rows(rows, filters.PAGE_SIZE, request.GET.get("page"))
    for row in page.object_list:
        row.badges = attention.badges(row.attention)
        if row.rate_usd is not None:  # the column keeps 4 places: $0.07, not $0.0700
            row.rate_usd = row.rate_usd.normalize()

    query = request.GET.copy()
    query.pop("page", None)
    headers = {}
    for column, (sort, aria_sort) in filters.header_sorts(chosen["sort"]).items():
        query["sort"] = sort
        headers[column] = {"query": query.urlencode(), "aria_sort": aria_sort}
    query["sort"] = chosen["sort"]
    if chosen["sort"] == filters.DEFAULT_SORT:
        del query["sort"]
    template_name = "dashboard/contract_list.html"
    if request.htmx and not request.htmx.boosted:
        template_name += "#results"
    context = {"form": form, "page": page, "mirror": account, "filters": chosen}
    context |= {"query": query.urlencode(), "headers": headers}
    context["count_cap"] = f"{filters.COUNT_CAP:,}"
    return render(request, template_name, context)
