"""/settings/notifications/: what each person is sent and when, and what was sent to them lately.

Every signed-in person has one, viewers too: they get the e-mails and can forward the links.
"""

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from dashboard.notify import preferences
from dashboard.notify.models import Notice, Preference

RECENT = 20


@require_http_methods(["GET", "POST"])
def notification_settings(request):
    if request.method == "POST" and "resume" in request.POST:
        preferences.resume(request.user)
        messages.success(request, "Resumed: e-mails are sent again.")
        return redirect("notification_settings")
    chosen = Preference.of(request.user)
    if request.method == "POST":
        form = preferences.PreferenceForm(request.POST)
        if form.is_valid():
            form.save(request.user, timezone.now())
            messages.success(request, "Saved.")
            return redirect("notification_settings")
    else:
        form = preferences.PreferenceForm.initial_for(request.user, chosen)
    now = timezone.now()
    context = {
        "form": form,
        "by_email": settings.NOTIFY_BY_EMAIL,
        "has_email": bool(request.user.email),
        "paused_until": (
            preferences.local(chosen.paused_until, chosen.zone) if chosen.paused(now) else ""
        ),
        "recent": _recent(request.user, chosen, now),
    }
    return render(request, "dashboard/notification_settings.html", context)


def _recent(user, chosen: Preference, now) -> list[Notice]:
    """The person's last notices; one waiting to be tried again says when, in their time zone."""
    recent = list(Notice.objects.filter(user=user).order_by("-created_at", "-id")[:RECENT])
    for notice in recent:
        notice.retry_words = ""
        if notice.state == Notice.State.PENDING and notice.attempts:
            at = preferences.local(notice.next_attempt_at, chosen.zone, with_day=False)
            late = notice.next_attempt_at <= now
            notice.retry_words = "will try again in a moment" if late else f"will try again at {at}"
    return recent
