"""What the dashboard itself remembers: milestone submissions and the approvals it requested.

Every change of state is a method here (`submission.finish`, `approval.refresh_from`, ...): the
service modules decide when, the models decide what changes.
"""

from __future__ import annotations

import copy
import logging
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Case, Exists, IntegerField, OuterRef, Q, Value, When
from django.utils import timezone

from dashboard import metrics
from dashboard.opentrain.vocabulary import APPROVAL_TERMINAL, parse_timestamp

if TYPE_CHECKING:
    from dashboard import opentrain

logger = logging.getLogger("dashboard.submissions")


class SubmissionQuerySet(models.QuerySet):
    def abandoned(self):
        """Still "sending" long after any request could last: their worker stopped mid-call."""
        return self.filter(
            state=Submission.State.PENDING,
            created_at__lt=timezone.now() - Submission.abandoned_after(),
        )

    def settle_abandoned(self) -> int:
        """Mark abandoned submissions unknown, which also makes the next attempt at the same
        milestone re-read the contract before sending. Returns how many were settled."""
        settled = self.abandoned().update(completed_at=timezone.now(), **Submission.ABANDONED)
        if settled:
            metrics.record_submissions(Submission.State.UNKNOWN, settled)
            logger.warning("%d submission(s) left sending by a stopped worker: unknown", settled)
        return settled

    def entries(self):
        """(created_at, id, "milestone") rows, to list with the other actions (activity)."""
        return (
            self.order_by()
            .annotate(kind=Value("milestone", output_field=models.CharField()))
            .values_list("created_at", "id", "kind")
        )


class Submission(models.Model):
    """One milestone form submission, keyed by the one-time key the form carried.

    The unique key is what makes a double click or a browser resubmit harmless: the database
    admits one row per key, and only the request that inserted it calls OpenTrain.
    """

    class State(models.TextChoices):
        PENDING = "pending", "Sending"
        CREATED = "created", "Created"
        FAILED = "failed", "Not created"
        UNKNOWN = "unknown", "Not known yet"

    # What a submission abandoned by a stopped worker becomes.
    ABANDONED = {
        "state": State.UNKNOWN,
        "error_code": "ABANDONED",
        "error_message": "The dashboard stopped before OpenTrain answered.",
        "error_details": {"recheck": "abandoned"},
    }

    key = models.UUIDField(unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    contract_id = models.CharField(max_length=200)
    contract_title = models.CharField(max_length=300, blank=True)
    payment_type = models.CharField(max_length=40, blank=True)
    payload = models.JSONField(default=dict, help_text="The JSON body sent to OpenTrain.")
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    milestone_id = models.CharField(max_length=200, blank=True)
    milestone = models.JSONField(null=True, blank=True, help_text="The milestone as returned.")
    error_status = models.PositiveSmallIntegerField(null=True, blank=True)
    error_code = models.CharField(max_length=60, blank=True)
    error_reason = models.CharField(max_length=60, blank=True)
    error_message = models.TextField(blank=True)
    error_details = models.JSONField(
        default=dict, blank=True, help_text="The error's `details` (claimUrl, field, ...)."
    )
    request_id = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # The earlier attempt at the same milestone that failed or stayed unclear ("Submit again").
    retry_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="retries"
    )

    objects = SubmissionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [("make_changes", "Can create milestones and request approvals")]

    def __str__(self):
        return f"{self.key} {self.state}"

    @staticmethod
    def abandoned_after() -> timedelta:
        return timedelta(seconds=float(settings.OT_API_TIMEOUT) * 2 + 60)

    @property
    def is_abandoned(self) -> bool:
        return (
            self.state == self.State.PENDING
            and self.created_at < timezone.now() - self.abandoned_after()
        )

    def as_shown(self) -> Submission:
        """The submission as a page shows it: one abandoned mid-call reads as settled.

        Pages only read; the next milestone POST settles it in the database (`settle_abandoned`).
        """
        if not self.is_abandoned:
            return self
        shown = copy.copy(self)
        for name, value in self.ABANDONED.items():
            setattr(shown, name, copy.deepcopy(value))
        return shown

    def record_error(self, error: opentrain.OpenTrainError) -> None:
        """Keep what OpenTrain (or the transport) said; `finish` saves it with the outcome."""
        self.error_status = error.status
        self.error_code = error.code[:60]
        self.error_reason = error.reason[:60]
        self.error_message = error.message
        self.error_details = error.details
        self.request_id = (error.request_id or "")[:100]

    def finish(self, state: str, *, recheck: str = "") -> None:
        """Save the outcome; `recheck` says what a re-read of the contract found, if any."""
        if recheck:
            self.error_details = {**self.error_details, "recheck": recheck}
        self.state = state
        self.completed_at = timezone.now()
        self.save()
        metrics.record_submissions(state)

    def adopt(self, milestone: opentrain.Milestone) -> None:
        """The milestone this submission created (answered, or found on the contract later)."""
        self.milestone_id = milestone.id
        self.milestone = {
            "id": milestone.id,
            "name": milestone.name,
            "description": milestone.description,
            "status": milestone.status,
            "amountUsd": _text(milestone.amount_usd),
            "volume": _text(milestone.volume),
            "milestoneNumber": milestone.number,
            "dueDate": milestone.due_date,
            "createdAt": milestone.created_at,
        }
        self.finish(self.State.CREATED)


