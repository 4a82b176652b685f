"""LOG_FORMAT=json writes one JSON object a line, and the scripts count upstream calls from it."""

import json
import os
import subprocess
import sys
from pathlib import Path

from scripts.servers import Call, upstream_calls

ROOT = Path(__file__).resolve().parent.parent

# One upstream call logged as the API client logs it: on its logger, with the structured fields.
LOG_ONE_CALL = """
import logging, django
django.setup()
logging.getLogger("dashboard.opentrain").info(
    "opentrain GET /contracts -> 200 in 12 ms",
    extra={
        "ot_method": "GET",
        "ot_route": "/contracts",
        "ot_status": 200,
        "ot_ms": 12.4,
        "ot_attempt": 1,
        "ot_request_id": "req_123",
    },
)
logging.getLogger("dashboard.views").info("a line that is not an upstream call")
"""


def _run(code, **env):
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("OT_", "DEBUG", "LOG_FORMAT"))
    }
    environment.update({"SECRET_KEY": "x", "DJANGO_SETTINGS_MODULE": "dashboard.settings"}, **env)
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_json_lines_carry_the_upstream_calls_structured_fields():
    result = _run(LOG_ONE_CALL, LOG_FORMAT="json")

    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stderr.splitlines()]
    assert records[0]["name"] == "dashboard.opentrain"
    assert records[0]["levelname"] == "INFO"
    assert records[0]["message"] == "opentrain GET /contracts -> 200 in 12 ms"
    assert {k: v for k, v in records[0].items() if k.startswith("ot_")} == {
        "ot_method": "GET",
        "ot_route": "/contracts",
        "ot_status": 200,
        "ot_ms": 12.4,
        "ot_attempt": 1,
        "ot_request_id": "req_123",
    }
    assert records[1]["name"] == "dashboard.views"


def test_the_scripts_count_the_calls_in_a_json_log_and_nothing_else():
    log = _run(LOG_ONE_CALL, LOG_FORMAT="json").stderr
    log = "[INFO] Booting worker with pid: 42\n" + log + '{"truncated": '

    assert upstream_calls(log) == [Call("GET", "/contracts", 12, 200)]


def test_plain_is_the_default_and_reads_as_words():
    result = _run(LOG_ONE_CALL)

    assert result.returncode == 0, result.stderr
    assert "INFO dashboard.opentrain opentrain GET /contracts -> 200 in 12 ms" in result.stderr
    assert upstream_calls(result.stderr) == []


def test_a_bad_log_format_stops_start_up_with_the_variable_named():
    result = _run("import django; django.setup(); print('started')", LOG_FORMAT="xml")

    assert result.returncode != 0
    assert "LOG_FORMAT" in result.stderr
    assert "started" not in result.stdout
