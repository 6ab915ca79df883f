"""What both console scripts check before they start: settings, secrets, Redis.

Kept light (heavy imports happen inside the functions) so a bad start fails fast.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, NoReturn
from urllib.parse import urlsplit

from reviewbot.config import ConfigError
from reviewbot.exitcodes import EXIT_USAGE
from reviewbot.redact import redact

if TYPE_CHECKING:
    from reviewbot.server.jobs import Queue


def fail(command: str, message: str) -> NoReturn:
    sys.stderr.write(f"{command}: {redact(message)}\n")
    sys.exit(EXIT_USAGE)


def api_url() -> str:
    from reviewbot.github.connection import PUBLIC_API

    return os.environ.get("GITHUB_API_URL") or PUBLIC_API


def check_redis(queue: Queue) -> None:
    import redis

    url = urlsplit(queue.settings.redis_url)
    where = f"{url.hostname or 'localhost'}:{url.port or 6379}"
    try:
        queue.ping()
    except redis.RedisError as exc:
        raise ConfigError(f"cannot reach Redis at {where} (REVIEWBOT_REDIS_URL): {exc}") from None
