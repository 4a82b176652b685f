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
    hold: submissions.Hold | None = None  # held: the earlier attempt at the same milestone

    @property
    def status(self) -> str:
        """dropped, invalid, waiting, held, sending, created, failed or unknown."""
        if self.row.dropped:
            return "dropped"
        if not self.row.valid:
            return "invalid"
        if self.submission is None:
            return "held" if self.row.held_by else "waiting"
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
    def held(self) -> list[RowView]:
        return [r for r in self.rows if r.status == "held"]

    @property
    def to_send(self) -> int:
        return self.count("waiting", "held", "sending", "created", "failed", "unknown")

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
    keys = [r.key for r in rows] + [r.held_by for r in rows if r.held_by]
    ledger = {s.key: s.as_shown() for s in Submission.objects.filter(key__in=keys)}
    views = []
    for row in rows:
        submission = ledger.get(row.key)
        problem = submissions.problem_for(submission) if submission is not None else None
        earlier = ledger.get(row.held_by) if row.held_by else None
        hold = submissions.hold_for(earlier) if earlier is not None else None
        views.append(RowView(row, submission, problem, hold))
    return Progress(views)


def send_held(batch: Batch) -> int:
    """The held rows, sent after all: the PM saw the earlier attempts and confirmed. How many."""
    held = progress(batch).held
    for view in held:
        view.row.send_anyway()
    return len(held)


def retry_failed(batch: Batch) -> int:
    """New keys for the rows whose last attempt failed or stayed unclear; how many.

    An unclear row is not sent again blindly: `submit` re-reads the contract first and adopts
    the milestone if the earlier attempt created it after all, and otherwise holds the row until
    the PM confirms another (`send_held`).
    """
    retried = 0
    for view in progress(batch).rows:
        if view.status in ("failed", "unknown"):
            view.row.new_key()
            retried += 1
    return retried
