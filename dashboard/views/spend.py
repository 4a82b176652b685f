import json
from datetime import date
from decimal import ROUND_DOWN, Decimal

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from dashboard import charts, exports, spend, words
from dashboard.mirror.reading import account_for_request
from dashboard.spend_forms import SpendFilterForm

CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json"}
# The CSV is one table: a row's `section` says which of the page's parts it is.
CSV_COLUMNS = [
    "section",
    "name",
    "month",
    "payment_type",
    "funded_usd",
    "paid_usd",
    "value",
    "contract_id",
    "runs_out_on",
    "usd_a_day",
]


@require_GET
@vary_on_headers("HX-Request")
def spend_page(request):
    form = SpendFilterForm(request.GET)
    account = account_for_request(request)
    context = {"form": form, "mirror": account, "active_filters": form.active_count()}
    context["query"] = request.GET.urlencode()
    context["time_zone"] = settings.TIME_ZONE
    context["terms"] = spend.TERMS
    if account is not None and account.synced_at:
        context |= _page_numbers(_numbers(account, form.filters()))
    context["editor"] = request.user.has_perm("dashboard.make_changes")
    template_name = "dashboard/spend.html"
    if request.htmx and not request.htmx.boosted:
        template_name += "#results"
    return render(request, template_name, context)


@require_GET
def spend_export(request, fmt):
    if fmt not in CONTENT_TYPES:
        raise Http404("Exports are CSV or JSON.")
    account = account_for_request(request)
    numbers = _numbers(account, SpendFilterForm(request.GET).filters())
    # A few dozen rows at most (months, not milestones): written whole, not streamed.
    if fmt == "json":
        body = _as_json(numbers)
    else:
        body = "".join(exports.as_csv(CSV_COLUMNS, _csv_rows(numbers)))
    response = HttpResponse(body, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="spend.{fmt}"'
    return response


def _numbers(account, filters: spend.Filters) -> dict:
    """What the page and its exports show, read once."""
    today = spend.today()
    totals = spend.totals(account, filters)
    return {
        "filters": filters,
        "totals": totals,
        "months": spend.months(account, filters, today),
        "burn": spend.burn(account, filters, today, totals.left),
        "runs_out": spend.runs_out(account, filters, timezone.now()),
    }


def _page_numbers(numbers: dict) -> dict:
    """The numbers with the page's words: the chart, its sentence, the burn and days left."""
    months, burn = numbers["months"], numbers["burn"]
    chart = charts.month_bars(
        months.months,
        months.funded,
        months.paid,
        months.payment_types,
        title="Funded and paid per month",
        desc=_months_sentence(months, numbers["filters"]),
        chart_id="spend-months",
    )
    paces = [(days, _pace_words(burn, days)) for days in (7, 30)]
    runs_out = [(row, _days_words(row.days_left)) for row in numbers["runs_out"]]
    return numbers | {"chart": chart, "paces": paces, "runs_out": runs_out}


def _months_sentence(months: spend.Months, filters: spend.Filters) -> str:
    shown = months.months
    if filters.start or filters.end:
        span = f"From {_month(shown[0])} to {_month(shown[-1])}"
    else:
        span = f"Over the last {len(shown)} months"
    funded, paid = months.total("funded"), months.total("paid")
    if not funded and not paid:
        return f"{span}, nothing was funded or paid."
    busiest = max(shown, key=lambda m: (months.total("funded", m) + months.total("paid", m), m))
    return (
        f"{span}, {words.money(funded)} funded and {words.money(paid)} paid; "
        f"most in {_month(busiest)}."
    )


def _pace_words(burn: spend.Burn, days: int) -> str:
    weeks = burn.weeks_left(days)
    if weeks is None:
        return f"Nothing was used in the last {days} days, so there is no pace to reckon from."
    return f"About {weeks} week{'s' if weeks != 1 else ''} left at the last {days} days' pace."


def _days_words(days: Decimal) -> str:
    whole = int(days.to_integral_value(rounding=ROUND_DOWN))
    if whole < 1:
        return "Less than a day"
    return f"{whole} day{'s' if whole != 1 else ''}"


def _month(month: date) -> str:
    return f"{month:%b %Y}"


def _export_parts(numbers: dict) -> dict:
    """The numbers as the exports write them: money to the cent, months as 2026-06."""
    totals, months, burn = numbers["totals"], numbers["months"], numbers["burn"]
    return {
        "totals": {
            "committed_usd": totals.committed,
            "funded_usd": totals.funded,
            "used_usd": totals.used,
            "paid_usd": totals.paid,
            "contracts": totals.contracts,
            "without_rate": totals.without_rate,
            "without_budget": totals.without_budget,
        },
        "months": [
            {
                "month": f"{month:%Y-%m}",
                "payment_type": kind,
                "funded_usd": months.funded.get((month, kind), spend.ZERO),
                "paid_usd": months.paid.get((month, kind), spend.ZERO),
            }
            for month in months.months
            for kind in months.payment_types
            if months.funded.get((month, kind)) or months.paid.get((month, kind))
        ],
        "burn": {
            "used_last_7_days_usd": burn.last_7_days,
            "used_last_30_days_usd": burn.last_30_days,
            "funded_left_usd": burn.left,
            "weeks_left_at_7_days_pace": burn.weeks_left(7),
            "weeks_left_at_30_days_pace": burn.weeks_left(30),
        },
        "runs_out": [
            {
                "contract_id": row.contract.contract_id,
                "title": row.contract.title,
                "days_left": row.days_left.quantize(Decimal("0.1")),
                "runs_out_on": row.on,
                "usd_a_day": row.per_day,
            }
            for row in numbers["runs_out"]
        ],
    }


def _as_json(numbers: dict) -> str:
    parts = _export_parts(numbers)
    filters = numbers["filters"]
    document = {
        "filters": {
            "payment_type": filters.payment_type,
            "status": filters.status,
            "start": f"{filters.start:%Y-%m}" if filters.start else "",
            "end": f"{filters.end:%Y-%m}" if filters.end else "",
        },
        "time_zone": settings.TIME_ZONE,
        "totals": _values(parts["totals"]),
        "months": [_values(row) for row in parts["months"]],
        "burn": _values(parts["burn"]),
        "runs_out": [_values(row) for row in parts["runs_out"]],
    }
    return json.dumps(document, indent=1) + "\n"


def _values(row: dict) -> dict:
    return {key: exports.value(v) for key, v in row.items()}


def _csv_rows(numbers: dict):
    parts = _export_parts(numbers)
    empty = dict.fromkeys(CSV_COLUMNS, None)
    for name, value in (parts["totals"] | parts["burn"]).items():
        section = "totals" if name in parts["totals"] else "burn"
        yield empty | {"section": section, "name": name, "value": value}
    for row in parts["months"]:
        yield empty | {"section": "month", **row}
    for row in parts["runs_out"]:
        yield empty | {
            "section": "runs_out",
            "name": row["title"],
            "value": row["days_left"],
            "contract_id": row["contract_id"],
            "runs_out_on": row["runs_out_on"],
            "usd_a_day": row["usd_a_day"],
        }
