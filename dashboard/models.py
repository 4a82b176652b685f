"""What the dashboard itself remembers: milestone submissions and the approvals it requested."""

from django.conf import settings
from django.db import models

from dashboard.opentrain.vocabulary import APPROVAL_TERMINAL


class Submission(models.Model):
    """One milestone form submission, keyed by the one-time key the form carried.

    The unique key is what makes a double click or a browser resubmit harmless: the database
    admits one row per key, and only the request that inserted it calls OpenTrain.
    """

    class State(models.TextChoices):
        PENDING = "pending", "Sending"
        CREATED = "created", "Created"
        FAILED = "failed", "Not created"
        UNKNOWN = "unknown", "Outcome unknown"

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

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [("make_changes", "Can create milestones and request approvals")]

    def __str__(self):
        return f"{self.key} {self.state}"


class Approval(models.Model):
    """A human approval the dashboard asked OpenTrain for (fund, payout, end contract)."""

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

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.type} {self.approval_id} {self.status}"

    @property
    def is_terminal(self):
        return self.status in self.TERMINAL

    # Set per request by dashboard.approvals.mark_followable: False when the dashboard now acts
    # with another token than the one that asked, which OpenTrain would not answer for.
    followable = True
