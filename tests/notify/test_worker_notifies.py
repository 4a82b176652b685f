"""The real thing, end to end: gunicorn serving the dashboard and its sandbox, the worker in a
process of its own, a real SMTP server and a team chat's webhook on this machine. Work logged at
OpenTrain depletes a budget; each person who wants it gets one e-mail, the channel one message, and
later syncs of the same open item send nothing more. A worker killed and started again sends no
duplicate."""

import email
import email.policy
import signal
import subprocess
import sys
import time

import pytest
from aiosmtpd.controller import Controller

from sandbox import demo
from scripts.pm_client import form_inputs, sign_in
from scripts.servers import ROOT, Server, free_port, manage, sandbox_env
from tests.notify_helpers import ChatReceiver

HOURLY = demo.contract_id(demo.OWNER, "hourly_1250")  # 10 of 80 funded hours left: low
SUBJECT = "Budget depleted: Medical Transcript QA (hourly)"
EDITOR, PASSWORD = "notify-pm", "a long test password"
PEOPLE = ("ann@example.com", "ben@example.com")


class Inbox:
    """A real SMTP server's handler: keeps every message it is given, parsed."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        for address in envelope.rcpt_tos:
            self.messages.append((address, message))
        return "250 OK"

    def subjects_to(self, address):
        return [m["Subject"] for to, m in self.messages if to == address]


def wait_for(check, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.25)
    return None


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    folder = tmp_path_factory.mktemp("notify")
    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    chat = ChatReceiver()
    port = free_port()
    env = sandbox_env(
        f"sqlite:///{folder / 'db.sqlite3'}",
        PORT=str(port),
        OT_SYNC_POLL_SECONDS="300",  # what arrives quickly arrives through the webhook
        EMAIL_URL=f"smtp://127.0.0.1:{smtp.port}",
        SITE_URL=f"http://127.0.0.1:{port}",
    )
    manage(env, "migrate", "--noinput")
    manage(env, "seed_sandbox")
    manage(env, "make_editors", EDITOR, "--password", PASSWORD)
    people = ", ".join(repr(address) for address in PEOPLE)
    manage(
        env,
        "shell",
        "-c",
        "from django.contrib.auth.models import User\n"
        "from dashboard.notify.models import Channel, Preference\n"
        f"for address in [{people}]:\n"
        "    user = User.objects.create_user(address.split('@')[0], email=address)\n"
        "    Preference.objects.create(user=user, urgent_kinds=['budget'], digest=False)\n"
        f"Channel.objects.create(name='ops', url='{chat.url}', kinds=['budget'])\n",
    )
    server = Server.start(env, folder / "web.log")
    workers = []

    def start_worker():
        log = (folder / f"worker{len(workers)}.log").open("wb")
        webhook = f"{server.url}/webhooks/opentrain/"
        worker = subprocess.Popen(
            [sys.executable, "manage.py", "sync_worker", "--register-webhook", webhook],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        workers.append(worker)

    yield server, inbox, chat, start_worker, workers
    for worker in workers:
        worker.kill()
        worker.wait()
    server.stop()
    chat.close()
    smtp.stop()


def log_work(pm, server, times):
    """The AI trainer logs work in the sandbox ("Log usage" on the contract's usage page)."""
    page = f"{server.url}/sandbox/contracts/{HOURLY}/usage/"
    for _ in range(times):
        token = form_inputs(pm.get(page).text)["csrfmiddlewaretoken"]
        assert pm.post(page, data={"csrfmiddlewaretoken": token}).status_code in (200, 302)


def test_work_that_depletes_a_budget_emails_each_person_and_the_channel_once(stack):
    server, inbox, chat, start_worker, _ = stack
    start_worker()
    # The seeded account's first sync sends what is already urgent; then the budget runs out.
    assert wait_for(lambda: inbox.subjects_to(PEOPLE[0]), seconds=60)
    pm = sign_in(server.url, EDITOR, PASSWORD)

    log_work(pm, server, times=2)  # 10 more hours: every funded hour is used

    for address in PEOPLE:
        assert wait_for(lambda a=address: SUBJECT in inbox.subjects_to(a), seconds=60)
    assert wait_for(lambda: [p for p in chat.received if SUBJECT in p["text"]], seconds=10)
    sent = next(m for to, m in inbox.messages if m["Subject"] == SUBJECT)
    assert sent.get_body(("plain",)) is not None and sent.get_body(("html",)) is not None

    log_work(pm, server, times=2)  # later syncs refresh the same open item
    time.sleep(8)
    for address in PEOPLE:
        assert inbox.subjects_to(address).count(SUBJECT) == 1
    assert len([p for p in chat.received if SUBJECT in p["text"]]) == 1


def test_a_worker_killed_and_started_again_sends_no_duplicate(stack):
    _, inbox, chat, start_worker, workers = stack
    before = len(inbox.messages), len(chat.received)
    for worker in workers:
        worker.send_signal(signal.SIGKILL)
        worker.wait()

    start_worker()
    time.sleep(10)  # the new worker's first ticks and syncs

    assert (len(inbox.messages), len(chat.received)) == before
