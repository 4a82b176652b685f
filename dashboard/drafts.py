"""What a signed-out person had typed into a form, kept in their session across the sign-in.

Only the milestone form's own fields are kept (never the CSRF token or the one-time key), each
cut a character past its limit, for a few minutes, for one page; and only when the POST came with
a session cookie (a session that expired inside the form): a signed-out POST without one creates
no session. The sign-in page reads the kept draft (`SESSION_KEY`) to say that what was typed is
kept and will be put back, and for how long (`KEEP_SECONDS`). No HTTP here.
"""

from __future__ import annotations

import time

from django.conf import settings

from dashboard.forms import FORMS, ContractPickerForm

SESSION_KEY = "form_draft"
KEEP_SECONDS = 15 * 60  # the sign-in page says "within 15 minutes"
OTHER_CHARS = 1_000
# The fields of every milestone form and of the contract picker: name -> the longest value kept.
# One character past a field's own limit, so the form still says it is too long.
KEPT = {
    name: (getattr(field, "max_length", None) or OTHER_CHARS) + 1
    for form in (*FORMS.values(), ContractPickerForm)
    for name, field in form.base_fields.items()
    if name != "submission_key"
}


def keep(request, path: str) -> None:
    """Remember the POSTed fields for the page at `path`, to fill its form after sign-in."""
    if settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return
    fields = {
        name: request.POST[name][:limit] for name, limit in KEPT.items() if request.POST.get(name)
    }
    if fields:
        request.session[SESSION_KEY] = {"path": path, "fields": fields, "at": time.time()}


def take(request) -> dict:
    """The fields kept for this page, once (they are forgotten as they are read); else {}."""
    draft = request.session.get(SESSION_KEY)
    if not isinstance(draft, dict) or draft.get("path") != request.path:
        return {}
    del request.session[SESSION_KEY]
    if time.time() - draft.get("at", 0) > KEEP_SECONDS:
        return {}
    return draft.get("fields") or {}
