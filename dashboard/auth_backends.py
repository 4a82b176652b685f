"""Sign-in and permissions: Django's model backend, with a person's permissions read in one
query instead of two (their own, and their groups'). Every page asks whether its reader may make
changes, so that second query was on every page."""

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.db.models import Q


class ModelBackendOneQuery(ModelBackend):
    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_dashboard_permissions"):  # read once per request
            permissions = Permission.objects.all()
            if not user_obj.is_superuser:
                permissions = permissions.filter(Q(user=user_obj) | Q(group__user=user_obj))
            names = permissions.values_list("content_type__app_label", "codename").distinct()
            user_obj._dashboard_permissions = {f"{app}.{name}" for app, name in names}
        return user_obj._dashboard_permissions
