"""Urgent items reach the people and channels that want them at once: one message per open spell,
nothing more while it stays open, a new one when it opens again, nothing once it closed."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from dashboard.mirror.models import Account, BudgetSnapshot, Contract
from dashboard.models import Approval, Submission
from dashboard.notify import watch
from dashboard.notify.models import URGENT_KINDS, Channel, Notice, Preference
from sandbox import demo
from tests import notify_helpers
from tests.notify_helpers import LABELS, person, refill, use_everything, worker_runs

DEPLETED_SUBJECT = "Budget depleted: Spanish Sentiment Labels (per label)"


@pytest.fixture(autouse=True)
def _every_test_has_the_sandbox(sandbox):
    """The seeded owner account, synced: its per-label contract's budget is depleted."""


def without_digest(user, **choices):
    """The person's choices, the digest off: the tests here are about urgent e-mails."""
    defaults = {"digest": False, "urgent_kinds": list(URGENT_KINDS), **choices}
    Preference.objects.update_or_create(user=user, defaults=defaults)
    return user


def mails_to(address: str) -> list[str]:
    return [m.subject for m in mail.outbox if address in m.to]


def test_a_depleted_budget_emails_every_person_with_an_address_once(viewer):
    ann = without_digest(person("ann"))
    ben = without_digest(person("ben"))
    viewer.email = "viewer@example.com"
    without_digest(viewer)
    viewer.save()
    person("nobody", email="")

    worker_runs()

    assert mails_to("ann@example.com") == [DEPLETED_SUBJECT]
    assert mails_to("ben@example.com") == [DEPLETED_SUBJECT]
    assert mails_to("viewer@example.com") == [DEPLETED_SUBJECT]
    assert len(mail.outbox) == 3
    assert {ann.pk, ben.pk} <= set(Notice.objects.values_list("user", flat=True))


def test_later_syncs_of_the_same_open_item_send_nothing_more():
    without_digest(person("ann"))
    worker_runs()
    notify_helpers.sync_account()
    worker_runs()
    worker_runs()

    assert mails_to("ann@example.com") == [DEPLETED_SUBJECT]


def test_an_item_that_closes_and_opens_again_is_sent_again():
    without_digest(person("ann"))
    worker_runs()
    refill(LABELS)
    worker_runs()
    use_everything(LABELS)
    worker_runs()

    assert mails_to("ann@example.com") == [DEPLETED_SUBJECT, DEPLETED_SUBJECT]


def test_an_item_that_closes_before_its_send_is_not_sent():
    without_digest(person("ann"))
    watch.scan()  # the notice is queued...
    refill(LABELS)  # ...and the budget is refilled before the worker sends it
    worker_runs()

    assert mails_to("ann@example.com") == []
    notice = Notice.objects.get()
    assert notice.state == Notice.State.CANCELLED
    assert notice.error == "The item was resolved before it was sent."


def test_each_channel_subscribed_to_budgets_gets_one_message(receiver):
    Channel.objects.create(name="ops", url=receiver.url, kinds=["budget"])
    Channel.objects.create(name="approvals-only", url=receiver.url + "/other", kinds=["approval"])

    worker_runs()
    worker_runs()

    assert len(receiver.received) == 1
    assert DEPLETED_SUBJECT in receiver.received[0]["text"]
    assert Notice.objects.get(channel__name="ops").state == Notice.State.SENT
    assert not Notice.objects.filter(channel__name="approvals-only").exists()


def test_a_person_who_turned_a_kind_off_or_paused_gets_nothing():
    without_digest(person("ann"), urgent_kinds=["approval", "unclear", "sync"])
    without_digest(person("ben"), paused_until=timezone.now() + timedelta(days=2))
    without_digest(person("cat"))

    worker_runs()

    assert mails_to("ann@example.com") == []
    assert mails_to("ben@example.com") == []
    assert mails_to("cat@example.com") == [DEPLETED_SUBJECT]


