"""/settings/notifications/: what each person is sent (to be built)."""

from django.http import HttpResponse
from django.views.decorators.http import require_http_methods


@require_http_methods(["GET", "POST"])
def notification_settings(request):
    return HttpResponse("Notifications: to be built.")
