from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from dashboard import inbox
from dashboard.models import Snooze


@require_GET
@vary_on_headers("HX-Request")
def inbox_page(request):
    template_name = "dashboard/inbox.html"
    if request.htmx and not request.htmx.boosted:
        template_name += "#inbox"
    context = {
        "checks": inbox.CHECKS,
        "editor": request.user.has_perm("dashboard.make_changes"),
        **inbox.page(request, expand=request.GET.get("all", "")),
    }
    return render(request, template_name, context)


@require_POST
def inbox_snooze(request):
    key = request.POST.get("key", "").strip()
    if key and len(key) <= 250:
        Snooze.for_a_day(request.user, key)
        messages.success(request, "Snoozed for a day: it comes back tomorrow if it still needs you")
    return redirect("inbox")
