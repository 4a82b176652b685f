"""Set the fault a sandbox demo account injects into every API call made with its tokens.

    manage.py sandbox_fault owner latency=50      # one fault, then exit
    manage.py sandbox_fault nobilling --stdin     # a fault per line read, `ok` after each

The spec's syntax is in faults.py; an empty spec clears the fault.
"""

import sys

from django.core.management.base import BaseCommand, CommandError

from sandbox.models import Account


class Command(BaseCommand):
    help = "Set (or with an empty spec, clear) a sandbox demo account's injected fault."

    def add_arguments(self, parser):
        parser.add_argument("account", help="The demo account's key (owner, nobilling, ...).")
        parser.add_argument("spec", nargs="?", default="", help="e.g. latency=50, POST:503")
        parser.add_argument(
            "--stdin",
            action="store_true",
            help="Read one spec a line until end of input, answering `ok` after each "
            "(one process for a test that changes the fault many times).",
        )

    def handle(self, *args, account, spec, stdin, **options):
        if not Account.objects.filter(key=account).exists():
            raise CommandError(f"No sandbox account with the key {account!r}.")
        if not stdin:
            Account.objects.filter(key=account).update(fault=spec)
            return
        for line in sys.stdin:
            Account.objects.filter(key=account).update(fault=line.strip())
            self.stdout.write("ok")
            self.stdout.flush()
