"""The e-mails as a mail server receives them: a real SMTP server (aiosmtpd) on a free port, the
dashboard's SMTP backend pointed at it, and what arrived parsed with the `email` package."""

import copy
import re
import smtplib
import socket
import struct
import threading
from email import message_from_bytes, policy
from urllib.parse import urlsplit

import httpx
import pytest
from aiosmtpd.controller import Controller
from django.contrib.auth.models import User
from django.core import signing
from django.urls import resolve
from django.utils import timezone

from dashboard import checks, inbox, opentrain, services
from dashboard.mirror import store
from dashboard.mirror.models import Account
from dashboard.models import Snooze
from dashboard.notify import send, watch
from dashboard.notify.emails import refusal
from dashboard.notify.models import URGENT_KINDS, Notice, Preference
from sandbox import demo
from sandbox.models import Account as SandboxAccount
from sandbox.models import Contract as SandboxContract
from tests import inbox_helpers
from tests.mirror_helpers import sync_account

SITE = "https://dashboard.example.com"
DEPLETED = "Budget depleted: Spanish Sentiment Labels (per label)"
LABELS = demo.contract_id(demo.OWNER, "label_007")
SALT = "dashboard.notify.unsubscribe"


class Keeper:
    """The mail server's handler: keeps each message, or refuses as told ("550 ...")."""

    def __init__(self):
        self.envelopes = []
        self.refuse_rcpt = ""
        self.refuse_data = ""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse_rcpt:
            return self.refuse_rcpt
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.refuse_data:
            return self.refuse_data
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def messages(self):
        return [message_from_bytes(e.content, policy=policy.default) for e in self.envelopes]

    def one(self, subject):
        found = [m for m in self.messages() if m["Subject"] == subject]
        assert len(found) == 1, [m["Subject"] for m in self.messages()]
        return found[0]


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _smtp_at(settings, port, timeout=5):
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": timeout},
        }
    }


@pytest.fixture
def smtp(settings):
    keeper = Keeper()
    controller = Controller(keeper, hostname="127.0.0.1", port=_free_port())
    controller.start()
    _smtp_at(settings, controller.port)
    settings.SITE_URL = SITE
    settings.DEFAULT_FROM_EMAIL = "OpenTrain dashboard <dashboard@example.com>"
    yield keeper
    controller.stop()


@pytest.fixture
def maria(db):
    return User.objects.create_user("maria", email="maria@example.com", password="a long pass 123")


def _no_digest(user):
    Preference.objects.create(user=user, urgent_kinds=list(URGENT_KINDS), digest=False)


def _parts(message):
    text = message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
    html = message.get_body(preferencelist=("html",)).get_content()
    return text, html


def _links(html):
    return re.findall(r'<a href="([^"]+)"[^>]*>(.*?)</a>', html, re.S)


def _route(url):
    """The dashboard's URL name an absolute link leads to."""
    assert url.startswith(SITE + "/"), url
    return resolve(urlsplit(url).path).url_name


def test_an_urgent_email_says_what_and_where_with_one_link_to_its_action(sandbox, smtp, maria):
    _no_digest(maria)

    watch.scan()
    done = send.deliver()

    assert done["failed"] == 0
    message = smtp.one(DEPLETED)
    assert message["To"] == "maria@example.com"
    assert message["From"] == "OpenTrain dashboard <dashboard@example.com>"
    text, html = _parts(message)
    assert "Spanish Sentiment Labels (per label)" in text
    assert "Spanish Sentiment Labels (per label)" in html
    alert = Notice.objects.get(user=maria, alert__key=f"depleted:{LABELS}").alert
    links = _links(html)
    action_url, action_label = links[0]
    assert action_url == SITE + alert.action_path
    assert action_label.strip() == alert.action_label
    _route(action_url)  # a page of the dashboard, or this raises
    assert f"{alert.action_label}:\n{action_url}" in text
    assert action_url in text
    named = {label.strip(): url for url, label in links}
    assert named["Needs you"] == f"{SITE}/"
    assert named["Change what you get"] == f"{SITE}/settings/notifications/"


