"""The review engine: chunks in, one merged result out.

Chunks run concurrently on a bounded pool of daemon threads (`pool`), so a per-review deadline
can return on time even while a request hangs. Every chunk ends reviewed, cached or failed
with a reason; a fatal endpoint error stops new requests but keeps what is done, and lands on
`ReviewResult.fatal`. The --max-tokens budget and the deadline are `limits`, the answer cache
is `cache.AnswerCache`, the merge is `outcome`; what is left here is the asking.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

from reviewbot.answer import ModelAnswer, parse_answer
from reviewbot.cache import AnswerCache
from reviewbot.chat import ChatClient, EndpointError, ModelReply, RequestFailed
from reviewbot.chunker import Chunk, ChunkPlan, plan_chunks
from reviewbot.diffmodel import Diff
from reviewbot.filters import FileFilter
from reviewbot.findings import ReviewResult, SkippedFile
from reviewbot.i18n import _
from reviewbot.limits import BudgetRefused, Deadline, MoneyBudget, TokenBudget
from reviewbot.outcome import ChunkOutcome, merge
from reviewbot.pool import Step, Work, WorkPool
from reviewbot.pricing import Price
from reviewbot.prompts import PromptRenderer
from reviewbot.redact import redact
from reviewbot.tokens import TokenCounter


@dataclass(frozen=True)
class Progress:
    """How far a review is: chunks done of all, and the tokens (and cost) spent so far."""

    done: int
    total: int
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float | None = None


ProgressCallback = Callable[[Progress], None]


@dataclass(frozen=True)
class EngineOptions:
    chunk_budget: int
    concurrency: int
    max_reasks: int
    deadline_seconds: float | None
    token_budget: int | None
    prices: Price | None
    max_cost: float | None = None  # in the price's currency; needs `prices`


@dataclass
class PreparedReview:
    plan: ChunkPlan
    skipped: list[SkippedFile]
    changed_lines: int


def prepare(
    diff: Diff, file_filter: FileFilter, budget: int, counter: TokenCounter
) -> PreparedReview:
    files, skipped = file_filter.split(diff)
    plan = plan_chunks(files, budget, counter)
    for line in plan.oversized:
        where = (
            _("line {n}").format(n=line.new_no)
            if line.new_no is not None
            else _("removed line {n}").format(n=line.old_no)
        )
        skipped.append(
            SkippedFile(
                path=line.path,
                changed_lines=1,
                reason=_("{where} is longer ({tokens} tokens) than the chunk budget").format(
                    where=where, tokens=line.tokens
                ),
            )
        )
    return PreparedReview(plan, skipped, diff.changed_count)


# More work for a chunk once its review is in (a second pass over its findings, say): the
# engine runs it on the same pool, within the same budget and deadline, and its Step's result
# replaces the chunk's outcome. None: the chunk is done.
FollowUp = Callable[["Reviewer", ChunkOutcome], Work[ChunkOutcome] | None]


class Reviewer:
    """Asks the model about each chunk: re-asks an invalid answer, salvages a partial one,
    and keeps to the run's budget and deadline."""

    def __init__(
        self,
        client: ChatClient,
        renderer: PromptRenderer,
        options: EngineOptions,
        *,
        cache: AnswerCache | None,
        counter: TokenCounter | None,
        on_progress: ProgressCallback | None = None,
        follow_up: FollowUp | None = None,
        other_clients: Sequence[ChatClient] = (),
    ) -> None:
        self.client = client
        self.renderer = renderer
        self.options = options
        self.cache = cache
        self.counter = counter
        self.on_progress = on_progress
        self.follow_up = follow_up
        self.other_clients = tuple(other_clients)  # follow-up work's clients, also cancelled
        self.budget = TokenBudget(options.token_budget)
        self.money = (
            MoneyBudget(options.max_cost, options.prices)
            if options.max_cost is not None and options.prices is not None
            else None
        )
        self.deadline = Deadline(None)
        self._lock = threading.Lock()
        self._fatal: str | None = None
        self._done = 0
        self._total = 0
        self._tokens = (0, 0, 0)  # prompt, completion, cached prompt tokens so far

    @property
    def fatal(self) -> str | None:
        return self._fatal

    def _report(self, done: int | None = None, total: int | None = None) -> None:
        """Tell on_progress where the run is: after every answer, not only every chunk."""
        if self.on_progress is None:
            return
        with self._lock:
            if done is not None:
                self._done = max(self._done, done)
            if total is not None:
                self._total = total
            prompt, completion, cached = self._tokens
            prices = self.options.prices
            progress = Progress(
                self._done,
                self._total,
                prompt,
                completion,
                prices.cost(prompt, completion, cached) if prices is not None else None,
            )
        self.on_progress(progress)

    # -- asking ------------------------------------------------------------------------------

    def ask(
        self,
        outcome: ChunkOutcome,
        messages: list[dict[str, str]],
        *,
        client: ChatClient | None = None,
    ) -> ModelReply:
        """One request, counted on `outcome` and against the budget; raises RequestFailed
        (BudgetRefused when the budget is spent) or EndpointError, which stops the run.

        `client`: another client for follow-up work (the self-check's model); its endpoint
        errors are the follow-up's own and do not stop the run."""
        if self._fatal is not None:
            raise RequestFailed(f"not sent: {self._fatal}")
        if self.deadline.passed(0.5):
            raise RequestFailed("the review's --timeout was reached before this chunk was sent")
        estimate = sum(len(m["content"]) for m in messages) // 3
        self.budget.reserve(estimate)
        try:
            held = self.money.reserve(estimate) if self.money is not None else 0.0
        except BudgetRefused:
            self.budget.settle(estimate, 0)
            raise
        reply: ModelReply | None = None
        try:
            outcome.requests += 1
            reply = (client or self.client).complete(messages, deadline=self.deadline.at)
        except EndpointError as exc:
            if client is None:
                with self._lock:
                    self._fatal = self._fatal or str(exc)
            raise
        finally:
            used = 0
            if reply is not None:
                if not reply.usage_reported and self.counter is not None:
                    reply.prompt_tokens = sum(self.counter.count(m["content"]) for m in messages)
                    reply.completion_tokens = self.counter.count(reply.content or "")
                outcome.prompt_tokens += reply.prompt_tokens
                outcome.cached_tokens += reply.cached_tokens
                outcome.completion_tokens += reply.completion_tokens
                used = reply.prompt_tokens + reply.completion_tokens
                with self._lock:
                    prompt, completion, cached = self._tokens
                    self._tokens = (
                        prompt + reply.prompt_tokens,
                        completion + reply.completion_tokens,
                        cached + reply.cached_tokens,
                    )
            self.budget.settle(estimate, used)
            if self.money is not None:
                self.money.settle(
                    held,
                    reply.prompt_tokens if reply else 0,
                    reply.completion_tokens if reply else 0,
                    reply.cached_tokens if reply else 0,
                )
        if reply is not None:
            self._report()
        return reply

    def answer(self, outcome: ChunkOutcome, messages: list[dict[str, str]]) -> ModelAnswer:
        """A valid answer, re-asking up to --max-reasks times; else the best salvage."""
        conversation = list(messages)
        first_errors: list[str] = []
        salvage: ModelAnswer | None = None
        for attempt in range(self.options.max_reasks + 1):
            reply = self.ask(outcome, conversation)
            parsed = parse_answer(reply.content)
            if parsed.answer is None and not (reply.content or "").strip() and reply.reasoning:
                # Some providers put the whole answer in reasoning_content.
                from_reasoning = parse_answer(reply.reasoning)
                if from_reasoning.answer is not None:
                    parsed = from_reasoning
            if parsed.answer is not None:
                return parsed.answer
            truncated = reply.finish_reason == "length"
            first_errors = first_errors or parsed.errors
            salvage = parsed.salvage or salvage
            if attempt == self.options.max_reasks:
                break
            outcome.reasks += 1
            conversation = [
                *messages,
                {"role": "assistant", "content": (reply.content or "")[-8000:]},
                {"role": "user", "content": self.renderer.reask(parsed.errors, truncated)},
            ]
        if salvage is not None and (salvage.issues or salvage.score):
            return salvage
        reason = "; ".join(first_errors[:3]) or "invalid answer"
        asks = self.options.max_reasks
        raise RequestFailed(
            f"no valid answer after {asks} {'re-ask' if asks == 1 else 're-asks'}: {reason}"
        )

    def review_chunk(self, chunk: Chunk) -> ChunkOutcome:
        outcome = ChunkOutcome(chunk)
        if self._fatal is not None:
            outcome.failure = f"not sent: {self._fatal}"
            return outcome
        messages = self.renderer.messages(chunk)
        cached = self.cache.get(messages) if self.cache is not None else None
        if cached is not None:
            outcome.cached = True
            outcome.fill(cached)
            return outcome
        try:
            answer = self.answer(outcome, messages)
        except (EndpointError, RequestFailed) as exc:
            outcome.failure = str(exc)
            outcome.unsent = isinstance(exc, BudgetRefused)
            return outcome
        if self.cache is not None:
            self.cache.put(messages, answer)  # refuses answers with secrets
        outcome.fill(answer)
        return outcome

    # -- the whole review --------------------------------------------------------------------

    def _cancel(self) -> None:
        for client in (self.client, *self.other_clients):
            client.cancel()

    def _chunk_work(self, chunk: Chunk) -> Step[ChunkOutcome]:
        outcome = self.review_chunk(chunk)
        then = self.follow_up(self, outcome) if self.follow_up is not None else None
        return Step(outcome, then)

    def run(self, prepared: PreparedReview) -> ReviewResult:
        started = time.monotonic()
        self.deadline = Deadline(self.options.deadline_seconds)
        chunks = prepared.plan.chunks
        pool = WorkPool[ChunkOutcome](
            self.options.concurrency,
            self.deadline,
            crashed=lambda slot, exc: ChunkOutcome(
                chunks[slot], failure=redact(f"internal error: {exc!r}")[:300]
            ),
            unfinished=lambda slot: ChunkOutcome(
                chunks[slot],
                failure=_("the review's --timeout was reached before this chunk ended"),
            ),
            # Wake retry waits and streams still running: nothing they get is used.
            on_deadline=self._cancel,
            on_progress=lambda done, total: self._report(done, total),
        )
        self._report(0, len(chunks))  # the total is known before the first request
        outcomes = pool.run([partial(self._chunk_work, chunk) for chunk in chunks])
        result = merge(outcomes, prepared.skipped, prepared.changed_lines, self.options.prices)
        result.stats.requests = self.client.http_attempts
        result.stats.retries = self.client.retries
        result.stats.elapsed_seconds = round(time.monotonic() - started, 3)
        result.model = self.client.model
        result.fatal = self._fatal
        return result
