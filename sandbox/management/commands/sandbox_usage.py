"""Log simulated work on a sandbox contract, as the "Log usage" page does.

manage.py sandbox_usage ctr_owner_label_035 2000   # 2,000 labels
manage.py sandbox_usage ctr_owner_hourly_15 5      # 5 hours
"""

from decimal import Decimal, InvalidOperation

from django.core.management.base import BaseCommand, CommandError

from sandbox.usage import UsageError, log_usage


class Command(BaseCommand):
    help = "Add labels (per-label contracts) or hours (hourly ones) to a sandbox contract's usage."

    def add_arguments(self, parser):
        parser.add_argument("contract", help="The contract's id, e.g. ctr_owner_label_035.")
        parser.add_argument("volume", help="Labels or hours to add, in the contract's unit.")

    def handle(self, *args, contract, volume, **options):
        try:
            budget = log_usage(contract, Decimal(volume))
        except InvalidOperation:
            raise CommandError(f"The volume must be a number, not {volume!r}.") from None
        except UsageError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"{budget['state']} {budget['consumedVolume']}/{budget['fundedVolume']} "
            f"({budget['consumedFraction']})"
        )
