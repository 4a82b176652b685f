"""Log filters: what a URL's query string carries never reaches a log line."""

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
