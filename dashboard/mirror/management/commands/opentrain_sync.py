"""Sync every account the dashboard acts for, once, in this process (the worker does this in the
background): `python manage.py opentrain_sync [--full]`."""

from django.core.management.base import BaseCommand, CommandError

from dashboard.mirror import accounts, sync


class Command(BaseCommand):
    help = "Bring the mirror of every OpenTrain account up to date now."

    def add_arguments(self, parser):
        parser.add_argument("--full", action="store_true", help="Reconcile from scratch.")

    def handle(self, *args, full=False, **options):
        known = accounts.known()
        if not known:
            raise CommandError("No OpenTrain account to sync (is the sandbox running?).")
        failed = 0
        for account_known in known:
            account = sync.account_for(account_known.fingerprint, account_known.label)
            sync.sync_account(account, account_known.token, full=full)
            account.refresh_from_db()
            if account.error:
                failed += 1
                self.stderr.write(f"{account}: {account.error}")
            else:
                self.stdout.write(f"{account}: synced")
        if failed == len(known):
            raise CommandError("No account could be synced.")
