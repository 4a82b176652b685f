from django.core.paginator import Paginator
from django.db.models import F
from django.shortcuts import render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from dashboard import filters
from dashboard.mirror.models import Contract
from dashboard.mirror.reading import account_for_request


@require_GET
@vary_on_headers("HX-Request")
def contract_list(request):
    form = filters.ContractFilterForm(request.GET)
    chosen = form.values()
    account = account_for_request(request)
    rows = filters.apply(Contract.objects.for_account(account), **chosen)
    rows = rows.order_by(F("upstream_created_at").desc(nulls_last=True), "contract_id")
    page = Paginator(rows, filters.PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = page.object_list.results()  # only this page's rows become contracts

    query = request.GET.copy()
    query.pop("page", None)
    template_name = "dashboard/contract_list.html"
    if request.htmx and not request.htmx.boosted:
        template_name += "#results"
    context = {"form": form, "page": page, "mirror": account, "filters": chosen}
    return render(request, template_name, {**context, "query": query.urlencode()})
