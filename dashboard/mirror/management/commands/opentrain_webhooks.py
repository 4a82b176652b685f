"""Register, list and delete the dashboard's OpenTrain webhooks.

    python manage.py opentrain_webhooks register https://dashboard.example.com/webhooks/opentrain/
    python manage.py opentrain_webhooks list
    python manage.py opentrain_webhooks delete wh_123

`register` stores the `whsec_` secret OpenTrain shows once, so the receiver can verify deliveries.
On the sandbox it registers for every demo account that may; with `-v 0` (the worker at `make run`)
it prints only problems, and the demo accounts made to be refused say so in one line.
"""

from urllib.parse import urlsplit

from django.core.management.base import BaseCommand, CommandError

from dashboard import demo_accounts, opentrain
from dashboard.mirror import accounts, sync
from dashboard.mirror.models import WebhookSubscription
from dashboard.opentrain import OpenTrainError

EVENT_TYPES = [
    "contract.created",
    "milestone.status_changed",
    "payment.pending",
    "approval.confirmed",
    "contract.budget_state_changed",
]
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


def check_url(url: str) -> None:
    parts = urlsplit(url)
    if len(url) > 2048:
        raise CommandError("The URL is longer than OpenTrain accepts (2,048 characters).")
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and (parts.hostname or "") in LOCAL_HOSTS:
        return
    raise CommandError(
        f"OpenTrain delivers webhooks only to https URLs (or http on localhost), not {url!r}."
    )


def refused_by_design(error: OpenTrainError) -> bool:
    """A sandbox demo account that lacks the scope or the feature on purpose, to show OpenTrain's
    refusals: the worker polls its updates feed instead, as it would for a real one."""
    details = error.details
    return demo_accounts.sandbox_mode() and (
        "webhooks:manage" in (details.get("requiredScopes") or [])
        or details.get("featureKey") == "public_api_webhooks"
    )


def by_design_in_words(count: int) -> str:
    if count == 1:
        return (
            "1 demo account cannot register a webhook (by design: it shows OpenTrain's errors); "
            "the worker polls its updates feed instead."
        )
    return (
        f"{count} demo accounts cannot register webhooks (by design: they show OpenTrain's "
        "errors); the worker polls their updates feed instead."
    )


def in_words(error: OpenTrainError) -> str:
    details = error.details
    if "webhooks:manage" in (details.get("requiredScopes") or []):
        return (
            "The OpenTrain token lacks the webhooks:manage scope. Create a token with it in "
            "the OpenTrain app (Settings → API keys)."
        )
    if details.get("featureKey") == "public_api_webhooks":
        return (
            "Webhooks (the public_api_webhooks feature) are not switched on for this OpenTrain "
            "account. Ask OpenTrain support; until then the worker polls the updates feed."
        )
    if error.status == 409 or error.reason == "webhook_limit_reached":
        return (
            "The account already has the most webhooks OpenTrain allows (10). Delete one "
            "(`opentrain_webhooks list`, then `delete ID`) and try again."
        )
    request_id = f" (request ID {error.request_id})" if error.request_id else ""
    return f"OpenTrain refused: {error.message}{request_id}"


class Command(BaseCommand):
    help = "Register, list or delete the dashboard's OpenTrain webhooks."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        register = sub.add_parser("register", help="Subscribe URL to contract events.")
        register.add_argument("url")
        sub.add_parser("list", help="The account's webhooks.")
        delete = sub.add_parser("delete", help="Remove a webhook.")
        delete.add_argument("webhook_id")

    def handle(self, *args, action, **options):
        if action == "register":
            check_url(options["url"])  # before any call: OpenTrain would refuse it anyway
        known = accounts.known()
        if not known:
            raise CommandError("No OpenTrain account to act for (is the sandbox running?).")
        getattr(self, f"_{action}")(known, **options)

    def _register(self, known, *, url, verbosity, **options):
        check_url(url)
        failures, by_design = [], 0
        for account in known:
            try:
                self._register_one(account, url, verbosity)
            except OpenTrainError as error:
                if verbosity == 0 and refused_by_design(error):
                    by_design += 1
                else:
                    failures.append(f"{account.label}: {in_words(error)}")
        for failure in failures:
            self.stderr.write(failure)
        if by_design:
            self.stdout.write(by_design_in_words(by_design))
        if len(failures) + by_design == len(known):
            raise CommandError("No webhook was registered.")

    def _register_one(self, account, url, verbosity):
        mirror = sync.account_for(account.fingerprint, account.label)
        existing = [w for w in opentrain.list_webhooks(account.token) if w.get("url") == url]
        stored = {w.webhook_id for w in mirror.webhooks.all()}
        if any(w.get("id") in stored for w in existing):
            if verbosity:
                self.stdout.write(f"{account.label}: already registered for {url}")
            return
        for webhook in existing:  # registered before, but its secret is lost: start over
            opentrain.delete_webhook(account.token, str(webhook.get("id")))
        webhook, secret = opentrain.create_webhook(account.token, url, EVENT_TYPES)
        WebhookSubscription.objects.create(
            account=mirror,
            webhook_id=str(webhook.get("id")),
            url=url,
            secret=secret,
            event_types=EVENT_TYPES,
        )
        if verbosity:
            self.stdout.write(f"{account.label}: registered webhook {webhook.get('id')} for {url}")

    def _list(self, known, **options):
        for account in known:
            try:
                webhooks = opentrain.list_webhooks(account.token)
            except OpenTrainError as error:
                self.stderr.write(f"{account.label}: {in_words(error)}")
                continue
            for webhook in webhooks:
                self.stdout.write(
                    f"{account.label}\t{webhook.get('id')}\t{webhook.get('status')}\t"
                    f"{webhook.get('url')}"
                )

    def _delete(self, known, *, webhook_id, **options):
        for account in known:
            try:
                opentrain.delete_webhook(account.token, webhook_id)
            except OpenTrainError as error:
                if error.status == 404:
                    continue
                raise CommandError(in_words(error)) from error
            WebhookSubscription.objects.filter(webhook_id=webhook_id).delete()
            self.stdout.write(f"{account.label}: deleted webhook {webhook_id}")
            return
        raise CommandError(f"No webhook {webhook_id} on any account the dashboard acts for.")
