"""Distributed locks with owners: one review at a time per pull request, and at most N at a
time per installation.

Each lock is a redis-py `Lock` (a key holding its owner's token, with an expiry) renewed by a
background thread while the job runs. A SIGKILLed worker stops renewing, so its locks lapse
after `ttl` seconds and another worker can take over. (Dramatiq's ConcurrentRateLimiter keeps
an ownerless counter instead: a killed worker's slot stays taken until the whole counter key
expires, which under steady traffic may be never.)
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import redis
from redis.exceptions import LockError
from redis.lock import Lock


class Leases:
    def __init__(self, client: redis.Redis, prefix: str, ttl: float) -> None:
        self.client = client
        self.prefix = prefix
        self.ttl = ttl

    def _try(self, name: str) -> Lock | None:
        # Not thread-local: the renewal thread must see the token the job's thread took.
        lock = self.client.lock(name, timeout=self.ttl, blocking=False, thread_local=False)
        return lock if lock.acquire(blocking=False) else None

    def pull_lock(self, repo: str, number: int) -> Lock | None:
        return self._try(f"{self.prefix}:lock:pr:{repo}#{number}")

    def installation_slot(self, installation_id: int, limit: int) -> Lock | None:
        start = random.randrange(limit)  # spread the contention over the slots
        for i in range(limit):
            lock = self._try(f"{self.prefix}:lock:inst:{installation_id}:{(start + i) % limit}")
            if lock is not None:
                return lock
        return None

    def running(self) -> int:
        """Reviews holding a pull request lock right now, across every worker."""
        return sum(1 for _ in self.client.scan_iter(f"{self.prefix}:lock:pr:*", count=500))

    @contextmanager
    def held(self, locks: list[Lock]) -> Iterator[None]:
        """Keep `locks` renewed until the block ends, then release them."""
        stop = threading.Event()

        def renew() -> None:
            while not stop.wait(self.ttl / 3):
                for lock in locks:
                    # Lost (or Redis is away): the posting check before a review still holds.
                    with suppress(LockError, redis.RedisError):
                        lock.reacquire()

        thread = threading.Thread(target=renew, name="lease-renewal", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()
            release(locks)


def release(locks: list[Lock]) -> None:
    for lock in locks:
        with suppress(LockError, redis.RedisError):
            lock.release()
