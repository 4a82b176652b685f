"""Dashboard URLs at the cost of one `reverse()` per route: a page of 25 rows or 50 inbox items
reversed each link, and that was a tenth of its time (`path_for`); the navigation and the forms'
actions, the same on every page, were reversed again on every request (`route`)."""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import quote

from django.urls import NoReverseMatch, get_script_prefix, reverse
from django.utils.http import RFC3986_SUBDELIMS

MARKER = "~id~"


def path_for(name: str, object_id: str) -> str | None:
    """`reverse(name, args=[object_id])` for a route with one `<str:...>` segment, with the same
    rule: an ID that cannot be a path segment (empty, or with a slash) has no URL (None)."""
    if not object_id or "/" in object_id:
        return None
    parts = _parts(get_script_prefix(), name)
    if parts is None:
        return None
    before, after = parts
    return before + quote(object_id, safe=RFC3986_SUBDELIMS + "/~:@") + after


@lru_cache(maxsize=128)
def _parts(prefix: str, name: str) -> tuple[str, str] | None:
    """The route's URL around its one ID, per script prefix (a deployment under a sub-path)."""
    try:
        before, after = reverse(name, args=[MARKER]).split(MARKER)
    except (NoReverseMatch, ValueError):
        return None
    return before, after


def route(name: str, *args: str) -> str:
    """`reverse(name, args=args)` for a route whose arguments never change (the navigation, the
    forms' actions, the exports), reversed once per script prefix. Every page has about 17 such
    links; Django's `{% url %}` reversed each one on every request (0.4 ms a page)."""
    return _route(get_script_prefix(), name, args)


@lru_cache(maxsize=256)
def _route(prefix: str, name: str, args: tuple[str, ...]) -> str:
    return reverse(name, args=args or None)
