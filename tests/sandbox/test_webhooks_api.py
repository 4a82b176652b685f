"""POST/GET/DELETE /webhooks, driven by OpenTrain's own Python SDK where it reaches."""

import opentrain
import pytest

from sandbox.demo import NOBILLING_TOKEN, NOFEATURE_TOKEN, READONLY_TOKEN
from sandbox.models import Account, Token

from .conftest import assert_envelope

pytestmark = pytest.mark.django_db(transaction=True)

HOOK = "https://hooks.example/opentrain"
TYPES = ["milestone.status_changed", "contract.budget_state_changed"]


def _create(live_api, url=HOOK, types=TYPES, token=None):
    body = {"url": url, "eventTypes": types}
    return live_api("POST", "/webhooks", json=body, **({"token": token} if token else {}))


def test_the_sdk_creates_lists_and_deletes_a_webhook(sdk):
    created = sdk.webhooks.create(url=HOOK, event_types=TYPES)

    webhook = created["webhook"]
    assert webhook["id"].startswith("wh_")
    assert webhook["url"] == HOOK
    assert webhook["eventTypes"] == TYPES
    assert webhook["status"] == "ACTIVE"
    assert webhook["createdAt"].endswith("Z")
    assert webhook["disabledAt"] is None
    assert webhook["disabledReason"] is None
    assert created["secret"].startswith("whsec_")
    assert "only once" in created["message"]
    assert sdk.webhooks.list() == {"webhooks": [webhook]}

    assert sdk.webhooks.delete(webhook["id"]) is None
    assert sdk.webhooks.list() == {"webhooks": []}


def test_the_secret_is_shown_only_when_the_webhook_is_created(live_api):
    created = _create(live_api).json()
    one = live_api("GET", f"/webhooks/{created['webhook']['id']}")
    assert one.json() == {"webhook": created["webhook"]}
    assert created["secret"] not in one.text
    assert created["secret"] not in live_api("GET", "/webhooks").text


def test_deleting_answers_204_with_no_body_and_then_it_is_gone(live_api):
    webhook_id = _create(live_api).json()["webhook"]["id"]
    response = live_api("DELETE", f"/webhooks/{webhook_id}")
    assert response.status_code == 204
    assert response.content == b""
    assert_envelope(live_api("GET", f"/webhooks/{webhook_id}"), 404, "NOT_FOUND")


def test_another_accounts_webhook_is_not_found(live_api):
    webhook_id = _create(live_api).json()["webhook"]["id"]
    response = live_api("DELETE", f"/webhooks/{webhook_id}", token=NOBILLING_TOKEN)
    assert_envelope(response, 404, "NOT_FOUND", webhookId=webhook_id)
    assert live_api("GET", "/webhooks", token=NOBILLING_TOKEN).json() == {"webhooks": []}


def test_a_token_without_webhooks_manage_is_refused_as_the_sdk_reports_it(sandbox):
    readonly = opentrain.OpenTrain(api_token=READONLY_TOKEN, base_url=f"{sandbox.url}/sandbox")
    with pytest.raises(opentrain.OpenTrainAPIError) as refused:
        readonly.webhooks.create(url=HOOK, event_types=TYPES)
    assert refused.value.status == 403
    assert refused.value.code == "FORBIDDEN"
    assert refused.value.details["requiredScopes"] == ["webhooks:manage"]


def test_an_account_without_the_webhooks_feature_is_refused(live_api):
    for response in (
        _create(live_api, token=NOFEATURE_TOKEN),
        live_api("GET", "/webhooks", token=NOFEATURE_TOKEN),
    ):
        assert_envelope(response, 403, "FORBIDDEN", featureKey="public_api_webhooks", mode="OFF")


def test_the_capabilities_probe_reports_the_webhooks_feature(live_api):
    probe = "/job-drafts/capabilities"
    assert live_api("GET", probe).json()["capabilities"]["webhooks"] is True
    assert live_api("GET", probe, token=NOFEATURE_TOKEN).json()["capabilities"]["webhooks"] is False


@pytest.mark.parametrize(
    "url",
    ["http://hooks.example/opentrain", "ftp://hooks.example/x", "hooks.example", "", "https://"],
)
def test_a_url_that_is_not_https_is_refused(live_api, url):
    assert_envelope(_create(live_api, url=url), 400, "BAD_REQUEST", field="url")


@pytest.mark.parametrize("url", ["http://localhost:8000/webhooks/opentrain/", "http://127.0.0.1/x"])
def test_plain_http_is_accepted_for_this_machine(live_api, url):
    assert _create(live_api, url=url).status_code == 201


def test_a_url_longer_than_2048_characters_is_refused(live_api):
    url = "https://hooks.example/" + "a" * 2027
    assert_envelope(_create(live_api, url=url), 400, "BAD_REQUEST", field="url")
    assert _create(live_api, url=url[:-1]).status_code == 201


@pytest.mark.parametrize("types", [["contract.exploded"], [], "milestone.status_changed", [1]])
def test_unknown_or_missing_event_types_are_refused(live_api, types):
    assert_envelope(_create(live_api, types=types), 400, "BAD_REQUEST", field="eventTypes")


def test_event_types_the_token_cannot_read_are_refused(live_api):
    account = Account.objects.get(key="owner")
    token = Token.objects.create(
        account=account,
        public_id="hooksonly",
        value="ot_pat_hooksonly_x",
        scopes=["webhooks:manage"],
    )
    response = _create(live_api, token=token.value)
    assert_envelope(response, 403, "FORBIDDEN", requiredScopes=["payments:read"])


def test_the_eleventh_webhook_is_refused_with_a_conflict(live_api):
    for n in range(10):
        assert _create(live_api, url=f"{HOOK}/{n}").status_code == 201
    response = _create(live_api, url=f"{HOOK}/10")
    assert_envelope(response, 409, "CONFLICT", reason="webhook_limit_reached")
    assert len(live_api("GET", "/webhooks").json()["webhooks"]) == 10
