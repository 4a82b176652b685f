"""Print how many milestones a sandbox contract holds (the two-server test's check)."""

from django.core.management.base import BaseCommand

from sandbox.models import Milestone


class Command(BaseCommand):
    help = "Print the number of milestones on a sandbox contract, optionally with a given name."

    def add_arguments(self, parser):
        parser.add_argument("contract", help="The contract's id, e.g. ctr_owner_fixed_300.")
        parser.add_argument("--name", help="Count only the milestones with this name.")

    def handle(self, *args, contract, name, **options):
        milestones = Milestone.objects.filter(contract_id=contract)
        if name is not None:
            milestones = milestones.filter(name=name)
        self.stdout.write(str(milestones.count()))
