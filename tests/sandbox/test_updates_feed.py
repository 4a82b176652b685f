"""GET /updates: an account's events, oldest first, behind an opaque cursor."""

import pytest

from sandbox.demo import NOBILLING_TOKEN
from sandbox.models import Account, Token

from .conftest import assert_envelope, ctr, feed, new_milestone

pytestmark = pytest.mark.django_db(transaction=True)


def _token_with(scopes):
    account = Account.objects.get(key="owner")
    name = "_".join(scopes).replace(":", "")
    return Token.objects.create(
        account=account, public_id=name, value=f"ot_pat_{name}_secret", scopes=scopes
    ).value


def test_seeding_writes_no_events(live_api):
    body = feed(live_api)
    assert body["events"] == []
    assert body["hasMore"] is False
    assert body["nextCursor"]


def test_a_new_milestone_appears_as_a_status_change(live_api):
    milestone = new_milestone(live_api)
    [event] = feed(live_api)["events"]
    assert event["type"] == "milestone.status_changed"
    assert event["id"].startswith("evt_")
    assert event["apiVersion"] == "v1"
    assert event["createdAt"].endswith("Z")
    assert event["resourceId"] == milestone["id"]
    assert event["jobId"] == "job_owner_fixed_300"
    assert event["data"] == {
        "milestoneId": milestone["id"],
        "contractId": ctr("fixed_300"),
        "status": "NOT_FUNDED",
    }


def test_the_feed_pages_oldest_first_and_hands_back_its_cursor_when_empty(live_api):
    made = [new_milestone(live_api, description=f"Batch {n}")["id"] for n in range(3)]

    first = feed(live_api, limit=2)
    assert [e["resourceId"] for e in first["events"]] == made[:2]
    assert first["hasMore"] is True
    second = feed(live_api, limit=2, cursor=first["nextCursor"])
    assert [e["resourceId"] for e in second["events"]] == made[2:]
    assert second["hasMore"] is False
    empty = feed(live_api, limit=2, cursor=second["nextCursor"])
    assert empty == {"events": [], "nextCursor": second["nextCursor"], "hasMore": False}

    later = new_milestone(live_api)["id"]
    assert [e["resourceId"] for e in feed(live_api, cursor=empty["nextCursor"])["events"]] == [
        later
    ]


def test_the_limit_defaults_to_fifty(live_api):
    for n in range(51):
        new_milestone(live_api, description=f"Batch {n}")
    body = feed(live_api)
    assert len(body["events"]) == 50
    assert body["hasMore"] is True


@pytest.mark.parametrize("limit", ["0", "201", "ten", "-1"])
def test_a_limit_outside_1_to_200_is_refused(live_api, limit):
    response = live_api("GET", "/updates", params={"limit": limit})
    assert_envelope(response, 400, "BAD_REQUEST", field="limit")


@pytest.mark.parametrize("cursor", ["nope", "djI6MTI", "!!!"])
def test_a_cursor_the_api_never_gave_is_refused(live_api, cursor):
    response = live_api("GET", "/updates", params={"cursor": cursor})
    assert_envelope(response, 400, "BAD_REQUEST", field="cursor")


def test_a_token_that_can_read_no_event_type_is_forbidden(live_api):
    response = live_api("GET", "/updates", token=_token_with(["jobs:read"]))
    body = assert_envelope(response, 403, "FORBIDDEN")
    assert body["details"]["requiredScopes"] == ["proposals:read", "messages:read", "payments:read"]


def test_events_the_token_cannot_read_are_left_out(live_api):
    new_milestone(live_api)
    assert feed(live_api, token=_token_with(["messages:read"]))["events"] == []
    assert len(feed(live_api, token=_token_with(["payments:write"]))["events"]) == 1


def test_each_account_reads_only_its_own_events(live_api):
    new_milestone(live_api)
    assert feed(live_api, token=NOBILLING_TOKEN)["events"] == []
