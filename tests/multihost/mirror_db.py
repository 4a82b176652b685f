"""The shared PostgreSQL's mirror, for tests that need it empty: a data directory reused from an
earlier run (tests/multihost/services.sh keeps it) holds accounts synced long ago, which readiness
would rightly call stale."""

MIRROR_TABLES = (
    "notify_notice",  # notices and alerts point at the mirror's accounts
    "notify_alert",
    "mirror_inboxitem",
    "mirror_spendmonth",
    "mirror_spendday",
    "mirror_budgetsnapshot",
    "mirror_milestone",
    "mirror_pendingpayment",
    "mirror_delivery",
    "mirror_webhooksubscription",
    "mirror_contract",
    "mirror_account",
    "django_tasks_database_dbtaskresult",
)


def connect(database_url: str):
    import psycopg  # the `prod` extra, which `make multihost` installs

    return psycopg.connect(database_url.replace("postgres://", "postgresql://"))


def clear_mirror(database_url: str) -> None:
    with connect(database_url) as db:
        for table in MIRROR_TABLES:
            db.execute(f"DELETE FROM {table}")
