"""Send every webhook delivery that is due, e.g. after a restart left some waiting.

The server's delivery thread does the same on its own; this is for scripts and after a crash.
"""

from django.core.management.base import BaseCommand

from sandbox.delivery import send_due


class Command(BaseCommand):
    help = "Send the sandbox's due webhook deliveries (first tries and retries) and exit."

    def handle(self, *args, **options):
        self.stdout.write(f"{send_due()} delivery attempts made.")
