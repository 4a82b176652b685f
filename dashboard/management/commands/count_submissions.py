"""Print how many submissions the ledger holds for a form key (the two-server test's check)."""

from django.core.management.base import BaseCommand

from dashboard.models import Submission


class Command(BaseCommand):
    help = "Print the number of Submission rows with the given one-time form key."

    def add_arguments(self, parser):
        parser.add_argument("key", help="The submission key the milestone form carried.")

    def handle(self, *args, key, **options):
        self.stdout.write(str(Submission.objects.filter(key=key).count()))