def test_an_urgent_email_carries_one_click_unsubscribe_for_its_own_kind(sandbox, smtp, maria):
    _no_digest(maria)

    watch.scan()
    send.deliver()

    message = smtp.one(DEPLETED)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = re.fullmatch(r"<(.+)>", message["List-Unsubscribe"]).group(1)
    # On one line, as sent: mail clients do not decode a URL folded into encoded words.
    sent = f"List-Unsubscribe: <{url}>\r\n".encode()
    assert any(sent in envelope.content for envelope in smtp.envelopes)
    assert _route(url) == "unsubscribe"
    token = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
    assert "budget" in str(signing.loads(token, salt=SALT))


def test_an_email_shows_no_internal_id_or_fingerprint(sandbox, smtp, maria):
    _no_digest(maria)

    watch.scan()
    send.deliver()

    notice = Notice.objects.get(user=maria, alert__key=f"depleted:{LABELS}")
    text, html = _parts(smtp.one(DEPLETED))
    fingerprint = notice.alert.account.fingerprint
    for part in (text, html):
        assert fingerprint not in part
        assert demo.OWNER_TOKEN not in part
        assert f"notice {notice.pk}" not in part.lower()
        assert f"alert {notice.alert.pk}" not in part.lower()


def test_a_person_who_turned_budgets_off_gets_no_budget_email(sandbox, smtp, maria):
    Preference.objects.create(user=maria, urgent_kinds=["approval"], digest=False)

    watch.scan()
    send.deliver()

    assert DEPLETED not in [m["Subject"] for m in smtp.messages()]


def _add_unfunded_contracts(count):
    """OpenTrain's side: `count` new active contracts with no milestone yet; the worker syncs."""
    owner = SandboxAccount.objects.get(key=demo.OWNER)
    SandboxContract.objects.bulk_create(
        SandboxContract(
            account=owner,
            title=f"Extra contract {number:04d}",
            job_id=f"job_extra_{number}",
            payment_type=SandboxContract.FIXED_PRICE,
            rate_usd=100,
            estimated_total_usd=100,
            freelancer_user_id=f"usr_extra_{number}",
            freelancer_display_name=f"Person {number}",
        )
        for number in range(count)
    )
    sync_account()


def _digest_for(user):
    Preference.objects.create(user=user, urgent_kinds=[], digest=True, digest_hour=0)


def _digest_message(smtp):
    found = [m for m in smtp.messages() if "need you on the OpenTrain dashboard" in m["Subject"]]
    found += [m for m in smtp.messages() if "needs you on the OpenTrain dashboard" in m["Subject"]]
    assert len(found) == 1, [m["Subject"] for m in smtp.messages()]
    return found[0]


def test_the_digest_counts_what_the_home_page_counts_grouped_the_same_way(
    sandbox, smtp, maria, client
):
    _digest_for(maria)
    client.force_login(maria)
    home = inbox_helpers.inbox(client)

    watch.scan()
    send.deliver()

    message = _digest_message(smtp)
    count = inbox_helpers.counted(home)
    assert message["Subject"] == f"{count} items need you on the OpenTrain dashboard"
    text, html = _parts(message)
    titles = re.findall(r'<h2 id="group-[^"]+">([^<]*?) <span class="muted">\((\d+)\)', home)
    assert titles
    for title, total in titles:
        assert f"{title} ({total})" in text
        assert f"{title} ({total})" in html
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = re.fullmatch(r"<(.+)>", message["List-Unsubscribe"]).group(1)
    assert "digest" in str(signing.loads(url.rstrip("/").rsplit("/", 1)[-1], salt=SALT))


