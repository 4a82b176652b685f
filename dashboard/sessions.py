"""The session engine: Django's database sessions, in a table that names the signed-in person
(dashboard.models.Session). Every request reads its session and then the person it names, with
their permissions: one plain statement reads all three, where Django makes a query of each (the
ORM took longer to build the session's query than SQLite takes to answer it)."""

from functools import cache

from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.sessions.backends import db
from django.db import connection
from django.utils import timezone

from dashboard import auth_backends
from dashboard.statements import column


class SessionStore(db.SessionStore):
    """`person`: who the session named when it was read, with their permissions (None: no one,
    or not read from the database in this request)."""

    person = None

    @classmethod
    def get_model_class(cls):
        from dashboard.models import Session  # the app registry is not ready when this is imported

        return Session

    def create_model_instance(self, data):
        session = super().create_model_instance(data)
        session.person_id = data.get(SESSION_KEY)
        return session

    def _get_session_from_db(self):
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        rows = list(get_user_model()._default_manager.raw(_session_sql(), [self.session_key, now]))
        if not rows:
            self._session_key = None
            return None
        self.person = auth_backends.person(rows)
        return self.model(session_key=self.session_key, session_data=rows[0].session_data)


@cache
def _session_sql() -> str:
    """The session's data (`session_data`) on the rows of the person it names, one per permission
    (`auth_backends.with_permissions`); one row with no person when it names no one."""
    session = SessionStore.get_model_class()._meta
    person = get_user_model()._meta
    return auth_backends.with_permissions(
        f"FROM {session.db_table} s LEFT JOIN {person.db_table} u "
        f"ON u.{person.pk.column} = s.{column(session, 'person')}",
        f"WHERE s.{column(session, 'session_key')} = %s "
        f"AND s.{column(session, 'expire_date')} > %s",
        also=f", s.{column(session, 'session_data')} AS session_data",
    )
