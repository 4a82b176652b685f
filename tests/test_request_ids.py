"""One dashboard request ID on every log line of a request and in its X-Request-ID header, beside
the OpenTrain requestId of the upstream call that produced it: support follows one click through."""

import copy
import io
import json
import logging.config
import re

import pytest

from sandbox.demo import OWNER_TOKEN
from sandbox.models import Account as UpstreamAccount

FORM = "/contracts/ctr_owner_hourly_38/milestones/new/"


@pytest.fixture
def json_log(settings):
    """The project's logging as LOG_FORMAT=json configures it, writing into a buffer."""
    stream = io.StringIO()
    config = copy.deepcopy(settings.LOGGING)
    config["handlers"]["console"] |= {"formatter": "json", "stream": stream}
    logging.config.dictConfig(config)
    yield stream
    logging.config.dictConfig(settings.LOGGING)


def test_every_response_carries_its_own_request_id(client, db):
    first = client.get("/healthz")["X-Request-ID"]
    second = client.get("/accounts/login/")["X-Request-ID"]

    assert re.fullmatch(r"[0-9a-f]{32}", first)
    assert re.fullmatch(r"[0-9a-f]{32}", second)
    assert first != second


def test_a_request_id_sent_by_the_client_is_not_trusted(client, db):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="forged\nline")

    assert response["X-Request-ID"] != "forged\nline"
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


def test_a_json_log_line_carries_both_request_ids_and_no_token(sandbox, pm, json_log):
    # Pages read the mirror; a write is what reaches OpenTrain from a request.
    form = pm.get(FORM).content.decode()
    key = re.search(r'name="submission_key" value="([0-9a-f-]{36})"', form).group(1)
    UpstreamAccount.objects.filter(key="owner").update(fault="POST:500")

    response = pm.post(
        FORM + "?q=secret-search-words",
        {"name": "Logged", "description": "request ids", "volume": "2", "submission_key": key},
    )

    lines = json_log.getvalue().splitlines()
    records = [json.loads(line) for line in lines]
    upstream = [
        r for r in records if r["name"] == "dashboard.opentrain" and r.get("ot_status") == 500
    ]
    assert upstream, lines
    record = upstream[0]
    assert record["request_id"] == response["X-Request-ID"]
    assert record["ot_request_id"]
    # The same OpenTrain requestId the PM sees on the page, to quote to support.
    assert record["ot_request_id"] in response.content.decode()
    assert OWNER_TOKEN not in json_log.getvalue()
    assert "secret-search-words" not in json_log.getvalue()


def test_lines_outside_a_request_say_so(json_log):
    logging.getLogger("dashboard.sync").info("a worker line")

    record = json.loads(json_log.getvalue().splitlines()[-1])
    assert record["request_id"] == "-"
