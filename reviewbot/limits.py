"""The limits of a run: the --max-tokens and --max-cost budgets and the --timeout deadline."""

from __future__ import annotations

import threading
import time

from reviewbot.chat import RequestFailed
from reviewbot.pricing import TYPICAL_ANSWER_TOKENS, Price


class BudgetRefused(RequestFailed):
    """Not sent: the run's --max-tokens or --max-cost budget is spent. The user's choice, not a
    failure of the endpoint."""


class TokenBudget:
    """Tokens a run may spend, shared by its threads; `limit` None means no limit.

    A request reserves its estimated prompt before it is sent and settles with what it used.
    Once one request is refused no other is sent, so a run reviews the chunks it started and
    stops, rather than picking smaller ones.
    """

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self._spent = 0
        self._reserved = 0
        self._refused = False

    @property
    def spent(self) -> int:
        return self._spent

    def reserve(self, estimate: int) -> None:
        """Hold room for a request of about `estimate` tokens, or raise BudgetRefused."""
        with self._lock:
            if self.limit is not None and (
                self._refused or self._spent + self._reserved + estimate > self.limit
            ):
                self._refused = True
                raise BudgetRefused(
                    f"not sent: the run's --max-tokens budget ({self.limit:,} tokens) is spent "
                    f"({self._spent:,} used)"
                )
            self._reserved += estimate

    def settle(self, estimate: int, used: int) -> None:
        with self._lock:
            self._reserved -= estimate
            self._spent += used


class MoneyBudget:
    """Money a run may spend (--max-cost), in the price's currency, shared by its threads.

    A request holds what it may cost (its prompt at the input price and a typical answer at the
    output price) before it is sent and settles with what it cost. Like the token budget, once
    one request is refused no other is sent.
    """

    def __init__(self, limit: float, price: Price) -> None:
        self.limit = limit
        self.price = price
        self._lock = threading.Lock()
        self._spent = 0.0
        self._reserved = 0.0
        self._refused = False

    @property
    def spent(self) -> float:
        with self._lock:
            return self._spent

    def reserve(self, prompt_tokens: int) -> float:
        """Hold what a request of about `prompt_tokens` may cost, or raise BudgetRefused."""
        amount = self.price.cost(prompt_tokens, TYPICAL_ANSWER_TOKENS)
        with self._lock:
            # The tolerance keeps float sums of exact fits (100 × $0.01 in $1) inside.
            if self._refused or self._spent + self._reserved + amount > self.limit * (1 + 1e-9):
                self._refused = True
                raise BudgetRefused(
                    f"not sent: the run's --max-cost budget ({self.price.format(self.limit)}) "
                    f"would be passed ({self.price.format(self._spent)} spent)"
                )
            self._reserved += amount
            return amount

    def settle(
        self, held: float, prompt_tokens: int, completion_tokens: int, cached_tokens: int = 0
    ) -> None:
        with self._lock:
            self._reserved -= held
            self._spent += self.price.cost(prompt_tokens, completion_tokens, cached_tokens)


class Deadline:
    """A point in time.monotonic(), or none at all."""

    def __init__(self, seconds: float | None) -> None:
        self.at = time.monotonic() + seconds if seconds else None

    def remaining(self) -> float | None:
        return None if self.at is None else self.at - time.monotonic()

    def passed(self, margin: float = 0.0) -> bool:
        remaining = self.remaining()
        return remaining is not None and remaining <= margin
