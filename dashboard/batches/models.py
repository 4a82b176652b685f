"""Batches of milestones: a CSV's rows, checked in a preview, then sent one by one by the worker.

Each row carries the key of its current submission (`dashboard.models.Submission`): the ledger of
single milestones is the ledger of batches too, so a row is sent at most once per key.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from dashboard.models import Submission


class Batch(models.Model):
    TICKED = "ticked contracts"  # the source of a batch made from ticked contracts, not a file

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # The OpenTrain account it is for, by fingerprint: the worker finds the token from it.
    account_fingerprint = models.CharField(max_length=64)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    source = models.CharField(max_length=200, blank=True, help_text="The uploaded file's name.")
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # "Request funding for all created": when it was first pressed (the worker does the asking).
    funding_requested_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"batch {self.id} ({self.source})"

    @property
    def from_file(self) -> bool:
        return self.source != self.TICKED

    def line(self, position: int) -> str:
        """A row's line in words: a file's rows are numbered as its lines, the header being 1."""
        return f"Line {position} of the file" if self.from_file else f"Line {position}"

    @property
    def confirmed(self) -> bool:
        return self.confirmed_at is not None

    def confirm(self) -> bool:
        """Confirm once; True only for the request that did it (a double click gets False)."""
        now = timezone.now()
        done = Batch.objects.filter(pk=self.pk, confirmed_at__isnull=True).update(confirmed_at=now)
        if done:
            self.confirmed_at = now
        return bool(done)

    def request_funding(self) -> bool:
        """Ask for funding once; True only for the request that did it (not a double click)."""
        now = timezone.now()
        done = Batch.objects.filter(pk=self.pk, funding_requested_at__isnull=True).update(
            funding_requested_at=now
        )
        if done:
            self.funding_requested_at = now
        return bool(done)

    def sendable_rows(self):
        return self.rows.filter(dropped=False, errors=[]).order_by("position")


class BatchRow(models.Model):
    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="rows")
    position = models.PositiveIntegerField(help_text="The line in the CSV, 2 for the first row.")
    contract_id = models.CharField(max_length=200, blank=True)
    contract_title = models.CharField(max_length=500, blank=True)
    payment_type = models.CharField(max_length=40, blank=True)
    # As typed, so the preview shows what the PM wrote; `fields` is what will be sent.
    typed = models.JSONField(default=dict)
    fields = models.JSONField(default=dict, blank=True)
    cost = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    errors = models.JSONField(default=list, blank=True)
    warnings = models.JSONField(default=list, blank=True)
    # How far the row takes its contract over the estimated total, in words, while the PM has not
    # confirmed it (on the row, or for the batch with the rows listed); "" otherwise.
    over_total = models.TextField(blank=True, default="")
    dropped = models.BooleanField(default=False)
    # The key of the row's current submission: a new one only after an attempt definitely failed.
    key = models.UUIDField(default=uuid.uuid4, unique=True)
    # Not sent: an earlier attempt at the same milestone is unclear or was created minutes ago
    # (`submissions.submit` held it). Sent after all once the PM confirms (`send_anyway`).
    held_by = models.UUIDField(null=True, blank=True, help_text="The attempt it was held for.")
    repeat_of = models.UUIDField(null=True, blank=True, help_text="The attempt the PM confirmed.")
    earlier_keys = models.JSONField(default=list, blank=True)
    # Why asking OpenTrain to fund this row's milestone failed, in words ({} when it did not).
    funding_problem = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["batch", "position"], name="batch_row_once")]

    def __str__(self):
        return f"row {self.position} of {self.batch_id}"

    @property
    def valid(self) -> bool:
        return not self.errors

    @property
    def line(self) -> str:
        return self.batch.line(self.position)

    def new_key(self) -> None:
        """A fresh key for another attempt; the old one stays in the ledger with its outcome."""
        self.earlier_keys = [*self.earlier_keys, str(self.key)]
        self.key = uuid.uuid4()
        self.save(update_fields=["key", "earlier_keys"])

    def hold(self, key) -> None:
        """Not sent: the same milestone's earlier attempt (`key`) comes first."""
        self.held_by = key
        self.save(update_fields=["held_by"])

    def send_anyway(self) -> None:
        """The PM saw the earlier attempt and wants this one too: the next run sends it."""
        self.repeat_of, self.held_by = self.held_by, None
        self.save(update_fields=["repeat_of", "held_by"])

    def take_over(self, key) -> None:
        """An earlier attempt (`key`) turned out to own this row's outcome: show that one.

        `submit` answers with it when a re-check of the contract finds the milestone an unclear
        attempt created, or when such an attempt may still land.
        """
        if key == self.key or BatchRow.objects.filter(key=key).exists():
            return
        self.earlier_keys = [k for k in self.earlier_keys if k != str(key)] + [str(self.key)]
        self.key = key
        self.save(update_fields=["key", "earlier_keys"])

    def funding_failed(self, problem) -> None:
        self.funding_problem = {
            "title": problem.title,
            "message": problem.message,
            "request_id": problem.request_id or "",
        }
        self.save(update_fields=["funding_problem"])

    def funding_asked(self) -> None:
        if self.funding_problem:
            self.funding_problem = {}
            self.save(update_fields=["funding_problem"])

    def submission(self) -> Submission | None:
        return Submission.objects.filter(key=self.key).first()
