"""The sandbox's own copy of the OpenTrain data the dashboard reads and writes.

Contracts, milestones and approvals use their public opaque string as the primary key, so no
database integer ever reaches the API. Money is Decimal everywhere.
"""

import secrets
import time
from datetime import timedelta

from django.db import models, transaction
from django.utils import timezone

APPROVAL_LIFETIME = timedelta(hours=72)


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(10)}"


def new_contract_id() -> str:
    return new_id("ctr")


def new_milestone_id() -> str:
    return new_id("ms")


def new_approval_id() -> str:
    return new_id("apr")


def new_claim_token() -> str:
    return f"ot_cat_{secrets.token_urlsafe(18)}"


def new_event_id() -> str:
    # Time first, so ids sort in the order events happened (as OpenTrain's do), and stay unique
    # across sandbox databases (a client may keep ids from an earlier one).
    return f"evt_{time.time_ns():x}{secrets.token_hex(4)}"


def new_webhook_id() -> str:
    return new_id("wh")


def new_webhook_secret() -> str:
    return f"whsec_{secrets.token_urlsafe(32)}"


def new_delivery_id() -> str:
    return new_id("dlv")


def new_organization_id() -> str:
    return new_id("org")


def approval_expiry():
    return timezone.now() + APPROVAL_LIFETIME


class Account(models.Model):
    # `key` names the seeded demo accounts ("owner", "unclaimed", ...); empty for others.
    key = models.SlugField(max_length=40, blank=True)
    sort_order = models.PositiveSmallIntegerField(default=100)
    name = models.CharField(max_length=200)
    description = models.CharField(max_length=300, blank=True)
    organization_id = models.CharField(max_length=40, unique=True, default=new_organization_id)
    owner_user_id = models.CharField(max_length=40, default="usr_owner")
    owner_email = models.EmailField()
    owner_first_name = models.CharField(max_length=80)
    owner_last_name = models.CharField(max_length=80)
    claimed = models.BooleanField(default=True)
    # The `public_api_payments_write` feature flag.
    payments_write_enabled = models.BooleanField(default=True)
    # The `public_api_job_drafting` feature flag (gates the capabilities probe).
    job_drafting_enabled = models.BooleanField(default=True)
    # The `public_api_webhooks` feature flag.
    webhooks_enabled = models.BooleanField(default=True)
    has_payment_method = models.BooleanField(default=True)
    claim_token = models.CharField(max_length=80, unique=True, default=new_claim_token)
    # Fault injection for every API request made with this account's tokens; see faults.py.
    fault = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["sort_order", "id"]

    def __str__(self):
        return self.name


class Token(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="tokens")
    public_id = models.CharField(max_length=40, unique=True)
    value = models.CharField(max_length=200, unique=True)
    label = models.CharField(max_length=100, blank=True)
    scopes = models.JSONField(default=list)
    revoked = models.BooleanField(default=False)
    expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"{self.label or self.public_id} ({self.account})"

    def is_usable(self) -> bool:
        return not self.revoked and (self.expires_at is None or self.expires_at > timezone.now())

    def has_scope(self, scope: str) -> bool:
        # A :write scope covers its :read.
        if scope in self.scopes:
            return True
        return scope.endswith(":read") and scope.removesuffix(":read") + ":write" in self.scopes


