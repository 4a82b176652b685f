"""The worker: runs queued tasks (django-tasks-db's db_worker) and, every OT_SYNC_POLL_SECONDS,
queues a sync of every account (a backstop for missed webhooks) and the pruning of webhook
deliveries older than 30 days.

Any number of workers may run: a waiting sync is never queued twice, and a lease on the account
keeps two workers from applying the same feed at once.
"""

import logging
import threading

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections

from dashboard.mirror import tasks

logger = logging.getLogger("dashboard.sync")


class Command(BaseCommand):
    help = "Run background tasks and keep the OpenTrain mirror current."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=0.2, help="Queue poll, seconds.")
        parser.add_argument(
            "--register-webhook",
            metavar="URL",
            default="",
            help="First register URL as the account's webhook (make run: the sandbox's).",
        )

    def handle(self, *args, **options):
        stop = threading.Event()
        ticker = threading.Thread(
            target=self._tick,
            args=(stop, options["register_webhook"]),
            daemon=True,
            name="sync-ticker",
        )
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

    def _register(self, stop: threading.Event, url: str) -> None:
        """Register the webhook once the web server answers (it may still be starting)."""
        for _ in range(30):
            try:
                call_command("opentrain_webhooks", "register", url, stdout=self.stdout)
                return
            except CommandError as error:
                if "No OpenTrain account" not in str(error):
                    self.stderr.write(f"Webhook not registered: {error}")
                    return
            finally:
                close_old_connections()
            if stop.wait(1):
                return
        self.stderr.write("Webhook not registered: the dashboard did not answer.")

    def _tick(self, stop: threading.Event, register_url: str) -> None:
        if register_url:
            self._register(stop, register_url)
        while not stop.is_set():
            wait = settings.OT_SYNC_POLL_SECONDS
            try:
                tasks.request_upkeep()
                wait = tasks.poll_seconds()  # sooner while a write's outcome is not known
            except Exception:  # a database blip must not end the backstop
                logger.exception("could not queue the periodic sync and pruning")
            finally:
                close_old_connections()
            stop.wait(wait)
