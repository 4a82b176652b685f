"""The session engine: Django's database sessions, read with one plain statement. Every request
reads its session; the ORM took longer to build that query than SQLite takes to answer it."""

from functools import cache

from django.contrib.sessions.backends import db
from django.db import connection
from django.utils import timezone

from dashboard.statements import column


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        found = next(iter(self.model.objects.raw(_session_sql(), [self.session_key, now])), None)
        if found is None:
            self._session_key = None
        return found


@cache
def _session_sql() -> str:
    meta = db.SessionStore.get_model_class()._meta
    return (
        f"SELECT * FROM {meta.db_table} WHERE {column(meta, 'session_key')} = %s "  # noqa: S608
        f"AND {column(meta, 'expire_date')} > %s"
    )