def _text(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


class HandoffAttemptQuerySet(models.QuerySet):
    def entries(self):
        """(created_at, id, "handoff") rows, to list with the milestones (activity)."""
        return (
            self.order_by()
            .annotate(kind=Value("handoff", output_field=models.CharField()))
            .values_list("created_at", "id", "kind")
        )


class HandoffAttempt(models.Model):
    """One request for funding, a payout or a contract end sent from the dashboard, and what
    OpenTrain answered: the activity log of the handoffs (the approval itself is `Approval`)."""

    class State(models.TextChoices):
        REQUESTED = "requested", "Approval requested"
        DONE = "done", "Done"
        FAILED = "failed", "Not requested"

    ACTIONS = {
        "fund": "Request funding",
        "approve": "Request payout approval",
        "end": "End contract",
    }

    action = models.CharField(max_length=20)  # "fund", "approve", "end"
    state = models.CharField(max_length=10, choices=State.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    contract_id = models.CharField(max_length=200)
    contract_title = models.CharField(max_length=300, blank=True)
    milestone_id = models.CharField(max_length=200, blank=True)
    milestone_label = models.CharField(max_length=300, blank=True)
    approval_id = models.CharField(max_length=200, blank=True)
    # The milestone submission this request followed, for "Create and request funding".
    submission = models.ForeignKey(
        Submission, null=True, blank=True, on_delete=models.SET_NULL, related_name="handoffs"
    )
    retry_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="retries"
    )
    error_status = models.PositiveSmallIntegerField(null=True, blank=True)
    error_code = models.CharField(max_length=60, blank=True)
    error_reason = models.CharField(max_length=60, blank=True)
    error_message = models.TextField(blank=True)
    error_details = models.JSONField(default=dict, blank=True)
    request_id = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = HandoffAttemptQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.action} {self.milestone_id or self.contract_id} {self.state}"

    @property
    def action_label(self) -> str:
        return self.ACTIONS.get(self.action, self.action)

    @property
    def target_id(self) -> str:
        return self.milestone_id or self.contract_id

    def fail(self, error: opentrain.OpenTrainError) -> None:
        self.state = self.State.FAILED
        self.error_status = error.status
        self.error_code = error.code[:60]
        self.error_reason = error.reason[:60]
        self.error_message = error.message
        self.error_details = error.details
        self.request_id = (error.request_id or "")[:100]
        self.save()

    def succeed(self, approval_id: str = "") -> None:
        self.state = self.State.REQUESTED if approval_id else self.State.DONE
        self.approval_id = approval_id
        self.save()


