"""`manage.py opentrain_webhooks`: register, list and delete, with clear words for each refusal.
The official SDK checks what the sandbox recorded."""

from io import StringIO

import opentrain
import pytest
from django.core.management import CommandError, call_command

from dashboard.mirror.models import WebhookSubscription
from sandbox import demo

URL = "https://dashboard.example.com/webhooks/opentrain/"


def run(*args):
    out, err = StringIO(), StringIO()
    call_command("opentrain_webhooks", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def sdk(sandbox, token=demo.OWNER_TOKEN):
    return opentrain.OpenTrain(api_token=token, base_url=f"{sandbox.url}/sandbox")


def test_register_subscribes_to_the_contract_events_and_keeps_the_secret(sandbox, db):
    out, _ = run("register", URL)

    assert "registered webhook" in out
    stored = WebhookSubscription.objects.get(account__label=demo.ACCOUNTS[demo.OWNER]["name"])
    assert stored.secret.startswith("whsec_")
    [webhook] = [w for w in sdk(sandbox).webhooks.list()["webhooks"] if w["url"] == URL]
    assert set(webhook["eventTypes"]) == {
        "contract.created",
        "milestone.status_changed",
        "payment.pending",
        "approval.confirmed",
        "contract.budget_state_changed",
    }


def test_registering_again_keeps_one_subscription(sandbox, db):
    run("register", URL)

    out, _ = run("register", URL)

    assert "already registered" in out
    assert [w["url"] for w in sdk(sandbox).webhooks.list()["webhooks"]].count(URL) == 1


def test_a_token_without_the_scope_or_the_feature_is_told_what_to_ask_for(sandbox, db):
    _, err = run("register", URL)

    readonly = demo.ACCOUNTS[demo.READONLY]["name"]
    nofeature = demo.ACCOUNTS[demo.NOFEATURE]["name"]
    assert f"{readonly}: The OpenTrain token lacks the webhooks:manage scope" in err
    assert f"{nofeature}: Webhooks (the public_api_webhooks feature) are not switched on" in err


def test_the_eleventh_webhook_is_refused_in_words(sandbox, db):
    client = sdk(sandbox)
    for n in range(10):
        client.webhooks.create(
            url=f"https://hooks.example.com/{n}", event_types=["payment.pending"]
        )

    _, err = run("register", URL)

    owner = demo.ACCOUNTS[demo.OWNER]["name"]
    assert f"{owner}: The account already has the most webhooks OpenTrain allows (10)" in err


@pytest.mark.parametrize(
    "url", ["http://dashboard.example.com/webhooks/", "ftp://x/", "https:///nohost"]
)
def test_a_url_opentrain_would_not_deliver_to_is_refused_before_any_call(db, url, upstream_calls):
    with pytest.raises(CommandError, match="only to https URLs"):
        call_command("opentrain_webhooks", "register", url)
    assert upstream_calls == []


def test_delete_removes_the_webhook_and_its_secret(sandbox, db):
    run("register", URL)
    webhook_id = WebhookSubscription.objects.get(
        account__label=demo.ACCOUNTS[demo.OWNER]["name"]
    ).webhook_id

    out, _ = run("delete", webhook_id)

    assert f"deleted webhook {webhook_id}" in out
    assert not WebhookSubscription.objects.filter(webhook_id=webhook_id).exists()
    assert URL not in [w["url"] for w in sdk(sandbox).webhooks.list()["webhooks"]]
