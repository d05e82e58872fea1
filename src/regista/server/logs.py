"""Server logging: every record as one JSON object per line on stderr (the access log's format too)."""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime

import orjson

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# Marks the handler installed here, so configuring twice (parent process, then the app) never doubles lines.
_HANDLER_NAME = "regista-json"


class JsonFormatter(logging.Formatter):
    """`{"time", "level", "logger", "pid", ...}`: a record's `fields` (extra={"fields": {...}}) become top-level
    keys, otherwise its message is under "message". `pid` tells the processes of `--workers N` apart."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "pid": record.process,
        }
        fields = getattr(record, "fields", None)
        if fields:
            entry.update(fields)
        else:
            entry["message"] = record.getMessage()
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(entry).decode()


def configure_logging(level: str) -> None:
    """JSON lines on stderr for every logger; regista's own loggers at `level`, everything else at WARNING."""
    level = level.upper()
    if level not in LEVELS:
        raise ValueError(f"unknown log level {level!r}: use one of {', '.join(LEVELS)}")
    root = logging.getLogger()
    if not any(h.get_name() == _HANDLER_NAME for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.set_name(_HANDLER_NAME)
        handler.setFormatter(JsonFormatter())
        root.addHandler(handler)
    root.setLevel(logging.WARNING)
    logging.getLogger("regista").setLevel(level)
