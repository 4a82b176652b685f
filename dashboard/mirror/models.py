"""The local mirror of each OpenTrain account: what every page reads, kept current by the worker.

Rows are keyed by OpenTrain's IDs within an account, so applying the same answer twice changes
nothing. An account is named by its token's fingerprint; the token itself is never stored.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Exists, F, OuterRef
from django.db.models.functions import TruncDate
from django.utils import timezone

from dashboard import opentrain
from dashboard.opentrain.vocabulary import UNITS

# A moment the clock never reaches: a score that time alone does not change.
NEVER = datetime(9999, 12, 31, tzinfo=UTC)


class Account(models.Model):
    """One mirrored OpenTrain account, and the state of its sync."""

    fingerprint = models.CharField(max_length=64, unique=True)
    label = models.CharField(max_length=200, blank=True)
    # The updates feed's cursor: advanced only after the events before it were applied.
    cursor = models.CharField(max_length=500, blank=True)
    # Bumped on every change applied; open pages poll it to know when to redraw.
    version = models.PositiveBigIntegerField(default=0)
    synced_at = models.DateTimeField(null=True, blank=True, help_text="Last successful sync.")
    full_synced_at = models.DateTimeField(null=True, blank=True)
    attempted_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True, help_text="Why the last sync failed, in words.")
    error_request_id = models.CharField(max_length=100, blank=True)
    # What the token may do (GET /auth/me, capabilities), for the forms' hints.
    access = models.JSONField(default=dict, blank=True)
    # A worker holds the lease while it syncs, so two workers never apply the same feed at once.
    lease_until = models.DateTimeField(null=True, blank=True)
    lease_owner = models.CharField(max_length=64, blank=True)
    # Set when work arrives while another worker holds the lease: it syncs once more.
    dirty = models.BooleanField(default=False)
    # The last "Check again" that asked OpenTrain: the next waits (access.RECHECK_EVERY).
    rechecked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return self.label or self.fingerprint[:12]

    @property
    def ever_synced(self) -> bool:
        return self.synced_at is not None

    def bump(self) -> None:
        Account.objects.filter(pk=self.pk).update(version=F("version") + 1)

    def take_lease(self, owner: str, seconds: float = 120) -> bool:
        now = timezone.now()
        taken = (
            Account.objects.filter(pk=self.pk)
            .filter(
                models.Q(lease_until__isnull=True)
                | models.Q(lease_until__lt=now)
                | models.Q(lease_owner=owner)
            )
            .update(lease_until=now + timedelta(seconds=seconds), lease_owner=owner, dirty=False)
        )
        if not taken:
            Account.objects.filter(pk=self.pk).update(dirty=True)
        return bool(taken)

    def renew_lease(self, seconds: float = 120) -> bool:
        """Keep the lease this object's sync holds, for a reconciliation that outlasts it; False
        when it is no longer ours."""
        renewed = Account.objects.filter(pk=self.pk, lease_owner=self.lease_owner).update(
            lease_until=timezone.now() + timedelta(seconds=seconds)
        )
        return bool(self.lease_owner and renewed)

    def release_lease(self, owner: str) -> bool:
        """Give the lease back; True when work arrived meanwhile and a new sync is due."""
        Account.objects.filter(pk=self.pk, lease_owner=owner).update(
            lease_until=None, lease_owner=""
        )
        return Account.objects.filter(pk=self.pk, dirty=True).exists()

    def record_success(self, *, full: bool = False) -> None:
        now = timezone.now()
        fields = {"synced_at": now, "attempted_at": now, "error": "", "error_request_id": ""}
        if full:
            fields["full_synced_at"] = now
        Account.objects.filter(pk=self.pk).update(**fields)
        for name, value in fields.items():
            setattr(self, name, value)

    def record_failure(self, message: str, request_id: str | None) -> None:
        now = timezone.now()
        Account.objects.filter(pk=self.pk).update(
            attempted_at=now, error=message[:2000], error_request_id=(request_id or "")[:100]
        )
        self.attempted_at, self.error, self.error_request_id = now, message, request_id or ""

    def claim_recheck(self, every: timedelta) -> datetime | None:
        """None when this request may check the setup again now (and the moment is stored, in
        the database, so every process sees it); else when the next check may be made."""
        now = timezone.now()
        claimed = (
            Account.objects.filter(pk=self.pk)
            .filter(models.Q(rechecked_at__isnull=True) | models.Q(rechecked_at__lte=now - every))
            .update(rechecked_at=now)
        )
        if claimed:
            self.rechecked_at = now
            return None
        self.rechecked_at = Account.objects.values_list("rechecked_at", flat=True).get(pk=self.pk)
        return self.rechecked_at + every

    def save_cursor(self, cursor: str) -> None:
        Account.objects.filter(pk=self.pk).update(cursor=cursor)
        self.cursor = cursor


class ContractQuerySet(models.QuerySet):
    def for_account(self, account: Account | None):
        return self.filter(account=account) if account is not None else self.none()

    def results(self) -> list[opentrain.Contract]:
        return [row.as_result() for row in self]


class Contract(models.Model):
    """A contract as OpenTrain last described it (the detail read, with budget and milestones)."""

    # Indexed by the unique (account, contract_id) and every list index, all led by the account.
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="contracts", db_index=False
    )
    contract_id = models.CharField(max_length=200)
    title = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=40, blank=True)
    payment_type = models.CharField(max_length=40, blank=True)
    rate_usd = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    estimated_total_usd = models.DecimalField(
        max_digits=14, decimal_places=2, null=True, blank=True
    )
    freelancer_name = models.CharField(max_length=200, blank=True)
    freelancer_country = models.CharField(max_length=100, blank=True)
    # Lower-cased title, trainer and country: what the list's search looks in.
    search_text = models.TextField(blank=True)
    budget_state = models.CharField(max_length=20, blank=True)
    consumed_fraction = models.DecimalField(max_digits=9, decimal_places=4, null=True, blank=True)
    remaining_volume = models.DecimalField(max_digits=16, decimal_places=4, null=True, blank=True)
    upstream_created_at = models.DateTimeField(null=True, blank=True)
    upstream_updated = models.CharField(max_length=40, blank=True, help_text="updatedAt as sent.")
    has_budget = models.BooleanField(default=False, help_text="Read from GET /contracts/{id}.")
    # What the list shows and sorts by, so it never parses `data` (see mirror/attention.py).
    remaining_usd = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    last_activity_at = models.DateTimeField(null=True, blank=True)
    milestone_count = models.PositiveIntegerField(default=0)
    latest_milestone_status = models.CharField(max_length=40, blank=True)
    attention_flags = models.PositiveSmallIntegerField(
        default=0, help_text="The reasons that do not depend on the clock, as bits."
    )
    overdue_at = models.DateTimeField(
        null=True, blank=True, help_text="Earliest due date of an unpaid milestone."
    )
    unfunded_since = models.DateTimeField(
        null=True, blank=True, help_text="Creation of a milestone not funded (attention.py)."
    )
    unfunded_due_at = models.DateTimeField(null=True, blank=True, help_text="And its due date.")
    attention_score = models.PositiveSmallIntegerField(
        default=0, help_text="Every reason as bits, as of its last refresh (attention.py)."
    )
    attention_next_at = models.DateTimeField(
        default=NEVER, help_text="When the clock next changes the score."
    )
    # Money in the vocabulary's four words (SPEND_TERMS), from this answer (mirror/money.py);
    # `used_usd` is None when it cannot be known: no rate, or a budget never read.
    committed_usd = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    funded_usd = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    used_usd = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    paid_usd = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    data = models.JSONField(encoder=DjangoJSONEncoder, default=dict)
    synced_at = models.DateTimeField(auto_now=True)

    objects = ContractQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "contract_id"], name="mirror_contract_once")
        ]
        # Each sort of the list: its column, then the ID (the tie-breaker), read from the index
        # forwards or backwards (PostgreSQL's descending, NULLS LAST twins: migrations 0002, 0005).
        indexes = [
            models.Index(
                fields=["account", "upstream_created_at", "id"], name="mirror_contract_newest"
            ),
            # The filters and a search, answered from the index alone (its text is short:
            # store.SEARCH_TEXT_CAP); it serves the payment-model filter alone too.
            models.Index(
                fields=["account", "payment_type", "status", "search_text"],
                name="mirror_contract_search",
            ),
            models.Index(fields=["account", "title", "id"], name="mirror_contract_title"),
            models.Index(fields=["account", "rate_usd", "id"], name="mirror_contract_rate"),
            models.Index(
                fields=["account", "remaining_usd", "id"], name="mirror_contract_remaining"
            ),
            models.Index(
                fields=["account", "last_activity_at", "id"], name="mirror_contract_activity"
            ),
            models.Index(
                fields=["account", "attention_score", "id"], name="mirror_contract_attention"
            ),
            # "Needs attention", newest first: the few contracts with a score, in order.
            models.Index(
                fields=["account", "upstream_created_at", "id"],
                condition=models.Q(attention_score__gt=0),
                name="mirror_contract_needing",
            ),
            # The refresh's look for scores whose moment has come (attention.py).
            models.Index(fields=["account", "attention_next_at"], name="mirror_contract_next"),
            # The inbox's depleted and low budgets, counted from the index alone.
            models.Index(
                fields=["account", "status", "budget_state"], name="mirror_contract_budget"
            ),
            # The spend page's totals and "runs out first", from the index alone (migration 0013).
            models.Index(
                fields=[
                    *("account", "payment_type", "status", "committed_usd", "funded_usd"),
                    *("used_usd", "paid_usd", "rate_usd", "id"),
                ],
                name="mirror_contract_money",
            ),
            models.Index(
                fields=[
                    *("account", "status", "payment_type", "last_activity_at", "has_budget"),
                    *("consumed_fraction", "remaining_volume", "id"),
                ],
                name="mirror_contract_runs_out",
            ),
        ]

    def __str__(self):
        return self.title or self.contract_id

    # What a row of the contract list shows: the list reads these columns alone (`.only()`).
    LISTED = (
        "contract_id",
        "title",
        "status",
        "payment_type",
        "rate_usd",
        "freelancer_name",
        "freelancer_country",
        "has_budget",
        "budget_state",
        "consumed_fraction",
        "remaining_usd",
        "last_activity_at",
        "milestone_count",
        "latest_milestone_status",
        "attention_score",
    )

    @property
    def listed(self) -> tuple:
        """The row's values, in one: the key of its rendered row in the list's fragment cache, so
        a row that changed in any way is a new key (nothing to invalidate)."""
        return (self.pk, *(getattr(self, name) for name in self.LISTED))

    @property
    def is_active(self) -> bool:
        return self.status == "active"

    @property
    def percent_used(self) -> int | None:
        """The budget used in whole percent, for a model that counts units (not fixed price)."""
        if self.consumed_fraction is None or self.payment_type not in UNITS:
            return None
        return round(float(self.consumed_fraction) * 100)

    def as_result(self) -> opentrain.Contract:
        return opentrain.Contract.from_api(self.data)


class Milestone(models.Model):
    # Indexed by the unique (contract, milestone_id).
    contract = models.ForeignKey(
        Contract, on_delete=models.CASCADE, related_name="milestone_rows", db_index=False
    )
    milestone_id = models.CharField(max_length=200)
    number = models.IntegerField(null=True, blank=True)
    name = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=40, blank=True)
    amount_usd = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    volume = models.DecimalField(max_digits=16, decimal_places=4, null=True, blank=True)
    due_date = models.DateTimeField(null=True, blank=True)
    needs_review = models.BooleanField(default=False)
    pending_approval = models.BooleanField(default=False)
    upstream_created_at = models.DateTimeField(null=True, blank=True)
    # When the dashboard saw the money move (mirror/money.py): the API sends no such moment.
    funded_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "milestone_id"], name="mirror_milestone_once"
            )
        ]
        # One index of their own: approvals and pending payments name a milestone by its ID
        # alone (a payment names no contract), and without it the inbox read the whole unique
        # index to find them (15 ms at 150,000 milestones). Every index is another write for
        # each milestone a reconciliation stores: no more than that one.
        indexes = [models.Index(fields=["milestone_id"], name="mirror_milestone_id")]
        ordering = ["number", "upstream_created_at"]

    def __str__(self):
        return f"#{self.number} {self.name}"


class SnapshotQuerySet(models.QuerySet):
    def thin(self, before: datetime, since: datetime | None = None) -> int:
        """Keep, of these snapshots observed before `before` (and from `since`), the last of each
        contract's day in TIME_ZONE; returns how many went."""
        day = TruncDate("observed_at", tzinfo=timezone.get_current_timezone())
        old = self.filter(observed_at__lt=before)
        if since is not None:
            old = old.filter(observed_at__gte=since)
        later = BudgetSnapshot.objects.annotate(day=day).filter(
            contract=OuterRef("contract"),
            day=OuterRef("day"),
            observed_at__gt=OuterRef("observed_at"),
            observed_at__lt=before,
        )
        deleted, _ = old.annotate(day=day).filter(Exists(later)).delete()
        return deleted


