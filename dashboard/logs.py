"""Log filters: what a URL's query string carries never reaches a log line; the worker's own calls
to the embedded sandbox, and its refusals, do not fill the development server's log."""

import logging
import re

_QUERY = re.compile(r"\?[^\s\"]*")


class NoQueryValues(logging.Filter):
    """Cut the query string out of a request line (Django's development server logs it whole)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args and isinstance(record.args, tuple):
            record.args = tuple(
                _QUERY.sub("?…", arg) if isinstance(arg, str) else arg for arg in record.args
            )
        record.msg = _QUERY.sub("?…", str(record.msg))
        return True


class QuietSandboxApi(logging.Filter):
    """Leave out the development server's lines for calls to the embedded sandbox's API that it
    answered: with `make run` they are the worker reading the feed every 30 s for each demo
    account, which buries the PM's own requests. Its refusals (4xx) too: that is the sandbox
    playing OpenTrain (a demo account without a scope, an unclaimed one), and the dashboard shows
    them in words. A sandbox that failed (5xx) is still logged."""

    def filter(self, record: logging.LogRecord) -> bool:
        line = record.getMessage()
        if "/sandbox/api/" not in line:
            return True
        status = getattr(record, "status_code", None)
        return status is None or int(status) >= 500
