"""The worker: runs queued tasks (django-tasks-db's db_worker) and, as a backstop for missed
webhooks, queues a sync of every account every OT_SYNC_POLL_SECONDS.

Any number of workers may run: a waiting sync is never queued twice, and a lease on the account
keeps two workers from applying the same feed at once.
"""

import logging
import threading

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from dashboard.mirror import tasks

logger = logging.getLogger("dashboard.sync")


class Command(BaseCommand):
    help = "Run background tasks and keep the OpenTrain mirror current."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=0.2, help="Queue poll, seconds.")

    def handle(self, *args, **options):
        stop = threading.Event()
        ticker = threading.Thread(target=self._tick, args=(stop,), daemon=True, name="sync-ticker")
        ticker.start()
        try:
            call_command(
                "db_worker",
                interval=options["interval"],
                startup_delay=False,
                reload=False,
                verbosity=options["verbosity"],
            )
        finally:
            stop.set()

    def _tick(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                tasks.request_sync_all()
            except Exception:  # a database blip must not end the backstop
                logger.exception("could not queue the periodic sync")
            finally:
                close_old_connections()
            stop.wait(settings.OT_SYNC_POLL_SECONDS)
