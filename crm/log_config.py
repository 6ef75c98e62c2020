"""One log format for every line a server writes: the app's, uvicorn's and the libraries'.

Everything logs through the standard library; the root logger's one handler formats
each record with structlog's `ProcessorFormatter`: one JSON object a line (`json`), or
aligned, readable lines (`console`). Each line carries its time, level and logger,
and the request id of the request it was written during (`structlog.contextvars`).
`crm serve` hands `uvicorn_log_config` to uvicorn, which applies it in every worker.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import structlog
from structlog.types import Processor


class LogFormat(StrEnum):
    JSON = "json"
    CONSOLE = "console"


class LogLevel(StrEnum):
    DEBUG = "debug"
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"
    CRITICAL = "critical"


SHARED_PROCESSORS: tuple[Processor, ...] = (
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True, key="time"),
    structlog.stdlib.ExtraAdder(),
)
"""What every line gets, whoever logged it."""


def _without_uvicorn_colours(
    logger: Any, method_name: str, event_dict: structlog.types.EventDict
) -> structlog.types.EventDict:
    """uvicorn adds a `color_message` (the message with terminal colours) to its records."""
    event_dict.pop("color_message", None)
    return event_dict


def formatter(log_format: str) -> structlog.stdlib.ProcessorFormatter:
    """The root handler's formatter for `log_format` (`json` or `console`)."""
    renderer: Processor = (
        structlog.processors.JSONRenderer()
        if LogFormat(log_format) is LogFormat.JSON
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=list(SHARED_PROCESSORS),
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            _without_uvicorn_colours,
            structlog.processors.format_exc_info,
            renderer,
        ],
    )


def uvicorn_log_config(log_format: LogFormat, log_level: LogLevel) -> dict[str, Any]:
    """A `logging.config.dictConfig` for uvicorn's `log_config`: one handler on the root
    logger, which uvicorn's loggers propagate to (their own handlers removed)."""
    level = log_level.value.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "crm": {"()": "crm.log_config.formatter", "log_format": log_format.value},
        },
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "crm",
                "stream": "ext://sys.stderr",
            },
        },
        "root": {"handlers": ["stderr"], "level": level},
        "loggers": {
            name: {"handlers": [], "propagate": True, "level": level}
            for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")
        },
    }
