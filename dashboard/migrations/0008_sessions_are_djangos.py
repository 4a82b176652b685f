"""Sessions go back to Django's own table (django_session): the live ones are copied there, so
no one is signed out by the upgrade, and dashboard_session goes with its person column."""

from django.db import migrations
from django.utils import timezone


def copy_live_sessions(apps, schema_editor):
    ours = apps.get_model("dashboard", "Session")
    djangos = apps.get_model("sessions", "Session")
    live = ours.objects.filter(expire_date__gt=timezone.now())
    djangos.objects.bulk_create(
        (
            djangos(
                session_key=s.session_key, session_data=s.session_data, expire_date=s.expire_date
            )
            for s in live.iterator()
        ),
        batch_size=500,
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("dashboard", "0007_person_in_session"),
        ("sessions", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(copy_live_sessions, migrations.RunPython.noop),
        migrations.DeleteModel(name="Session"),
    ]
