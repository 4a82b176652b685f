"""The worker: runs queued tasks (django-tasks-db's db_worker) and, every OT_SYNC_POLL_SECONDS,
queues a sync of every account (a backstop for missed webhooks) and the pruning of webhook
deliveries older than 30 days.

Any number of workers may run: a waiting sync is never queued twice, and a lease on the account
keeps two workers from applying the same feed at once.

Its successful calls to OpenTrain are routine (a feed read per account every 30 s) and log at
DEBUG; a failure still logs as a WARNING (the client's rule), and a failed sync says so too.
"""

import logging
import socket
import threading
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections

from dashboard import opentrain
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
            with opentrain.quiet_successes():  # the tasks run in this thread
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
        """Register the webhook once the web server answers (it may still be starting: a call
        before would fail, and log so). Only problems are printed (`-v 0`)."""
        for _ in range(30):
            if _answers(url):
                try:
                    call_command(
                        "opentrain_webhooks", "register", url, verbosity=0, stdout=self.stdout
                    )
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
        with opentrain.quiet_successes():  # a thread starts with a context of its own
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


def _answers(url: str) -> bool:
    """Whether something accepts connections where `url` points."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        socket.create_connection((parts.hostname or "", port), timeout=1).close()
    except OSError:
        return False
    return True
