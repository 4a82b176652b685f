"""List the milestone writes whose outcome is not known yet: `python manage.py unclear_submissions`.

One line each, oldest first: the one-time key, the contract, when it was sent, and its description
(the load test matches these against the milestones OpenTrain holds: a write it carried out must
not stay unclear once the sync has read the contract).
"""

from django.core.management.base import BaseCommand

from dashboard.models import Submission


class Command(BaseCommand):
    help = "List the milestone submissions whose outcome is not known yet."

    def handle(self, *args, **options):
        unclear = Submission.objects.filter(state=Submission.State.UNKNOWN).order_by("created_at")
        for submission in unclear:
            description = str(submission.payload.get("description", "")).replace("\n", " ")
            self.stdout.write(
                f"{submission.key} {submission.contract_id} "
                f"{submission.created_at.isoformat(timespec='seconds')} {description}"
            )
