from django.http import Http404, StreamingHttpResponse
from django.views.decorators.http import require_GET

from dashboard import exports, filters
from dashboard.mirror.reading import account_for_request

CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json"}


@require_GET
def contracts_export(request, fmt):
    chosen = filters.ContractFilterForm(request.GET).values()
    rows = exports.contracts(account_for_request(request), chosen)
    return _stream(fmt, "contracts", exports.CONTRACT_COLUMNS, rows)


@require_GET
def milestones_export(request, fmt):
    rows = exports.milestones(account_for_request(request))
    return _stream(fmt, "milestones", exports.MILESTONE_COLUMNS, rows)


@require_GET
def activity_export(request, fmt):
    return _stream(fmt, "activity", exports.ACTIVITY_COLUMNS, exports.activity())


def _stream(fmt, name, columns, rows):
    if fmt not in CONTENT_TYPES:
        raise Http404("Exports are CSV or JSON.")
    chunks = exports.as_csv(columns, rows) if fmt == "csv" else exports.as_json(rows)
    response = StreamingHttpResponse(chunks, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response