class BudgetSnapshot(models.Model):
    """One row per observed change of a contract's consumed volume or budget state, one per clock
    hour at most (mirror/store.py), thinned to one a day after 30 days (mirror/tasks.py)."""

    # Indexed by (contract, observed_at).
    contract = models.ForeignKey(
        Contract, on_delete=models.CASCADE, related_name="budget_history", db_index=False
    )
    observed_at = models.DateTimeField(default=timezone.now)
    state = models.CharField(max_length=20, blank=True)
    funded_volume = models.DecimalField(max_digits=16, decimal_places=4, null=True, blank=True)
    consumed_volume = models.DecimalField(max_digits=16, decimal_places=4, null=True, blank=True)
    consumed_fraction = models.DecimalField(max_digits=9, decimal_places=4, null=True, blank=True)

    objects = SnapshotQuerySet.as_manager()

    class Meta:
        ordering = ["contract", "observed_at", "id"]
        indexes = [models.Index(fields=["contract", "observed_at"], name="mirror_budget_when")]

    def __str__(self):
        return f"{self.state} {self.consumed_volume} at {self.observed_at:%Y-%m-%d %H:%M}"


class SpendMonth(models.Model):
    """Money funded and paid in one month (cut in TIME_ZONE), per payment model and contract
    status: kept up to date as milestones are written (mirror/money.py), so the spend page sums
    a dozen rows, never every milestone."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, db_index=False)
    month = models.DateField(help_text="Its first day.")
    payment_type = models.CharField(max_length=40)
    contract_status = models.CharField(max_length=40)
    funded_usd = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    paid_usd = models.DecimalField(max_digits=16, decimal_places=2, default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "month", "payment_type", "contract_status"],
                name="mirror_spend_month_once",
            )
        ]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.payment_type} {self.contract_status}"


class SpendDay(models.Model):
    """Money used in one day (TIME_ZONE), per payment model and contract status: the changes of
    the contracts' `used_usd` the dashboard saw, for the burn over the last 7 and 30 days."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, db_index=False)
    day = models.DateField()
    payment_type = models.CharField(max_length=40)
    contract_status = models.CharField(max_length=40)
    used_usd = models.DecimalField(max_digits=16, decimal_places=2, default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "day", "payment_type", "contract_status"],
                name="mirror_spend_day_once",
            )
        ]

    def __str__(self):
        return f"{self.day} {self.payment_type} {self.contract_status}"