class Contract(models.Model):
    ACTIVE = "active"
    ENDED = "ended"
    STATUSES = [(ACTIVE, "active"), (ENDED, "ended")]

    FIXED_PRICE = "FIXED_PRICE"
    PAY_PER_HOUR = "PAY_PER_HOUR"
    PAY_PER_LABEL = "PAY_PER_LABEL"
    PAYMENT_TYPES = [
        (FIXED_PRICE, "fixed price"),
        (PAY_PER_HOUR, "hourly"),
        (PAY_PER_LABEL, "per label"),
    ]

    id = models.CharField(primary_key=True, max_length=60, default=new_contract_id)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="contracts")
    status = models.CharField(max_length=10, choices=STATUSES, default=ACTIVE)
    title = models.TextField()  # OpenTrain documents no limit on a title
    job_id = models.CharField(max_length=60)
    proposal_id = models.CharField(max_length=60, blank=True)
    job_dm_conversation_id = models.CharField(max_length=60, blank=True)
    payment_type = models.CharField(max_length=20, choices=PAYMENT_TYPES)
    # Null is the "no rate" contract: milestone create answers 409 contract_rate_missing.
    rate_usd = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    estimated_total_usd = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True
    )
    estimated_volume = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    start_date = models.DateTimeField(default=timezone.now)
    end_date = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    freelancer_user_id = models.CharField(max_length=60)
    freelancer_display_name = models.CharField(max_length=100)
    freelancer_country = models.CharField(max_length=100, blank=True)
    freelancer_profile_path = models.CharField(max_length=200, blank=True)
    # Usage reported by the annotation platform, for the budget.
    consumed_seconds = models.PositiveBigIntegerField(default=0)
    consumed_labels = models.PositiveBigIntegerField(default=0)
    consumed_tasks = models.PositiveBigIntegerField(default=0)
    last_usage_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.title

    @property
    def is_active(self) -> bool:
        return self.status == self.ACTIVE

    def end(self, now=None):
        now = now or timezone.now()
        self.status = self.ENDED
        self.end_date = now
        self.updated_at = now
        self.save(update_fields=["status", "end_date", "updated_at"])


class Milestone(models.Model):
    NOT_FUNDED = "NOT_FUNDED"
    ACTIVE_FUNDED = "ACTIVE_FUNDED"
    PAID = "PAID"
    CANCELLED = "CANCELLED"
    REFUNDED = "REFUNDED"
    STATUSES = [(s, s) for s in (NOT_FUNDED, ACTIVE_FUNDED, PAID, CANCELLED, REFUNDED)]
    # The API drops these from contract timelines, like the app does.
    HIDDEN = (CANCELLED, REFUNDED)

    id = models.CharField(primary_key=True, max_length=60, default=new_milestone_id)
    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="milestones")
    number = models.PositiveIntegerField()
    name = models.CharField(max_length=200, blank=True)
    description = models.TextField()
    status = models.CharField(max_length=20, choices=STATUSES, default=NOT_FUNDED)
    amount_usd = models.DecimalField(max_digits=12, decimal_places=2)
    volume = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    due_date = models.DateField(null=True, blank=True)
    pending_approval = models.BooleanField(default=False)
    needs_review = models.BooleanField(default=False)
    invoice_id = models.CharField(max_length=60, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "number"], name="sandbox_milestone_number")
        ]

    def __str__(self):
        return f"#{self.number} {self.name or self.description[:40]}"


class Approval(models.Model):
    MILESTONE_FUND = "milestone_fund"
    MILESTONE_APPROVE = "milestone_approve"
    CONTRACT_END = "contract_end"
    TYPES = [
        (MILESTONE_FUND, "Fund a milestone"),
        (MILESTONE_APPROVE, "Release a milestone payment"),
        (CONTRACT_END, "End a contract"),
    ]

    PENDING = "pending"
    CONFIRMED = "confirmed"
    DECLINED = "declined"
    EXPIRED = "expired"
    STATUSES = [(s, s) for s in (PENDING, CONFIRMED, DECLINED, EXPIRED)]

    id = models.CharField(primary_key=True, max_length=60, default=new_approval_id)
    type = models.CharField(max_length=30, choices=TYPES)
    status = models.CharField(max_length=20, choices=STATUSES, default=PENDING)
    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="approvals")
    milestone = models.ForeignKey(
        Milestone, on_delete=models.CASCADE, null=True, blank=True, related_name="approvals"
    )
    token = models.ForeignKey(Token, on_delete=models.SET_NULL, null=True, blank=True)
    # The invoice a funding or payout waits on: `payment.pending` and `GET /payments/pending`.
    invoice_id = models.CharField(max_length=60, blank=True)
    expires_at = models.DateTimeField(default=approval_expiry)
    resolved_at = models.DateTimeField(null=True, blank=True)
    result = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.type} {self.id} ({self.status})"


