"""Doing what the inbox asks (in the sandbox) takes the item away after the next sync; snooze
hides it for a day."""

from datetime import timedelta

import pytest
from django.utils import timezone

from dashboard.inbox import GROUP_LIMIT
from dashboard.models import Snooze
from sandbox.models import Approval as SandboxApproval
from sandbox.models import Milestone as SandboxMilestone
from tests.inbox_helpers import decide, inbox, item, keys, request_handoff
from tests.mirror_helpers import apply_approval, sync_account

HOURLY_38 = ("ms_owner_hourly_38_1", "ctr_owner_hourly_38")


@pytest.fixture(autouse=True)
def _every_test_has_the_sandbox(sandbox):
    """Each test here acts on the seeded owner account through the sandbox."""


def test_asking_for_funding_turns_the_overdue_item_into_a_waiting_approval(pm):
    approval_id = request_handoff(pm, "milestone_fund", *HOURLY_38)
    html = inbox(pm)
    assert "overdue:ms_owner_hourly_38_1" not in html
    waiting = item(html, f"approval:{approval_id}")
    assert "Fund milestone waits for a person" in waiting and "$760.00" in waiting
    assert f'href="/approvals/{approval_id}/">Open the approval' in waiting
    assert 'data-copy="http://localhost:' in waiting and f"/approvals/{approval_id}/" in waiting
    assert "mailto:?subject=Please%20confirm%20in%20OpenTrain" in waiting
    assert "expires in" in waiting and "asked" in waiting
    assert "payment:" not in html  # the pending payment is this approval: shown once


def test_a_confirmed_funding_leaves_the_waiting_list_after_the_sync(pm):
    approval_id = request_handoff(pm, "milestone_fund", *HOURLY_38)
    decide(pm, approval_id, "confirm")
    sync_account()
    html = inbox(pm)
    assert f"approval:{approval_id}" not in html
    assert "no_funded:ctr_owner_hourly_38" not in html


def test_an_approval_expiring_within_hours_is_urgent(pm):
    approval_id = request_handoff(pm, "milestone_fund", *HOURLY_38)
    SandboxApproval.objects.filter(id=approval_id).update(
        expires_at=timezone.now() + timedelta(hours=3, minutes=30)
    )
    apply_approval(approval_id)
    waiting = item(inbox(pm), f"approval:{approval_id}")
    assert 'class="inbox-item urgent"' in waiting
    assert '<span class="urgent-text">expires in 3 h</span>' in waiting


def test_a_declined_funding_asks_to_ask_again_and_asking_again_clears_it(pm):
    approval_id = request_handoff(pm, "milestone_fund", *HOURLY_38)
    decide(pm, approval_id, "decline")
    again = item(inbox(pm), f"ask_again:{approval_id}")
    assert "Fund milestone was declined" in again
    assert (
        'href="/milestones/ms_owner_hourly_38_1/fund/?contract=ctr_owner_hourly_38">Ask again'
        in again
    )

    second = request_handoff(pm, "milestone_fund", *HOURLY_38)
    html = inbox(pm)
    assert f"ask_again:{approval_id}" not in html
    item(html, f"approval:{second}")


def test_a_payout_for_reviewed_work_clears_the_review_item_once_confirmed(pm):
    approval_id = request_handoff(
        pm, "milestone_approve", "ms_owner_fixed_1250_2", "ctr_owner_fixed_1250"
    )
    assert "review:ms_owner_fixed_1250_2" not in inbox(pm)
    decide(pm, approval_id, "confirm")
    sync_account()
    html = inbox(pm)
    assert "review:ms_owner_fixed_1250_2" not in html
    assert f"approval:{approval_id}" not in html


def test_a_new_funded_batch_ends_the_depleted_budget(pm):
    contract_id = "ctr_owner_label_007"
    milestone = SandboxMilestone.objects.create(
        contract_id=contract_id,
        number=4,
        name="Batch C",
        description="More labels.",
        amount_usd=350,
        volume=5000,
    )
    approval_id = request_handoff(pm, "milestone_fund", milestone.id, contract_id)
    decide(pm, approval_id, "confirm")
    sync_account()
    assert "depleted:ctr_owner_label_007" not in inbox(pm)


def test_a_payment_waiting_in_opentrain_shows_with_its_amount(pm):
    milestone = SandboxMilestone.objects.get(id="ms_owner_label_035_1")
    SandboxApproval.objects.create(
        type=SandboxApproval.MILESTONE_FUND,
        contract=milestone.contract,
        milestone=milestone,
        invoice_id="inv_outside_1",
    )
    sync_account()
    payment = item(inbox(pm), "payment:inv_outside_1")
    assert "A funding waits in OpenTrain" in payment and "$350.00" in payment
    assert 'href="/contracts/ctr_owner_label_035/">Open the contract' in payment


def test_many_invoices_are_all_counted_five_shown_and_a_snoozed_one_leaves_the_count(pm):
    milestones = SandboxMilestone.objects.filter(
        contract__account__key="owner", contract__status="active"
    ).order_by("id")[: GROUP_LIMIT + 2]
    for number, milestone in enumerate(milestones):
        SandboxApproval.objects.create(
            type=SandboxApproval.MILESTONE_FUND,
            contract=milestone.contract,
            milestone=milestone,
            invoice_id=f"inv_many_{number}",
        )
    sync_account()
    invoices = [f"payment:inv_many_{number}" for number in range(GROUP_LIMIT + 2)]

    html = inbox(pm)
    assert [key for key in keys(html) if key in invoices] == invoices[:GROUP_LIMIT]
    assert f'Pending payments <span class="muted">({len(invoices)})</span>' in html
    everything = keys(pm.get("/?all=payment").content.decode())
    assert [key for key in everything if key in invoices] == invoices

    pm.post("/inbox/snooze/", {"key": invoices[0]})
    html = inbox(pm)
    assert [key for key in keys(html) if key in invoices] == invoices[1 : GROUP_LIMIT + 1]
    assert f'Pending payments <span class="muted">({len(invoices) - 1})</span>' in html


def test_a_snoozed_item_comes_back_after_a_day(pm):
    pm.post("/inbox/snooze/", {"key": "no_funded:ctr_owner_fixed_450"})
    Snooze.objects.update(until=timezone.now() - timedelta(seconds=1))  # a day later
    item(inbox(pm), "no_funded:ctr_owner_fixed_450")


def test_snooze_hides_an_item_for_a_day_for_that_person_only(pm, client, viewer):
    response = pm.post("/inbox/snooze/", {"key": "no_funded:ctr_owner_fixed_450"}, follow=True)
    html = response.content.decode()
    assert "Snoozed for a day" in html
    assert 'data-key="no_funded:ctr_owner_fixed_450"' not in html

    client.force_login(viewer)
    item(inbox(client), "no_funded:ctr_owner_fixed_450")
