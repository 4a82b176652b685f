from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_GET

from dashboard import submissions as milestone_submissions
from dashboard.mirror.reading import account_for_request
from dashboard.models import Submission

PAGE_SIZE = 50


@require_GET
def activity(request):
    # Only the dashboard's own records: this page never calls OpenTrain, and never writes.
    rows = Submission.objects.select_related("user").order_by("-created_at", "-id")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = [submission.as_shown() for submission in page.object_list]
    for submission in page.object_list:
        problem = milestone_submissions.problem_for(submission)
        submission.outcome_words = problem.title if problem else ""
    context = {"page": page, "mirror": account_for_request(request)}
    return render(request, "dashboard/activity.html", context)