def test_the_digest_lists_ten_a_group_with_and_n_more_leading_to_the_rest(sandbox, smtp, maria):
    _add_unfunded_contracts(12)
    _digest_for(maria)

    watch.scan()
    send.deliver()

    text, html = _parts(_digest_message(smtp))
    total = int(re.search(r"Active contracts with nothing funded \((\d+)\)", text).group(1))
    assert total > 10
    section = html.split("Active contracts with nothing funded")[1].split("<h2")[0]
    assert len(re.findall(r"Add a milestone</a>", section)) == 10
    more = re.search(r'<a href="([^"]+)"[^>]*>and (\d+) more</a>', section)
    assert int(more.group(2)) == total - 10
    assert more.group(1) == f"{SITE}/?all=no_funded#group-no_funded"
    assert f"and {total - 10} more: {SITE}/?all=no_funded#group-no_funded" in text


def test_every_item_of_the_digest_links_to_its_action_on_the_dashboard(sandbox, smtp, maria):
    _digest_for(maria)

    watch.scan()
    send.deliver()

    text, html = _parts(_digest_message(smtp))
    links = _links(html)
    assert len(links) > 5
    for url, _label in links:
        assert url.startswith(SITE + "/"), url
        _route(url)  # resolves on the dashboard, or raises
    assert "Add a milestone" in text


def test_the_digest_leaves_out_what_the_person_snoozed(sandbox, smtp, maria):
    _digest_for(maria)
    Snooze.for_a_day(maria, f"depleted:{LABELS}")

    watch.scan()
    send.deliver()

    text, html = _parts(_digest_message(smtp))
    assert "Budget depleted" not in text
    assert "Budget depleted" not in html
    assert "Budget low (1)" in text


def test_a_digest_with_nothing_open_any_more_is_not_sent(sandbox, smtp, maria):
    _digest_for(maria)
    watch.queue_digests(timezone.now())
    for key in _open_keys(maria):
        Snooze.for_a_day(maria, key)

    send.deliver()

    notice = Notice.objects.get(user=maria, kind=Notice.Kind.DIGEST)
    assert notice.state == Notice.State.CANCELLED
    assert smtp.messages() == []


def _open_keys(user):
    keys = []
    for account in Account.objects.all():
        found = inbox.collect(account, set(), limit=None)
        keys += [item.key for kind in found.values() for item in kind.items]
        keys += [item.key for item in inbox.setup_items(account)]
    return keys


def _mirror_unfunded_contracts(sandbox, count):
    """The mirror as a sync of `count` more contracts with nothing funded would leave it: copies
    of the sandbox's own answer for one, written through the mirror's store (quicker than
    syncing a thousand contracts over HTTP)."""
    path = f"/sandbox/api/public/v1/contracts/{demo.contract_id(demo.OWNER, 'fixed_450')}"
    answer = httpx.get(
        sandbox.url + path, headers={"Authorization": f"Bearer {demo.OWNER_TOKEN}"}, timeout=10
    )
    answer.raise_for_status()
    account = Account.objects.get(fingerprint=services.token_fingerprint(demo.OWNER_TOKEN))
    copies = []
    for number in range(count):
        data = copy.deepcopy(answer.json()["contract"])
        data["id"], data["title"] = f"ctr_copy_{number:04d}", f"Copied contract {number:04d}"
        copies.append(opentrain.Contract.from_api(data))
    store.save_contracts(account, copies)
    account.bump()


def test_a_thousand_open_items_make_a_digest_well_under_200_kb(sandbox, smtp, maria):
    _mirror_unfunded_contracts(sandbox, 1000)
    _digest_for(maria)

    watch.scan()
    send.deliver()

    message = _digest_message(smtp)
    assert int(message["Subject"].split()[0].replace(",", "")) > 1000
    assert len(message.as_bytes()) < 200_000


# Refusals: the mail server says no, for now (4xx) or for good (5xx).


def _urgent_notice(maria):
    return Notice.objects.get(user=maria, alert__key=f"depleted:{LABELS}")


