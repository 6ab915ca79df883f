"""The job queue: Dramatiq on a Redis broker, and the Redis keys reviewbot keeps beside it.

The web server only enqueues; `reviewbot-worker` binds the actor to `server.review.run_job`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import dramatiq
import redis
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import (
    AgeLimit,
    CurrentMessage,
    Retries,
    ShutdownNotifications,
    TimeLimit,
)

from reviewbot.server.settings import ServerSettings

ACTOR_NAME = "review_pull_request"
NAMESPACE = "dramatiq"
DONE_TTL = 30 * 86400
DELIVERY_TTL = 3 * 86400  # GitHub lets an App redeliver for three days


class PermanentJobError(Exception):
    """Retrying cannot help (bad repository configuration, pull request gone): dead-letter it."""


@dataclass(frozen=True)
class ReviewJob:
    delivery: str
    repo: str
    number: int
    head_sha: str
    base_ref: str
    installation_id: int | None

    @property
    def pull(self) -> str:
        return f"{self.repo}#{self.number}"


class Keys:
    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def delivery(self, delivery_id: str) -> str:
        return f"{self.prefix}:delivery:{delivery_id}"

    def head(self, repo: str, number: int) -> str:
        return f"{self.prefix}:head:{repo}#{number}"

    def done(self, repo: str, number: int, sha: str) -> str:
        return f"{self.prefix}:done:{repo}#{number}@{sha}"

    def error(self, message_id: str) -> str:
        return f"{self.prefix}:error:{message_id}"

    @property
    def stats(self) -> str:
        return f"{self.prefix}:stats"

    @property
    def installations(self) -> str:
        return f"{self.prefix}:installations"


Handler = Callable[..., None]


class Queue:
    def __init__(self, settings: ServerSettings, handler: Handler | None = None) -> None:
        self.settings = settings
        self.keys = Keys(settings.key_prefix)
        self.client = redis.Redis.from_url(settings.redis_url, socket_timeout=10)
        self.broker = RedisBroker(  # type: ignore[no-untyped-call]
            client=self.client,
            namespace=NAMESPACE,
            heartbeat_timeout=int(settings.heartbeat_timeout_seconds * 1000),
            maintenance_chance=settings.queue_maintenance_chance,
            middleware=[
                AgeLimit(),
                TimeLimit(time_limit=int(settings.job_time_limit_seconds * 1000)),
                ShutdownNotifications(),
                Retries(
                    max_retries=settings.max_attempts - 1,
                    min_backoff=int(settings.min_backoff_seconds * 1000),
                    max_backoff=int(settings.max_backoff_seconds * 1000),
                ),
                CurrentMessage(),
            ],
        )
        self._handler = handler
        self.actor: dramatiq.Actor[..., None] = dramatiq.Actor(
            self._run,
            broker=self.broker,
            actor_name=ACTOR_NAME,
            queue_name=settings.queue_name,
            priority=0,
            options={"throws": (PermanentJobError,)},
        )

    def bind(self, handler: Handler) -> None:
        self._handler = handler

    def _run(self, **job: Any) -> None:
        if self._handler is None:
            raise RuntimeError("this process only enqueues jobs")
        self._handler(**job)

    def ping(self) -> bool:
        return bool(self.client.ping())

    def enqueue(self, job: ReviewJob, *, delay_seconds: float = 0.0) -> str:
        """Record the job's head as the newest for its PR, then queue the job."""
        self.client.set(self.keys.head(job.repo, job.number), job.head_sha, ex=DONE_TTL)
        delay = int(delay_seconds * 1000) or None
        message = self.actor.send_with_options(kwargs=asdict(job), delay=delay)
        self.count("jobs_queued")
        return message.message_id

    def requeue(self, job: ReviewJob, *, delay_seconds: float) -> None:
        """Queue the same job again later (its PR or installation is busy); not a retry."""
        self.actor.send_with_options(kwargs=asdict(job), delay=max(1, int(delay_seconds * 1000)))

    def count(self, name: str, amount: float = 1) -> None:
        if isinstance(amount, int):
            self.client.hincrby(self.keys.stats, name, amount)
        else:
            self.client.hincrbyfloat(self.keys.stats, name, amount)

    def stats(self) -> dict[str, float]:
        raw: dict[bytes, bytes] = self.client.hgetall(self.keys.stats)  # type: ignore[assignment]
        return {k.decode(): float(v) for k, v in raw.items()}

    def depth(self) -> dict[str, int]:
        """Jobs waiting (ready now / delayed) and dead-lettered."""
        base = f"{NAMESPACE}:{self.settings.queue_name}"
        pipe = self.client.pipeline()
        pipe.llen(base)
        pipe.hlen(f"{base}.DQ.msgs")
        pipe.zcard(f"{base}.XQ")
        ready, delayed, dead = pipe.execute()
        return {"ready": int(ready), "delayed": int(delayed), "dead": int(dead)}

    def dead_letters(self) -> list[DeadLetter]:
        base = f"{NAMESPACE}:{self.settings.queue_name}.XQ"
        entries: list[tuple[bytes, float]] = self.client.zrange(  # type: ignore[assignment]
            base, 0, -1, withscores=True
        )
        out = []
        for raw_id, score in entries:
            data = self.client.hget(f"{base}.msgs", raw_id)
            if data is None:
                continue
            message = dramatiq.Message.decode(data)  # type: ignore[arg-type]
            error = self.client.get(self.keys.error(message.message_id))
            out.append(
                DeadLetter(
                    message_id=message.message_id,
                    failed_at=score / 1000,
                    job=message.kwargs,
                    attempts=int(message.options.get("retries", 0)) + 1,
                    error=error.decode() if isinstance(error, bytes) else None,
                )
            )
        return out


@dataclass(frozen=True)
class DeadLetter:
    message_id: str
    failed_at: float
    job: dict[str, Any]
    attempts: int
    error: str | None

    def line(self) -> str:
        when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.failed_at))
        pull = f"{self.job.get('repo')}#{self.job.get('number')}"
        head = str(self.job.get("head_sha", ""))[:7]
        return (
            f"{when}  {pull} @ {head}  attempts={self.attempts}  "
            f"delivery={self.job.get('delivery')}  job={self.message_id}  "
            f"error={self.error or '(unknown)'}"
        )

    def as_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)
