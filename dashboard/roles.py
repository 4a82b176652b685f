"""Two roles: viewers see everything and change nothing; editors may write.

An editor is a user with the `dashboard.make_changes` permission, given by the "editors" group.
"""

from functools import wraps

from django.core.exceptions import PermissionDenied

EDIT_PERMISSION = "dashboard.make_changes"


def can_edit(user) -> bool:
    return bool(user and user.is_authenticated and user.has_perm(EDIT_PERMISSION))


def editor_required(view):
    """Refuse writes from viewers with a 403, before anything reaches OpenTrain."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD", "OPTIONS") and not can_edit(request.user):
            raise PermissionDenied("Viewers cannot make changes.")
        return view(request, *args, **kwargs)

    return wrapper
