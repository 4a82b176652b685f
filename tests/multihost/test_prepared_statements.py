"""On PostgreSQL the dashboard's connections prepare what they run again and again (a page's
queries are parsed and planned once, then only executed), unless DATABASE_PREPARED_STATEMENTS is
false, as behind a PgBouncer older than 1.21 in transaction mode.

Needs MULTIHOST_DATABASE_URL (`tests/multihost/services.sh`; `.ci/run` runs `make multihost`).
"""

import os

import pytest

from scripts.servers import manage, sandbox_env

DATABASE_URL = os.environ.get("MULTIHOST_DATABASE_URL", "")

pytestmark = [
    pytest.mark.multihost,
    pytest.mark.skipif(not DATABASE_URL, reason="set MULTIHOST_DATABASE_URL (PostgreSQL)"),
]

# Reads the mirror's accounts as a page would, six times over one connection, then asks
# PostgreSQL which statements that connection holds prepared.
READ_SIX_TIMES = (
    "from django.db import connection\n"
    "from dashboard.mirror.models import Account\n"
    "for _ in range(6): list(Account.objects.filter(label='x'))\n"
    "with connection.cursor() as cursor:\n"
    "    cursor.execute('SELECT statement FROM pg_prepared_statements')\n"
    "    print([row[0] for row in cursor.fetchall()])\n"
)


def prepared_after_six_reads(**settings: str) -> str:
    env = sandbox_env(DATABASE_URL, **settings)
    manage(env, "migrate", "--noinput")
    return manage(env, "shell", "-c", READ_SIX_TIMES)


def test_a_query_run_again_and_again_is_prepared_once():
    prepared = prepared_after_six_reads()
    assert "mirror_account" in prepared.splitlines()[-1]


def test_prepared_statements_can_be_turned_off_for_an_old_pgbouncer():
    prepared = prepared_after_six_reads(DATABASE_PREPARED_STATEMENTS="false")
    assert prepared.splitlines()[-1] == "[]"