class Event(models.Model):
    """One entry of an account's updates feed; the sequence orders the feed and its cursor."""

    CONTRACT_CREATED = "contract.created"
    CONTRACT_ENDED = "contract.ended"
    MILESTONE_STATUS_CHANGED = "milestone.status_changed"
    PAYMENT_PENDING = "payment.pending"
    APPROVAL_CONFIRMED = "approval.confirmed"
    BUDGET_STATE_CHANGED = "contract.budget_state_changed"
    # Every documented type and the scope a token needs to read it.
    READ_SCOPES = {
        CONTRACT_CREATED: "payments:read",
        CONTRACT_ENDED: "payments:read",
        MILESTONE_STATUS_CHANGED: "payments:read",
        PAYMENT_PENDING: "payments:read",
        APPROVAL_CONFIRMED: "payments:read",
        BUDGET_STATE_CHANGED: "payments:read",
        "proposal.received": "proposals:read",
        "proposal.status_changed": "proposals:read",
        "message.received": "messages:read",
    }

    sequence = models.BigAutoField(primary_key=True)
    event_id = models.CharField(max_length=60, unique=True, default=new_event_id)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(max_length=60)
    created_at = models.DateTimeField(default=timezone.now)
    resource_id = models.CharField(max_length=60)
    job_id = models.CharField(max_length=60, blank=True)
    data = models.JSONField(default=dict)

    class Meta:
        ordering = ["sequence"]
        indexes = [models.Index(fields=["account", "sequence"], name="sandbox_event_feed")]

    def __str__(self):
        return f"{self.type} {self.event_id}"

    @classmethod
    def record(cls, account_id, type, *, resource_id, job_id="", data) -> list["Delivery"]:
        """Write an event and one delivery per webhook that wants it, inside the caller's
        transaction; return the deliveries. Sending them is not done here (see `events`).

        The account row is locked first, so an account's events commit in sequence order and a
        feed reader never skips one that commits late.
        """
        with transaction.atomic():
            Account.objects.select_for_update().filter(pk=account_id).first()
            event = cls.objects.create(
                account_id=account_id,
                type=type,
                resource_id=resource_id,
                job_id=job_id or "",
                data=data,
            )
            hooks = [
                hook
                for hook in Webhook.objects.filter(account_id=account_id, status=Webhook.ACTIVE)
                if type in hook.event_types
            ]
            return Delivery.objects.bulk_create(
                Delivery(webhook=hook, event=event, next_attempt_at=event.created_at)
                for hook in hooks
            )


class Webhook(models.Model):
    ACTIVE = "ACTIVE"
    DISABLED = "DISABLED"
    STATUSES = [(ACTIVE, ACTIVE), (DISABLED, DISABLED)]
    # Consecutive failed attempts (over all its deliveries) before a webhook is switched off.
    DISABLE_AFTER = 10

    id = models.CharField(primary_key=True, max_length=60, default=new_webhook_id)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField(max_length=2048)
    event_types = models.JSONField(default=list)
    secret = models.CharField(max_length=100, default=new_webhook_secret)
    status = models.CharField(max_length=10, choices=STATUSES, default=ACTIVE)
    created_at = models.DateTimeField(default=timezone.now)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=200, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.url} ({self.status})"


class Delivery(models.Model):
    """One event for one webhook: its attempts so far and when the next one is due."""

    # Attempts in all: the first, then one after each back-off step.
    MAX_ATTEMPTS = 5

    delivery_id = models.CharField(max_length=60, unique=True, default=new_delivery_id)
    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    attempts = models.PositiveSmallIntegerField(default=0)
    last_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    # Null once delivered or given up.
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["webhook", "event"], name="sandbox_delivery_once")
        ]

    def __str__(self):
        return f"{self.delivery_id} ({self.attempts} attempts)"


class OutboxMessage(models.Model):
    """An e-mail the dashboard sent while in sandbox mode with no EMAIL_URL (outbox.py)."""

    to = models.TextField()  # the addresses, comma-separated
    from_email = models.CharField(max_length=300)
    subject = models.TextField()
    text = models.TextField(blank=True)
    html = models.TextField(blank=True)
    # The headers a reader checks (List-Unsubscribe, ...), as sent.
    headers = models.JSONField(default=dict, blank=True)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-sent_at", "-id"]

    def __str__(self):
        return f"{self.subject} (to {self.to})"


class ChatMessage(models.Model):
    """A team chat message the dashboard posted to the sandbox's Slack-style receiver."""

    slug = models.SlugField(max_length=80)
    payload = models.JSONField(default=dict)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-received_at", "-id"]

    def __str__(self):
        return f"#{self.slug} at {self.received_at:%Y-%m-%d %H:%M}"

    @property
    def text(self) -> str:
        text = self.payload.get("text") if isinstance(self.payload, dict) else None
        return text if isinstance(text, str) else ""
