"""Making urgent things happen at OpenTrain (the sandbox) and reading what the worker sent."""

from django.contrib.auth.models import User
from django.utils import timezone

from dashboard.notify import send, watch
from sandbox import demo
from sandbox.models import Contract as SandboxContract
from tests.mirror_helpers import sync_account

LABELS = demo.contract_id(demo.OWNER, "label_007")  # seeded depleted
HOURLY = demo.contract_id(demo.OWNER, "hourly_1250")  # seeded low


def person(username: str, email: str | None = None, **extra) -> User:
    email = f"{username}@example.com" if email is None else email
    return User.objects.create_user(username, email=email, password="a long password 123", **extra)


def worker_runs(now=None) -> dict:
    """What the worker's `notify` task does: scan, then send what is due."""
    return {**watch.scan(now), **send.deliver(now)}


def refill(contract_id: str) -> None:
    """OpenTrain's side: the contract's usage no longer exhausts its funded volume (as after a new
    milestone was funded); the worker re-reads it."""
    contract = SandboxContract.objects.get(id=contract_id)
    contract.consumed_labels = contract.consumed_seconds = 0
    contract.updated_at = timezone.now()
    contract.save(update_fields=["consumed_labels", "consumed_seconds", "updated_at"])
    sync_account()


def use_everything(contract_id: str) -> None:
    """OpenTrain's side: the AI trainer uses the whole funded volume; the worker re-reads it."""
    contract = SandboxContract.objects.get(id=contract_id)
    contract.consumed_labels, contract.consumed_seconds = 100_000, 1_000 * 3600
    contract.updated_at = timezone.now()
    contract.save(update_fields=["consumed_labels", "consumed_seconds", "updated_at"])
    sync_account()


class ChatReceiver:
    """A team chat's incoming webhook on this machine: keeps each JSON payload it takes."""

    def __init__(self):
        import json
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        received = self.received = []
        chat = self
        self.status = 200  # what it answers: 500 for a chat service in trouble

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length))
                if chat.status == 200:
                    received.append(body)
                self.send_response(chat.status)
                self.end_headers()
                self.wfile.write(b"ok" if chat.status == 200 else b"internal_error")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/team"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