def test_a_person_who_pauses_after_the_alert_opened_is_not_sent_it():
    ann = without_digest(person("ann"))
    watch.scan()
    Preference.objects.filter(user=ann).update(paused_until=timezone.now() + timedelta(days=1))
    worker_runs()

    assert mails_to("ann@example.com") == []
    assert Notice.objects.get(user=ann).error == "Notifications are paused."


def approval(expires_in: timedelta) -> Approval:
    account = Account.objects.get()
    return Approval.objects.create(
        approval_id=f"apr_{expires_in.total_seconds():.0f}",
        type="MILESTONE_FUNDING",
        status="pending",
        contract_id=LABELS,
        contract_title="Spanish Sentiment Labels (per label)",
        approval_url="https://app.opentrain.ai/approvals/apr_1",
        expires_at=timezone.now() + expires_in,
        token_fingerprint=account.fingerprint,
    )


def test_an_approval_expiring_within_a_day_is_urgent_and_one_expiring_later_is_not():
    without_digest(person("ann"), urgent_kinds=["approval"])
    approval(timedelta(hours=5))
    approval(timedelta(hours=30))

    worker_runs()

    subjects = mails_to("ann@example.com")
    assert len(subjects) == 1
    assert subjects[0].startswith("Approval expires in 4 h: Spanish Sentiment Labels")


def unclear_submission(sent_ago: timedelta) -> Submission:
    submission = Submission.objects.create(
        key=uuid.uuid4(),
        contract_id=LABELS,
        contract_title="Spanish Sentiment Labels (per label)",
        payment_type="PAY_PER_LABEL",
        payload={"name": "Week 3", "volume": 2000},
        state=Submission.State.UNKNOWN,
    )
    Submission.objects.filter(pk=submission.pk).update(created_at=timezone.now() - sent_ago)
    return submission


def test_a_write_unclear_for_more_than_an_hour_is_urgent(sandbox):
    without_digest(person("ann"), urgent_kinds=["unclear"])
    unclear_submission(timedelta(minutes=30))
    worker_runs()
    assert mails_to("ann@example.com") == []

    unclear_submission(timedelta(hours=2))
    worker_runs()

    assert mails_to("ann@example.com") == [
        "Not known whether “Week 3” was created: Spanish Sentiment Labels (per label)"
    ]


def test_a_sync_failing_for_more_than_half_an_hour_is_urgent():
    without_digest(person("ann"), urgent_kinds=["sync"])
    account = Account.objects.get()
    account.record_failure("OpenTrain did not answer.", "req_123")
    worker_runs()
    assert mails_to("ann@example.com") == []  # the last success was moments ago

    Account.objects.filter(pk=account.pk).update(synced_at=timezone.now() - timedelta(minutes=45))
    worker_runs()

    subjects = mails_to("ann@example.com")
    assert len(subjects) == 1
    assert subjects[0].startswith("Sync with OpenTrain failing for 45 min")
    assert demo.ACCOUNTS[demo.OWNER]["name"] in subjects[0]


def test_a_low_budget_with_less_than_a_day_left_is_urgent_and_one_with_more_is_not():
    without_digest(person("ann"), urgent_kinds=["budget"])
    Notice.objects.all().delete()
    row = Contract.objects.get(contract_id=notify_helpers.HOURLY)  # 10 of 80 hours left
    first = row.budget_history.get()
    first.observed_at, first.consumed_volume = timezone.now() - timedelta(days=10), Decimal(50)
    first.save()
    latest = BudgetSnapshot.objects.create(
        contract=row, state="LOW", consumed_volume=Decimal(70), observed_at=timezone.now()
    )
    worker_runs()  # 20 hours a week: 10 hours last about 4 days
    assert [s for s in mails_to("ann@example.com") if "Medical" in s] == []

    latest.consumed_volume = Decimal(140)  # 90 hours in a week: 10 hours last under a day
    latest.save()
    worker_runs()

    assert "Budget runs out within a day: Medical Transcript QA (hourly)" in mails_to(
        "ann@example.com"
    )
