"""Logs carry the route and the IDs, never a query string's values."""

import logging
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MARKER = "QUERYVALUEzz9"

RUNSERVER_LINE = f"""
import logging, django
django.setup()
logging.getLogger("django.server").info(
    '"%s" %s %s', "GET /contracts/?q={MARKER}&page=2 HTTP/1.1", "200", "5120"
)
logging.getLogger("django.request").error("Internal Server Error: /contracts/?q={MARKER}")
api = '"%s" %s %s', "GET /sandbox/api/public/v1/updates?limit=200 HTTP/1.1"
logging.getLogger("django.server").info(*api, "200", "56", extra={{"status_code": 200}})
logging.getLogger("django.server").info(*api, "503", "80", extra={{"status_code": 503}})
"""


def test_the_development_server_and_request_logs_leave_out_query_values_and_sandbox_calls():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OT_", "DEBUG", "LOG_"))}
    env |= {"SECRET_KEY": "x", "DJANGO_SETTINGS_MODULE": "dashboard.settings"}
    result = subprocess.run(
        [sys.executable, "-c", RUNSERVER_LINE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert '"GET /contracts/?… HTTP/1.1" 200 5120' in result.stderr
    assert "Internal Server Error: /contracts/?…" in result.stderr
    assert MARKER not in result.stderr
    # The worker's answered calls to the embedded sandbox stay out; a failed one is logged.
    assert '/sandbox/api/public/v1/updates?… HTTP/1.1" 200' not in result.stderr
    assert '/sandbox/api/public/v1/updates?… HTTP/1.1" 503 80' in result.stderr


def test_pages_with_query_values_log_none_of_them(sandbox, pm, caplog):
    caplog.set_level(logging.DEBUG)

    pm.get("/contracts/", {"q": MARKER, "refresh": "1", "status": MARKER})
    pm.get("/milestones/new/", {"contract": "ctr_owner_hourly_38", "name": MARKER})
    pm.get("/approvals/apr_none/", {"from": MARKER})

    assert caplog.records
    logged = caplog.text + "".join(str(record.__dict__) for record in caplog.records)
    assert MARKER not in logged
