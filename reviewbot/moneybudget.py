"""--max-cost: a run's budget in money, beside the --max-tokens budget in tokens.

Before each request the engine reserves what the request may cost: its prompt at the input price
and a typical answer at the output price. Once one request would pass the budget, nothing more is
sent (the chunks already started finish), so a run stops rather than picking smaller chunks.
"""

from __future__ import annotations

import threading

from reviewbot.pricing import TYPICAL_ANSWER_TOKENS, Price


class MoneyBudget:
    def __init__(self, limit: float, price: Price) -> None:
        self.limit = limit
        self.price = price
        self._lock = threading.Lock()
        self._spent = 0.0
        self._reserved = 0.0
        self._closed = False

    @property
    def spent(self) -> float:
        with self._lock:
            return self._spent

    def estimate(self, prompt_tokens: int) -> float:
        return self.price.cost(prompt_tokens, TYPICAL_ANSWER_TOKENS)

    def reserve(self, prompt_tokens: int) -> tuple[float, str | None]:
        """(the amount held, None) when the request may be sent, else (0, why not)."""
        amount = self.estimate(prompt_tokens)
        with self._lock:
            # The tolerance keeps float sums of exact fits (100 × $0.01 in $1) inside.
            if self._closed or self._spent + self._reserved + amount > self.limit * (1 + 1e-9):
                self._closed = True
                return 0.0, (
                    f"not sent: the run's --max-cost budget ({self.price.format(self.limit)}) "
                    f"would be passed ({self.price.format(self._spent)} spent)"
                )
            self._reserved += amount
            return amount, None

    def settle(self, held: float, prompt_tokens: int, completion_tokens: int) -> None:
        """Replace what was held by what the request cost."""
        with self._lock:
            self._reserved -= held
            self._spent += self.price.cost(prompt_tokens, completion_tokens)
