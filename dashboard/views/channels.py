"""/settings/channels/: the team's chat channels. Everyone sees them (URLs masked); editors add,
test and remove them. A test is sent by the worker, never by this web request."""

from datetime import timedelta

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from dashboard.notify import channels
from dashboard.notify.models import Channel
from dashboard.roles import can_edit, editor_required

TEMPLATE = "dashboard/channels.html"
# A test still waiting after this long says the worker may not be running.
WORKER_LATE = timedelta(seconds=30)


@require_http_methods(["GET", "POST"])
@editor_required
@sensitive_post_parameters("url")
@vary_on_headers("HX-Request")
def channel_list(request):
    test = channels.find_test(request.GET.get("test"))
    if request.htmx and "test" in request.GET:
        # The test's outcome polls itself here until the worker has tried it.
        return render(request, TEMPLATE + "#test-outcome", _test_context(test))
    form = channels.ChannelForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        channel = channels.add(form, request.user)
        if channel is not None:
            messages.success(request, f"#{channel.name} was added. Send it a test to see it work.")
            return redirect(reverse("channel_list") + f"#channel-{channel.pk}")
    context = {
        "form": form,
        "channels": channels.listed(),
        **_test_context(test),
        "can_edit": can_edit(request.user),
        "receiver_hint": channels.receiver_hint(),
    }
    return render(request, TEMPLATE, context)


def _test_context(test) -> dict:
    late = test is not None and test.state == test.State.PENDING
    late = late and timezone.now() - test.created_at > WORKER_LATE
    return {"test": test, "worker_late": late}


@require_POST
@editor_required
def channel_test(request, channel_id: int):
    channel = get_object_or_404(Channel, pk=channel_id)
    test = channels.queue_test(channel)
    return redirect(reverse("channel_list") + f"?test={test.pk}#channel-{channel.pk}")


@require_POST
@editor_required
def channel_remove(request, channel_id: int):
    channel = get_object_or_404(Channel, pk=channel_id)
    channels.remove(channel)
    messages.success(request, f"#{channel.name} was removed: it gets nothing more.")
    return redirect("channel_list")
