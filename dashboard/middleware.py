"""Response headers Django has no setting for, and the sign-in redirect for htmx and forms."""

from urllib.parse import urlencode, urlsplit

from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.shortcuts import resolve_url
from django.utils.cache import patch_cache_control
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.http import HttpResponseClientRedirect

from dashboard import drafts

# Browser features the dashboard never uses, turned off for its pages and anything they embed.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
        "interest-cohort",
    )
)


def security_headers(get_response):
    def middleware(request):
        response = get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        # A signed-in page shows account data: no shared cache keeps it, no back button shows it
        # to the next person at the same browser.
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, private=True, no_store=True)
        return response

    return middleware


class LoginRequired(LoginRequiredMiddleware):
    """Django's sign-in redirect, plus two things for a session that expired inside a form:
    what was typed is kept for the form's page, and htmx gets `HX-Redirect`, so the whole
    browser goes to the sign-in page instead of the sign-in page landing inside the form."""

    def handle_no_permission(self, request, view_func):
        if request.headers.get("HX-Request") != "true":
            if request.method == "POST":
                drafts.keep(request, request.path)
            return super().handle_no_permission(request, view_func)
        page = _local_path(request.headers.get("HX-Current-URL", ""), request)
        if request.method == "POST":
            drafts.keep(request, urlsplit(page).path)
        login_url = resolve_url(self.get_login_url(view_func))
        field = self.get_redirect_field_name(view_func)
        return HttpResponseClientRedirect(f"{login_url}?{urlencode({field: page})}")


def _local_path(url: str, request) -> str:
    """The page the htmx request came from, as a local path; else the requested path."""
    if url and url_has_allowed_host_and_scheme(url, {request.get_host()}, request.is_secure()):
        parts = urlsplit(url)
        return parts.path + (f"?{parts.query}" if parts.query else "")
    return request.get_full_path()
