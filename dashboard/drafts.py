"""What a signed-out person had typed into a form, kept in their session across the sign-in.

Only the form's own fields are kept (never the CSRF token), for a few minutes, for one page.
No HTTP here.
"""

from __future__ import annotations

import time

SESSION_KEY = "form_draft"
KEEP_SECONDS = 15 * 60
NOT_KEPT = {"csrfmiddlewaretoken", "submission_key"}
MAX_FIELDS = 20
MAX_CHARS = 10_000


def keep(request, path: str) -> None:
    """Remember the POSTed fields for the page at `path`, to fill its form after sign-in."""
    fields = {
        name: value[:MAX_CHARS]
        for name, value in list(request.POST.items())[:MAX_FIELDS]
        if name not in NOT_KEPT and value
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
