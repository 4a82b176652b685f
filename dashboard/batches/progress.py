"""What the batch page shows about each row: its outcome so far, read from the submission ledger.
No HTTP here."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from dashboard import submissions
from dashboard.batches.models import Batch, BatchRow
from dashboard.models import Submission
from dashboard.opentrain.problems import Problem

State = Submission.State


@dataclass
class RowView:
    row: BatchRow
    submission: Submission | None
    problem: Problem | None

    @property
    def status(self) -> str:
        """dropped, invalid, waiting, sending, created, failed or unknown."""
        if self.row.dropped:
            return "dropped"
        if not self.row.valid:
            return "invalid"
        if self.submission is None:
            return "waiting"
        return "sending" if self.submission.state == State.PENDING else self.submission.state


@dataclass
class Progress:
    rows: list[RowView]

    def count(self, *statuses: str) -> int:
        return sum(1 for r in self.rows if r.status in statuses)

    @property
    def done(self) -> int:
        return self.count("created")

    @property
    def failed(self) -> int:
        return self.count("failed", "unknown")

    @property
    def waiting(self) -> int:
        return self.count("waiting", "sending")

    @property
    def to_send(self) -> int:
        return self.count("waiting", "sending", "created", "failed", "unknown")

    @property
    def total_cost(self) -> Decimal:
        return sum(
            (
                r.row.cost or Decimal(0)
                for r in self.rows
                if r.status != "dropped" and r.status != "invalid"
            ),
            Decimal(0),
        )

    @property
    def over_total(self) -> list[RowView]:
        """The rows to send that go over their contracts' estimated totals, not yet confirmed."""
        return [r for r in self.rows if r.status == "waiting" and r.row.over_total]

    @property
    def over_total_lines(self) -> str:
        """Their positions, as the confirm form lists them and sends them back."""
        return ",".join(str(r.row.position) for r in self.over_total)

    @property
    def finished(self) -> bool:
        return self.waiting == 0


def progress(batch: Batch) -> Progress:
    rows = list(batch.rows.order_by("position"))
    ledger = {s.key: s.as_shown() for s in Submission.objects.filter(key__in=[r.key for r in rows])}
    views = []
    for row in rows:
        submission = ledger.get(row.key)
        problem = submissions.problem_for(submission) if submission is not None else None
        views.append(RowView(row, submission, problem))
    return Progress(views)


def retry_failed(batch: Batch) -> int:
    """New keys for the rows whose last attempt failed or stayed unclear; how many.

    An unclear row is safe to send again: `submit` re-reads the contract first and adopts the
    milestone if the earlier attempt created it after all.
    """
    retried = 0
    for view in progress(batch).rows:
        if view.status in ("failed", "unknown"):
            view.row.new_key()
            retried += 1
    return retried
