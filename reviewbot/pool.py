"""A bounded pool of daemon threads that fills numbered slots, one result each.

Work is a callable returning a `Step`: the slot's result so far and, optionally, the next
piece of work for the same slot (a second request about the same chunk, say). That next
piece goes back on the same queue, so every kind of work shares one concurrency bound. A
slot is done when a step has no follow-up. At the deadline the pool stops waiting: a slot
with a result so far keeps it, others get `unfinished(slot)`. Daemon threads, so a request
hung past the deadline cannot hold the process open.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from reviewbot.limits import Deadline

R = TypeVar("R")


@dataclass
class Step(Generic[R]):
    result: R
    then: Callable[[], Step[R]] | None = None


Work = Callable[[], Step[R]]


class WorkPool(Generic[R]):
    def __init__(
        self,
        concurrency: int,
        deadline: Deadline,
        *,
        crashed: Callable[[int, Exception], R],
        unfinished: Callable[[int], R],
        on_deadline: Callable[[], None] | None = None,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> None:
        self.concurrency = concurrency
        self.deadline = deadline
        self.crashed = crashed  # a bug in one slot's work must not sink the others
        self.unfinished = unfinished
        self.on_deadline = on_deadline
        self.on_progress = on_progress

    def run(self, work: list[Work[R]]) -> list[R]:
        total = len(work)
        todo: queue.Queue[tuple[int, Work[R]]] = queue.Queue()
        for slot, item in enumerate(work):
            todo.put((slot, item))
        so_far: dict[int, R] = {}
        done: dict[int, R] = {}
        changed = threading.Condition()

        def worker() -> None:
            while True:
                try:
                    slot, item = todo.get_nowait()
                except queue.Empty:
                    return
                try:
                    step = item()
                except Exception as exc:
                    step = Step(self.crashed(slot, exc))
                with changed:
                    if slot in done:
                        continue  # the deadline already settled it
                    if step.then is not None:
                        so_far[slot] = step.result
                        todo.put((slot, step.then))  # this worker is alive to take it
                        continue
                    done[slot] = step.result
                    changed.notify_all()
                    count = len(done)
                if self.on_progress:
                    self.on_progress(count, total)

        for _ in range(min(max(1, self.concurrency), total)):
            threading.Thread(target=worker, daemon=True).start()
        with changed:
            while len(done) < total:
                remaining = self.deadline.remaining()
                if remaining is not None and remaining <= 0:
                    if self.on_deadline:
                        self.on_deadline()
                    break
                changed.wait(timeout=remaining if remaining is not None else 1.0)
            for slot in range(total):
                if slot not in done:
                    done[slot] = so_far[slot] if slot in so_far else self.unfinished(slot)
            return [done[slot] for slot in range(total)]
