"""How fresh the mirror is: the version stamp open pages poll, and "Sync now"."""

from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from dashboard import links, services
from dashboard.mirror import reading, tasks


@require_GET
@never_cache
def mirror_version(request):
    """204 while the account's mirror is still at `?v=` (htmx swaps nothing); else 200 with an
    `HX-Trigger` that tells the page's live regions to fetch themselves again."""
    if request.GET.get("v") == str(reading.version(request)):
        return HttpResponse(status=204)
    return HttpResponse(headers={"HX-Trigger": "mirror-changed"})


@require_POST
def sync_now(request):
    # Viewers may ask too: a sync only reads from OpenTrain.
    token = services.token_for(request)
    if token and tasks.request_sync(services.token_fingerprint(token)):
        messages.success(request, "Sync requested: the worker picks it up in a few seconds.")
    elif token:
        messages.info(request, "A sync is already waiting: the worker runs it in a few seconds.")
    else:
        messages.error(request, "No OpenTrain account to sync: set OT_API_TOKEN.")
    return HttpResponseRedirect(links.back_to(request))
