from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_GET

from dashboard import approvals
from dashboard import submissions as milestone_submissions
from dashboard.mirror.reading import account_for_request
from dashboard.models import HandoffAttempt, Submission

PAGE_SIZE = 50


@require_GET
def activity(request):
    # Only the dashboard's own records: this page never calls OpenTrain, and never writes.
    page = Paginator(entries(), PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = _load(page.object_list)
    context = {"page": page, "mirror": account_for_request(request)}
    return render(request, "dashboard/activity.html", context)


def entries():
    """Every action sent from the dashboard, newest first, as (created_at, id, kind) rows: the
    milestones (the submission ledger) and the funding, payout and end requests."""
    return (
        Submission.objects.entries()
        .union(HandoffAttempt.objects.entries(), all=True)
        .order_by("-created_at", "-id")
    )


def _load(rows) -> list:
    """The page's rows as objects, with their outcome in words and their retry links."""
    rows = list(rows)
    wanted = {kind: [pk for _, pk, k in rows if k == kind] for kind in ("milestone", "handoff")}
    related = ("user", "retry_of")
    submissions = Submission.objects.select_related(*related).prefetch_related("retries")
    submissions = submissions.in_bulk(wanted["milestone"])
    handoffs = HandoffAttempt.objects.select_related(*related, "submission")
    handoffs = handoffs.prefetch_related("retries")
    handoffs = handoffs.in_bulk(wanted["handoff"])
    shown = []
    for _, pk, kind in rows:
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
