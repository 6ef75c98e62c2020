"""Keep secrets out of the server's log.

uvicorn logs every request's path with its query string, and a client may put a
`client_secret`, an `access_token` or a code in the query. The filter here cuts
the query from the paths uvicorn logs (the access line, and the WebSocket lines
of its error logger); the path stays, so the log still says what was asked.
"""

from __future__ import annotations

import logging

REDACTED_QUERY = "?[query redacted]"
SERVER_LOGGERS = ("uvicorn.access", "uvicorn.error")
"""The loggers uvicorn writes request paths to."""


def without_query(value: object) -> object:
    """A logged path without its query string; anything else unchanged."""
    if isinstance(value, str) and value.startswith("/") and "?" in value:
        return value.partition("?")[0] + REDACTED_QUERY
    return value


class RedactQueryStrings(logging.Filter):
    """Drops the query strings from the request paths a log record carries."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(without_query(arg) for arg in record.args)
        return True


def redact_server_logs() -> None:
    """Install the filter on uvicorn's loggers, once however many apps are built."""
    for name in SERVER_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(existing, RedactQueryStrings) for existing in logger.filters):
            logger.addFilter(RedactQueryStrings())
