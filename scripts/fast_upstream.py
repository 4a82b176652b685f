#!/usr/bin/env python
"""A fast stand-in for OpenTrain, for the benchmark's "API alone" floor: pre-rendered JSON bytes.

`capture()` reads, once, every path the dashboard's sync calls from the sandbox (the list, each
contract, the feed, pending payments, the token probes) and keeps the exact bytes. The server
answers each GET with those bytes from memory (the bearer token is ignored), so what is measured
against it is the dashboard's own work, not the sandbox's rendering.

    python scripts/fast_upstream.py CAPTURE.json --port 8765
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

PREFIX = "/api/public/v1"
# What `opentrain_sync --full` reads besides the contracts (an empty feed at its end included).
FIXED_PATHS = ("/auth/me", "/job-drafts/capabilities", "/payments/pending", "/updates?limit=200")


def capture(api_url: str, token: str, out: Path) -> list[str]:
    """Save what the API at `api_url` answers for every path the sync reads; the contract ids."""
    bodies: dict[str, str] = {}
    with httpx.Client(
        base_url=api_url, timeout=120, headers={"Authorization": f"Bearer {token}"}
    ) as api:

        def keep(path: str) -> bytes:
            response = api.get(path)
            response.raise_for_status()
            bodies[path] = response.content.decode()
            return response.content

        for path in FIXED_PATHS:
            keep(path)
        ids = [c["id"] for c in json.loads(keep("/contracts"))["contracts"]]
        for contract_id in ids:
            keep(f"/contracts/{contract_id}")
    out.write_text(json.dumps(bodies))
    return ids


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the dashboard's pooled client expects
    # Headers and body go out in two writes: without this, Nagle and delayed ACKs add 40 ms.
    disable_nagle_algorithm = True
    bodies: dict[str, bytes] = {}

    def do_GET(self):
        path = self.path.removeprefix(PREFIX)
        body = self.bodies.get(path)
        if body is None and path.startswith("/updates"):
            body = self.bodies["/updates?limit=200"]  # any cursor: the feed's end
        status = 200 if body is not None else 404
        if body is None:
            body = b'{"error": "Not captured.", "code": "NOT_FOUND"}'
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def serve(capture_file: Path, port: int) -> None:
    Handler.bodies = {k: v.encode() for k, v in json.loads(capture_file.read_text()).items()}
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    server.serve_forever()


class FastUpstream:
    """The server above in a process of its own (not sharing the client's interpreter)."""

    def __init__(self, capture_file: Path, port: int):
        self.url = f"http://127.0.0.1:{port}{PREFIX}"
        self.proc = subprocess.Popen(  # noqa: S603 (this very script)
            [sys.executable, __file__, str(capture_file), "--port", str(port)]
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(self.url + "/auth/me", timeout=1).raise_for_status()
                return
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("the fast upstream did not start")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("capture", type=Path)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    serve(args.capture, args.port)
