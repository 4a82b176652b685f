from datetime import datetime
from typing import NamedTuple

from django.core.paginator import Paginator
from django.db.models import CharField, Value
from django.db.models.functions import Coalesce
from django.shortcuts import render
from django.views.decorators.http import require_GET

from dashboard import approvals
from dashboard import submissions as milestone_submissions
from dashboard.mirror.reading import account_for_request
from dashboard.models import HandoffAttempt, Submission
from dashboard.notify.models import Notice

PAGE_SIZE = 50


class NoticeEntry(NamedTuple):
    """A notification in the list, at the time it is listed under. The notice's own `kind`
    (urgent, digest, test) is not the entry's."""

    notice: Notice
    at: datetime
    kind: str = "notice"


@require_GET
def activity(request):
    # Only the dashboard's own records: this page never calls OpenTrain, and never writes.
    page = Paginator(entries(), PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = _load(page.object_list)
    context = {"page": page, "mirror": account_for_request(request)}
    return render(request, "dashboard/activity.html", context)


def entries():
    """Every action sent from the dashboard, newest first, as (created_at, id, kind) rows: the
    milestones (the submission ledger), the funding, payout and end requests, and the
    notifications that went out or failed."""
    return (
        Submission.objects.entries()
        .union(HandoffAttempt.objects.entries(), _notices(), all=True)
        .order_by("-created_at", "-id")
    )


def _notices():
    """(when, id, "notice") rows: sent ones at their sending, failed ones when they were queued.
    Waiting and cancelled ones were not sent, so they are not activity."""
    done = Notice.objects.filter(state__in=[Notice.State.SENT, Notice.State.FAILED]).order_by()
    # `kind` is a field of Notice; the union takes its column names from the first query.
    return done.annotate(
        at=Coalesce("sent_at", "created_at"), entry=Value("notice", output_field=CharField())
    ).values_list("at", "id", "entry")


def _load(rows) -> list:
    """The page's rows as objects, with their outcome in words and their retry links."""
    rows = list(rows)
    kinds = ("milestone", "handoff", "notice")
    wanted = {kind: [pk for _, pk, k in rows if k == kind] for kind in kinds}
    related = ("user", "retry_of")
    submissions = Submission.objects.select_related(*related).prefetch_related("retries")
    submissions = submissions.in_bulk(wanted["milestone"])
    handoffs = HandoffAttempt.objects.select_related(*related, "submission")
    handoffs = handoffs.prefetch_related("retries")
    handoffs = handoffs.in_bulk(wanted["handoff"])
    notices = Notice.objects.select_related("alert", "channel").in_bulk(wanted["notice"])
    shown = []
    for when, pk, kind in rows:
        if kind == "notice":
            shown.append(NoticeEntry(notices[pk], when))
            continue
        if kind == "milestone":
            entry = submissions[pk].as_shown()
            problem = milestone_submissions.problem_for(entry)
        else:
            entry = handoffs[pk]
            problem = approvals.problem_for(entry)
        entry.kind = kind
        entry.outcome_words = problem.title if problem else ""
        shown.append(entry)
    return shown
