"""The sandbox's stand-in OpenTrain pages follow the dashboard's roles: viewers cannot act."""

import pytest
from django.contrib.auth.models import User

from sandbox.models import Account, Approval

from .conftest import ctr, ms

pytestmark = pytest.mark.django_db


@pytest.fixture
def viewer_signed_in(signed_in, client):
    client.force_login(User.objects.create_user("viewer", password="viewer-pass-123"))
    return client


@pytest.fixture
def pending(seeded):
    return Approval.objects.create(
        type=Approval.MILESTONE_FUND,
        contract_id=ctr("hourly_38"),
        milestone_id=ms("hourly_38", 1),
    )


def test_a_viewer_sees_an_approval_without_confirm_buttons(viewer_signed_in, pending):
    html = viewer_signed_in.get(f"/sandbox/approvals/{pending.id}/").content.decode()

    assert "Only editors can confirm or decline it" in html
    assert 'value="confirm"' not in html


def test_a_viewer_cannot_confirm_an_approval(viewer_signed_in, pending):
    response = viewer_signed_in.post(f"/sandbox/approvals/{pending.id}/", {"decision": "confirm"})

    assert response.status_code == 403
    pending.refresh_from_db()
    assert pending.status == Approval.PENDING


def test_a_viewer_cannot_claim_an_account_or_add_a_card(viewer_signed_in):
    unclaimed = Account.objects.get(key="unclaimed")
    nobilling = Account.objects.get(key="nobilling")

    claim = viewer_signed_in.post(f"/sandbox/claim/{unclaimed.claim_token}/")
    billing = viewer_signed_in.post(f"/sandbox/billing/{nobilling.organization_id}/")

    assert (claim.status_code, billing.status_code) == (403, 403)
    assert not Account.objects.get(key="unclaimed").claimed
    assert not Account.objects.get(key="nobilling").has_payment_method


def test_an_editor_still_confirms_an_approval(signed_in, pending):
    response = signed_in.post(f"/sandbox/approvals/{pending.id}/", {"decision": "confirm"})

    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.status == Approval.CONFIRMED