@pytest.mark.parametrize(
    "when, answer",
    [
        ("refuse_rcpt", "550 5.1.1 mailbox unavailable"),
        ("refuse_data", "554 5.7.1 message rejected as spam"),
    ],
)
def test_a_refusal_for_good_fails_at_once_in_the_servers_words(sandbox, smtp, maria, when, answer):
    _no_digest(maria)
    setattr(smtp, when, answer)

    watch.scan()
    send.deliver()

    notice = _urgent_notice(maria)
    assert notice.state == Notice.State.FAILED
    assert notice.error == f"The mail server refused the message: {answer}"


def test_a_server_busy_for_now_is_tried_again_later(sandbox, smtp, maria):
    _no_digest(maria)
    smtp.refuse_data = "451 4.3.0 try again later"

    watch.scan()
    send.deliver()

    notice = _urgent_notice(maria)
    assert notice.state == Notice.State.PENDING
    assert notice.attempts == 1
    assert notice.next_attempt_at > timezone.now()
    assert notice.error == "The mail server refused the message: 451 4.3.0 try again later"

    smtp.refuse_data = ""
    send.deliver(notice.next_attempt_at)

    notice.refresh_from_db()
    assert notice.state == Notice.State.SENT
    assert smtp.one(DEPLETED)["To"] == "maria@example.com"


class Silent:
    """A server that takes the connection and never says a word (a hang), or resets it."""

    def __init__(self, *, reset=False):
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(5)
        self.port = self.socket.getsockname()[1]
        self.open = []
        if reset:
            threading.Thread(target=self._reset, daemon=True).start()

    def _reset(self):
        while True:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                return
            # Linger 0: close() sends a TCP reset instead of a polite FIN.
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            connection.close()

    def close(self):
        self.socket.close()


def test_a_mail_server_that_does_not_answer_is_tried_again_in_words(sandbox, settings, maria):
    _no_digest(maria)
    silent = Silent()
    _smtp_at(settings, silent.port, timeout=1)
    try:
        watch.scan()
        send.deliver()
    finally:
        silent.close()

    notice = _urgent_notice(maria)
    assert notice.state == Notice.State.PENDING
    assert notice.error == "The mail server did not answer in time."


def test_a_connection_reset_is_tried_again_in_words(sandbox, settings, maria):
    _no_digest(maria)
    resetting = Silent(reset=True)
    _smtp_at(settings, resetting.port)
    try:
        watch.scan()
        send.deliver()
    finally:
        resetting.close()

    notice = _urgent_notice(maria)
    assert notice.state == Notice.State.PENDING
    assert notice.error == "The connection to the mail server was reset."


def test_a_refused_password_is_worded_as_such_and_final():
    error = smtplib.SMTPAuthenticationError(535, b"5.7.8 Username and Password not accepted")

    words, final = refusal(error)

    assert "535" in words
    assert "user name and password" in words
    assert final is True


# Configuration: `check --deploy` says when production would send no e-mail or wrong links.


def _notify_warnings():
    # The check itself: all of `check --deploy` would load the URLs while OT_SANDBOX is off, and
    # the sandbox's would then be missing for the tests after this one.
    return {m.id: m.msg for m in checks.notification_settings(None)}


def test_check_deploy_warns_in_production_without_site_url_or_email_url(settings):
    settings.OT_SANDBOX, settings.SITE_URL_SET, settings.EMAIL_URL = False, False, ""

    warnings = _notify_warnings()

    assert "SITE_URL is not set" in warnings["notify.W001"]
    assert "e-mail notifications" in warnings["notify.W002"]
    assert "chat channels still work" in warnings["notify.W002"]


def test_check_deploy_is_quiet_when_both_are_set_or_in_the_sandbox(settings):
    settings.OT_SANDBOX, settings.SITE_URL_SET = False, True
    settings.EMAIL_URL = "smtp+tls://mailer:pass@mail.example.com:587"
    assert _notify_warnings() == {}

    settings.OT_SANDBOX, settings.SITE_URL_SET, settings.EMAIL_URL = True, False, ""
    assert _notify_warnings() == {}
