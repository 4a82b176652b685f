"""A chat service's incoming webhooks, served for real on a free port: each records the JSON it was
sent and answers as its path says, as Slack does (`/hooks/<answer>/<secret>`):

- `ok`: 200 "ok"
- `invalid_payload`: 400 "invalid_payload"
- `no_service`: 404 "no_service"
- `slow_down`: 429 "rate_limited"
- `broken`: 500 with an HTML page
- `hang`: no answer until the receiver closes (past any short timeout)
- `reset`: the connection cut without an answer
"""

from __future__ import annotations

import contextlib
import json
import secrets
import socket
import struct
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ANSWERS = {
    "ok": (200, "ok"),
    "invalid_payload": (400, "invalid_payload"),
    "no_service": (404, "no_service"),
    "slow_down": (429, "rate_limited"),
    "broken": (500, "<html><body>Internal error</body></html>"),
}


class Receiver:
    """Use as a context manager; `url(answer)` is a webhook URL with a secret of its own."""

    def __init__(self):
        self.received: list[dict] = []  # the JSON bodies, in the order they came
        self.secret = "SECRET" + secrets.token_hex(8)
        self.closing = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        self.server.receiver = self
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.closing.set()  # the hanging requests give up
        self.server.shutdown()
        self.server.server_close()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def url(self, answer: str = "ok") -> str:
        return f"{self.base}/hooks/{answer}/T01{self.secret}"

    def texts(self) -> list[str]:
        return [body["text"] for body in self.received]


def nothing_listening() -> str:
    """A webhook URL on a port where nothing listens: the connection is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/hooks/ok/T01SECRETnobody"


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        receiver = self.server.receiver
        length = int(self.headers.get("Content-Length") or 0)
        receiver.received.append(json.loads(self.rfile.read(length) or b"null"))
        answer = self.path.split("/")[2] if self.path.count("/") >= 2 else "ok"
        if answer == "hang":
            receiver.closing.wait(30)
            self.close_connection = True
            return
        if answer == "reset":
            # SO_LINGER 0: closing sends a TCP reset instead of a clean end.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
            return
        status, body = ANSWERS.get(answer, (200, "ok"))
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html" if body.startswith("<") else "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args):
        pass  # its lines would carry the path, and the path is the secret

    def finish(self):
        with contextlib.suppress(OSError, ValueError):  # `reset` closed the socket already
            super().finish()