class ApprovalQuerySet(models.QuerySet):
    def pending_first(self):
        """Pending approvals first, then the newest."""
        return self.annotate(
            waiting=Case(
                When(status=Approval.PENDING, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        ).order_by("waiting", "-created_at", "-id")

    def waiting(self, now):
        """Pending and not expired: a person may still confirm them in OpenTrain."""
        return self.filter(status=Approval.PENDING).filter(
            Q(expires_at=None) | Q(expires_at__gt=now)
        )

    def waiting_on(self, token_fingerprint: str, milestone: str | OuterRef, now) -> Exists:
        """Whether an approval of this token waits for a person on the milestone (an ID, or a
        column of the outer query: `OuterRef("milestone_ref")`), as a condition the database
        checks, so that no list of IDs travels with the query."""
        rows = self.filter(token_fingerprint=token_fingerprint, milestone_id=milestone)
        return Exists(rows.exclude(milestone_id="").waiting(now))

    def record(
        self, approval: opentrain.Approval, *, labels: dict, requested_by, token_fingerprint: str
    ) -> tuple[Approval, bool]:
        """Store an approval OpenTrain just answered with; returns the row and whether it is new.

        A re-request while one is pending returns the same approval, so it lands on the same row
        and keeps the person who first asked (and the token they asked with).
        """
        fields = Approval.fields_from(approval) | labels
        return self.update_or_create(
            approval_id=approval.id,
            defaults=fields,
            create_defaults=fields
            | {"requested_by": requested_by, "token_fingerprint": token_fingerprint},
        )


class Approval(models.Model):
    """A human approval the dashboard asked OpenTrain for (fund, payout, end contract)."""

    PENDING = "pending"
    CONFIRMED = "confirmed"

    approval_id = models.CharField(max_length=200, unique=True)
    type = models.CharField(max_length=40)
    status = models.CharField(max_length=40)
    contract_id = models.CharField(max_length=200)
    contract_title = models.CharField(max_length=300, blank=True)
    milestone_id = models.CharField(max_length=200, blank=True)
    milestone_label = models.CharField(max_length=300, blank=True)
    approval_url = models.URLField(max_length=2000, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    # Which token asked (a hash, never the token): only that token may read the approval back.
    token_fingerprint = models.CharField(max_length=64, blank=True)
    data = models.JSONField(default=dict, help_text="The approval as OpenTrain last returned it.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    TERMINAL = APPROVAL_TERMINAL

    objects = ApprovalQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        # The inbox asks, for each open milestone item, whether an approval waits on it.
        indexes = [
            models.Index(fields=["token_fingerprint", "milestone_id"], name="approval_milestone")
        ]

    def __str__(self):
        return f"{self.type} {self.approval_id} {self.status}"

    @property
    def is_terminal(self):
        return self.status in self.TERMINAL

    @property
    def is_pending(self):
        return self.status == self.PENDING

    @property
    def is_confirmed(self):
        return self.status == self.CONFIRMED

    @staticmethod
    def fields_from(approval: opentrain.Approval) -> dict:
        return {
            "type": approval.type,
            "status": approval.status,
            "contract_id": approval.contract_id,
            "milestone_id": approval.milestone_id,
            "approval_url": approval.approval_url,
            "expires_at": parse_timestamp(approval.expires_at),
            "data": approval.raw,
        }

    def refresh_from(self, approval: opentrain.Approval) -> bool:
        """Save OpenTrain's current answer; returns whether the approval just reached its end."""
        was_terminal = self.is_terminal
        for name, value in self.fields_from(approval).items():
            # An answer missing a field must not blank what we already know.
            if value or name == "data":
                setattr(self, name, value)
        self.save()
        return self.is_terminal and not was_terminal


class Snooze(models.Model):
    """An inbox item a person put aside: hidden from their inbox until `until`."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    key = models.CharField(max_length=250)
    until = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="snooze_once")]

    def __str__(self):
        return f"{self.key} until {self.until:%Y-%m-%d %H:%M}"

    @classmethod
    def for_a_day(cls, user, key: str) -> Snooze:
        until = timezone.now() + timedelta(days=1)
        row, _ = cls.objects.update_or_create(user=user, key=key, defaults={"until": until})
        return row

    @classmethod
    def hidden_keys(cls, user) -> set[str]:
        """The keys this person snoozed that are still asleep."""
        if user is None or not user.is_authenticated:
            return set()
        rows = cls.objects.filter(user=user, until__gt=timezone.now())
        return set(rows.values_list("key", flat=True))
