"""Sign-in and permissions: Django's model backend, with a person's permissions read in one plain
statement instead of two ORM queries (their own, and their groups'). Every page asks whether its
reader may make changes, so that read is on every page."""

from functools import cache

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection


class ModelBackendOneQuery(ModelBackend):
    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_dashboard_permissions"):  # read once per request
            if user_obj.is_superuser:
                names = Permission.objects.values_list("content_type__app_label", "codename")
            else:
                with connection.cursor() as cursor:
                    cursor.execute(_permissions_sql(), [user_obj.pk, user_obj.pk])
                    names = cursor.fetchall()
            user_obj._dashboard_permissions = {f"{app}.{name}" for app, name in names}
        return user_obj._dashboard_permissions


@cache
def _permissions_sql() -> str:
    """(app label, codename) of a person's permissions, their own and their groups'. The ORM's
    version (DISTINCT over two chains of outer joins) took 0.5 ms a page to build and, on
    PostgreSQL, 1 ms to plan and run; this takes a tenth of that."""
    own = get_user_model().user_permissions.through._meta
    member = get_user_model().groups.through._meta
    granted = Group.permissions.through._meta
    # Table and column names from the models' metadata; the person's ID is a parameter.
    return (
        f"SELECT t.app_label, p.codename FROM {Permission._meta.db_table} p "  # noqa: S608
        f"JOIN {ContentType._meta.db_table} t ON t.id = p.content_type_id "
        f"WHERE p.id IN (SELECT {_column(own, 'permission')} FROM {own.db_table} "
        f"WHERE {_column(own, 'user')} = %s "
        f"UNION SELECT g.{_column(granted, 'permission')} FROM {granted.db_table} g "
        f"JOIN {member.db_table} m ON m.{_column(member, 'group')} = g.{_column(granted, 'group')} "
        f"WHERE m.{_column(member, 'user')} = %s)"
    )


def _column(meta, name: str) -> str:
    return meta.get_field(name).column