class InboxItem(models.Model):
    """One thing a contract's answer says needs the PM (an inbox group's item), written with the
    contract (`mirror/attention.py`, `items`). An item that starts or ends with time passing (a due
    date, a day unfunded) carries when, so the inbox reads what is open now with one indexed query
    and no per-contract work. The items of the dashboard's own approvals are not here."""

    # Indexed by mirror_inbox_open, led by the account.
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="inbox_items", db_index=False
    )
    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="inbox_items")
    kind = models.CharField(max_length=20)
    key = models.CharField(max_length=250, help_text="What snoozing it stores: kind:ID.")
    starts_at = models.DateTimeField(help_text="Open from (long ago for most).")
    ends_at = models.DateTimeField(null=True, blank=True, help_text="Open until, if it ends.")
    position = models.CharField(max_length=500, blank=True, help_text="Order within its group.")
    # A milestone's item: which, as the page names it, and what it is at.
    milestone_ref = models.CharField(max_length=200, blank=True, help_text="OpenTrain's ID.")
    milestone_label = models.CharField(max_length=520, blank=True)
    milestone_status = models.CharField(max_length=40, blank=True)
    marked = models.BooleanField(default=False, help_text="Marked for review.")
    since = models.DateTimeField(null=True, blank=True, help_text="Due, or created.")
    # At stake: the milestone's amount, the milestones' total (over-committed), or the last
    # milestone's amount and volume (a budget's next batch).
    amount_usd = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    volume = models.DecimalField(max_digits=16, decimal_places=4, null=True, blank=True)

    class Meta:
        # Everything the inbox's count and order read, so they read this index and not the rows.
        indexes = [
            models.Index(
                fields=["account", "starts_at", "ends_at", "kind", "position", "key"],
                name="mirror_inbox_open",
            ),
        ]

    def __str__(self):
        return self.key


