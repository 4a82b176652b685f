"""/settings/channels/: the team's chat channels (to be built)."""

from django.http import HttpResponse
from django.views.decorators.http import require_http_methods, require_POST


@require_http_methods(["GET", "POST"])
def channel_list(request):
    return HttpResponse("Channels: to be built.")


@require_POST
def channel_test(request, channel_id: int):
    return HttpResponse("to be built")


@require_POST
def channel_remove(request, channel_id: int):
    return HttpResponse("to be built")
