import heapq

from django.db.models.functions import Coalesce
from django.http import Http404, StreamingHttpResponse
from django.views.decorators.http import require_GET

from dashboard import exports, filters
from dashboard.mirror.reading import account_for_request
from dashboard.notify.models import Notice

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


# Activity's export lists the notifications too, with whom and what (the page's two extra words).
ACTIVITY_COLUMNS = [*exports.ACTIVITY_COLUMNS, "recipient", "subject"]
NOTICE_ACTIONS = {"digest": "email_digest", "test": "chat_test"}


@require_GET
def activity_export(request, fmt):
    newest_first = {"key": lambda row: row["created_at"], "reverse": True}
    actions = ({"recipient": "", "subject": "", **row} for row in exports.activity())
    rows = heapq.merge(actions, _notices(), **newest_first)
    return _stream(fmt, "activity", ACTIVITY_COLUMNS, rows)


def _notices():
    """The notifications sent or given up, newest first, as Activity lists them: a sent one at its
    sending, a failed one when it was queued."""
    done = Notice.objects.filter(state__in=[Notice.State.SENT, Notice.State.FAILED])
    done = done.select_related("alert", "channel").annotate(at=Coalesce("sent_at", "created_at"))
    for notice in done.order_by("-at", "-id").iterator(chunk_size=exports.CHUNK):
        urgent = "chat_message" if notice.channel_id else "email"
        yield dict.fromkeys(exports.ACTIVITY_COLUMNS, None) | {
            "key": f"notice-{notice.pk}",
            "created_at": notice.at,
            "user": "",
            "action": NOTICE_ACTIONS.get(notice.kind, urgent),
            "contract_id": notice.contract_id,
            "contract_title": notice.alert.contract_title if notice.alert else "",
            "payment_type": "",
            "state": notice.state,
            "milestone_id": "",
            "approval_id": "",
            "retry_of": "",
            "error_code": "",
            "error_message": notice.error if notice.state == Notice.State.FAILED else "",
            "request_id": "",
            "recipient": notice.recipient,
            "subject": notice.subject,
        }


def _stream(fmt, name, columns, rows):
    if fmt not in CONTENT_TYPES:
        raise Http404("Exports are CSV or JSON.")
    chunks = exports.as_csv(columns, rows) if fmt == "csv" else exports.as_json(rows)
    response = StreamingHttpResponse(chunks, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response