class PendingPayment(models.Model):
    """An invoice waiting on the account (GET /payments/pending), replaced on every read."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="pending_payments")
    payment_id = models.CharField(max_length=200)
    status = models.CharField(max_length=40, blank=True)
    amount_usd = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    milestone_id = models.CharField(max_length=200, blank=True)
    job_title = models.CharField(max_length=500, blank=True)
    upstream_created_at = models.DateTimeField(null=True, blank=True)
    data = models.JSONField(encoder=DjangoJSONEncoder, default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "payment_id"], name="mirror_payment_once")
        ]

    def __str__(self):
        return f"{self.payment_id} {self.status}"


class WebhookSubscription(models.Model):
    """A webhook the dashboard registered itself, with the secret OpenTrain showed once."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="webhooks")
    webhook_id = models.CharField(max_length=200, unique=True)
    url = models.URLField(max_length=2048)
    secret = models.CharField(max_length=200)
    event_types = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.webhook_id} -> {self.url}"


class Delivery(models.Model):
    """A webhook delivery received, once per X-OpenTrain-Delivery."""

    delivery_id = models.CharField(max_length=200, unique=True)
    account = models.ForeignKey(Account, null=True, on_delete=models.SET_NULL)
    event_type = models.CharField(max_length=80, blank=True)
    event = models.JSONField(default=dict)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at", "-id"]

    def __str__(self):
        return f"{self.delivery_id} {self.event_type}"
