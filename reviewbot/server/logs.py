"""Structured logs: one JSON object a line on stderr, secrets redacted."""

from __future__ import annotations

import json
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
