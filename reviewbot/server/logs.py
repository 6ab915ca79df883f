"""Structured logs: one JSON object a line on stderr, secrets redacted."""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

from reviewbot.redact import redact


def log(event: str, **fields: Any) -> None:
    now = time.time()
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}Z"
    record = {"ts": stamp, "event": event}
    record.update({k: v for k, v in fields.items() if v is not None})
    sys.stderr.write(redact(json.dumps(record, default=str)) + "\n")
    sys.stderr.flush()


class JsonLines(logging.Handler):
    """Library logs (Dramatiq's retries and failures) as the same JSON lines, one line each:
    the exception's last line rather than its traceback."""

    def emit(self, record: logging.LogRecord) -> None:
        error = None
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            error = f"{exc.__class__.__name__}: {exc}"
        log(record.name, level=record.levelname.lower(), message=record.getMessage(), error=error)


def setup_logging(level: int = logging.INFO) -> None:
    root = logging.getLogger()
    root.handlers[:] = [JsonLines()]
    root.setLevel(logging.WARNING)
    logging.getLogger("dramatiq").setLevel(level)
