"""'Request funding for all created': one funding approval per milestone a batch created, asked
for by the worker, and what the batch's funding page shows about them.

Asking is idempotent twice over: a milestone with a stored funding approval that is pending or
confirmed is not asked about again, and OpenTrain answers a re-request with the same approval.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import quote

from django.tasks import task

from dashboard import access, approvals, links, opentrain
from dashboard.batches import tasks as sending
from dashboard.batches.models import Batch, BatchRow
from dashboard.mirror import tasks as mirror_tasks
from dashboard.mirror.models import Account
from dashboard.models import Approval, HandoffAttempt, Submission
from dashboard.opentrain import OpenTrainError
from dashboard.opentrain.problems import Problem, explain
from dashboard.words import money

logger = logging.getLogger("dashboard.batches")

FUND = "milestone_fund"
STILL_ASKED = ("pending", "confirmed")  # a declined or expired funding may be asked for again
NO_APPROVAL = Problem(
    "unknown",
    "OpenTrain answered without an approval",
    "OpenTrain accepted the request but sent no approval to follow. Check the milestone in "
    "OpenTrain before asking again.",
)


@dataclass
class Line:
    row: BatchRow
    submission: Submission
    label: str
    approval: Approval | None

    @property
    def milestone_id(self) -> str:
        return self.submission.milestone_id

    @property
    def link(self) -> str:
        url = self.approval.approval_url if self.approval else ""
        return url if links.is_allowed(url) else ""

    @property
    def asked(self) -> bool:
        return self.approval is not None and self.approval.status in STILL_ASKED


@dataclass
class Funding:
    batch: Batch
    lines: list[Line]

    @property
    def total(self) -> Decimal:
        return sum((line.row.cost or Decimal(0) for line in self.lines), Decimal(0))

    @property
    def links(self) -> list[str]:
        return [line.link for line in self.lines if line.link]

    def count(self, status: str) -> int:
        return sum(1 for line in self.lines if line.approval and line.approval.status == status)

    @property
    def pending(self) -> int:
        return self.count("pending")

    @property
    def confirmed(self) -> int:
        return self.count("confirmed")

    @property
    def waiting(self) -> int:
        """Lines the worker has not asked about yet (neither an approval nor a failure)."""
        return sum(1 for line in self.lines if not line.approval and not line.row.funding_problem)

    @property
    def settled(self) -> bool:
        if self.batch.funding_requested_at is None:
            return True  # nothing asked yet: nothing to watch
        return self.waiting == 0 and self.pending == 0

    @property
    def mailto(self) -> str:
        count = len(self.lines)
        subject = f"Please confirm funding in OpenTrain: {count} milestones, {money(self.total)}"
        body = ["Hello,", "", "The OpenTrain dashboard asked for funding of these milestones:", ""]
        for line in self.lines:
            body.append(f"- {line.row.contract_title}, {line.label}: {money(line.row.cost)}")
            body.append(f"  {line.link or 'no approval link yet'}")
        body += ["", f"Total: {money(self.total)}", "", "Each link opens the approval to confirm."]
        return f"mailto:?subject={quote(subject)}&body={quote(chr(10).join(body))}"


def funding(batch: Batch) -> Funding:
    """The batch's created milestones with their funding approvals: two queries."""
    rows = list(batch.rows.filter(dropped=False).order_by("position"))
    created = {
        s.key: s
        for s in Submission.objects.filter(
            key__in=[r.key for r in rows], state=Submission.State.CREATED
        ).exclude(milestone_id="")
    }
    pairs = [(row, created[row.key]) for row in rows if row.key in created]
    stored = {}
    for approval in Approval.objects.filter(
        type=FUND, milestone_id__in=[s.milestone_id for _, s in pairs]
    ).order_by("created_at", "id"):
        stored[approval.milestone_id] = approval  # the newest wins
    return Funding(
        batch,
        [Line(row, s, _label(row, s), stored.get(s.milestone_id)) for row, s in pairs],
    )


def _label(row: BatchRow, submission: Submission) -> str:
    number = (submission.milestone or {}).get("milestoneNumber")
    name = row.fields.get("name") or row.fields.get("description", "")[:80]
    return f"#{number} {name}".strip() if number is not None else name


@task()
def fund_batch(batch_id: str) -> str:
    """Ask OpenTrain to fund each created milestone not already asked about; a summary in words."""
    batch, known = sending.batch_and_account(batch_id)
    if known is None:
        return "unknown account"
    # What a refusal teaches (no payment method) and what a request that goes through solves
    # is stored on the mirror's account, as the single funding request does.
    account = Account.objects.filter(fingerprint=batch.account_fingerprint).first()
    asked = 0
    for line in funding(batch).lines:
        if line.asked:
            continue
        if _ask(batch, line, known.token, account):
            asked += 1
    if asked:
        mirror_tasks.request_sync(batch.account_fingerprint)  # as after sending the batch
    return f"{asked} funding approval(s) asked for"


def _ask(batch: Batch, line: Line, token: str, account: Account | None) -> bool:
    """One milestone, waiting out rate limits; True when OpenTrain answered with an approval.
    Logged as a funding request, as a single one is, so Activity and its export list it."""
    attempt = HandoffAttempt(
        action="fund",
        user=batch.created_by,
        contract_id=line.row.contract_id,
        contract_title=line.row.contract_title,
        milestone_id=line.milestone_id,
        milestone_label=line.label,
        submission=line.submission,
        retry_of=approvals.failed_before("fund", line.milestone_id),
    )
    for _attempt in range(sending.RATE_LIMIT_ATTEMPTS):
        try:
            handoff = opentrain.fund_milestone(token, line.milestone_id)
        except OpenTrainError as error:
            if error.status == 429:
                sending.wait_out(error)
                continue
            logger.warning("batch %s row %s not funded: %s", batch.pk, line.row.position, error)
            access.learn(account, error)
            attempt.fail(error)
            line.row.funding_failed(explain(error))
            return False
        access.succeeded(account, access.FUND)
        if handoff.approval is None or not handoff.approval.id:
            attempt.succeed()
            line.row.funding_failed(NO_APPROVAL)
            return False
        approvals.record(handoff.approval, user=batch.created_by, token=token, contract=None)
        _label_approval(handoff.approval.id, line)
        attempt.succeed(handoff.approval.id)
        line.row.funding_asked()
        return True
    rate_limited = OpenTrainError("", status=429)
    attempt.fail(rate_limited)
    line.row.funding_failed(explain(rate_limited))
    return False


def _label_approval(approval_id: str, line: Line) -> None:
    # The mirror's contract is not read per row: the row already knows what it is about.
    Approval.objects.filter(approval_id=approval_id).update(
        contract_title=line.row.contract_title, milestone_label=line.label
    )
