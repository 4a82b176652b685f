from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from dashboard import filters, services
from dashboard.opentrain import OpenTrainError
from dashboard.opentrain.problems import explain


@require_GET
@vary_on_headers("HX-Request")
def contract_list(request):
    form = filters.ContractFilterForm(request.GET)
    chosen = form.values()
    problem = None
    page = None
    try:
        contracts, _ = services.contracts(
            services.token_for(request), refresh=request.GET.get("refresh") == "1"
        )
    except OpenTrainError as exc:
        problem = explain(exc)
    else:
        matching = filters.apply(contracts, **chosen)
        page = Paginator(matching, filters.PAGE_SIZE).get_page(request.GET.get("page"))

    query = request.GET.copy()
    query.pop("page", None)
    query.pop("refresh", None)
    template_name = "dashboard/contract_list.html"
    if request.htmx and not request.htmx.boosted:
        template_name += "#results"
    return render(
        request,
        template_name,
        {
            "form": form,
            "page": page,
            "problem": problem,
            "filters": chosen,
            "query": query.urlencode(),
        },
    )
