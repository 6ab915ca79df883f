"""What both console scripts check before they start: settings, secrets, Redis."""

from __future__ import annotations

import os
import sys
from typing import NoReturn
from urllib.parse import urlsplit

import redis

from reviewbot.config import ConfigError
from reviewbot.exitcodes import EXIT_USAGE
from reviewbot.github.connection import PUBLIC_API
from reviewbot.redact import redact
from reviewbot.server.jobs import Queue


def fail(command: str, message: str) -> NoReturn:
    sys.stderr.write(f"{command}: {redact(message)}\n")
    sys.exit(EXIT_USAGE)


def api_url() -> str:
    return os.environ.get("GITHUB_API_URL") or PUBLIC_API


def check_redis(queue: Queue) -> None:
    url = urlsplit(queue.settings.redis_url)
    where = f"{url.hostname or 'localhost'}:{url.port or 6379}"
    try:
        queue.ping()
    except redis.RedisError as exc:
        raise ConfigError(f"cannot reach Redis at {where} (REVIEWBOT_REDIS_URL): {exc}") from None
