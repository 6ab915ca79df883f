"""The review engine: chunks in, one merged result out.

Chunks run concurrently on a bounded pool of daemon threads, so a per-review deadline can
return on time even while a request hangs. Every chunk ends reviewed, cached or failed with
a reason; a fatal endpoint error stops new requests but keeps what is done.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from reviewbot.anchor import ChunkAnchors, anchor_issue
from reviewbot.answer import ModelAnswer, parse_answer
from reviewbot.cache import ReviewCache, cache_key
from reviewbot.chunker import Chunk, ChunkPlan, plan_chunks
from reviewbot.diffmodel import Diff
from reviewbot.filters import FileFilter
from reviewbot.findings import FailedChunk, Finding, ReviewResult, SkippedFile, Stats
from reviewbot.llm import EndpointError, ModelClient, ModelReply, RequestFailed
from reviewbot.prompts import PromptRenderer
from reviewbot.redact import redact
from reviewbot.tokens import TokenCounter

ProgressCallback = Callable[[int, int], None]


@dataclass(frozen=True)
class Prices:
    """Price per million tokens, in the user's currency."""

    input: float
    output: float

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float:
        return (prompt_tokens * self.input + completion_tokens * self.output) / 1_000_000


@dataclass(frozen=True)
class EngineOptions:
    chunk_budget: int
    concurrency: int = 4
    max_reasks: int = 2
    deadline_seconds: float | None = None
    token_budget: int | None = None
    prices: Prices | None = None


class BudgetRefused(RequestFailed):
    """Not sent: the run's --max-tokens budget is spent. The user's choice, not a failure of
    the endpoint."""


@dataclass
class ChunkOutcome:
    chunk: Chunk
    findings: list[Finding] = field(default_factory=list)
    score: int | None = None
    failure: str | None = None
    unsent: bool = False  # refused by the --max-tokens budget, never sent
    cached: bool = False
    requests: int = 0
    reasks: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0


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
        where = f"line {line.new_no}" if line.new_no is not None else f"removed line {line.old_no}"
        skipped.append(
            SkippedFile(
                path=line.path,
                changed_lines=1,
                reason=f"{where} is longer ({line.tokens} tokens) than the chunk budget",
            )
        )
    return PreparedReview(plan, skipped, diff.changed_count)


class Reviewer:
    def __init__(
        self,
        client: ModelClient,
        renderer: PromptRenderer,
        options: EngineOptions,
        *,
        cache: ReviewCache | None = None,
        cache_salt: dict[str, object] | None = None,
        counter: TokenCounter | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> None:
        self.client = client
        self.renderer = renderer
        self.options = options
        self.cache = cache
        self.cache_salt = cache_salt or {}
        self.counter = counter
        self.on_progress = on_progress
        self._lock = threading.Lock()
        self._fatal: str | None = None
        self._spent = 0
        self._reserved = 0
        self._budget_spent = False
        self._deadline: float | None = None

    @property
    def fatal(self) -> str | None:
        return self._fatal

    # -- one chunk ---------------------------------------------------------------------------

    def _remaining(self) -> float | None:
        if self._deadline is None:
            return None
        return self._deadline - time.monotonic()

    def _reserve(self, estimate: int) -> str | None:
        """Room in the --max-tokens budget for a request of about `estimate` prompt tokens.

        None when it may be sent, else why not. Once one request is refused no other is sent,
        so a run reviews the chunks it started and stops, rather than picking smaller ones.
        """
        budget = self.options.token_budget
        with self._lock:
            if budget is not None and (
                self._budget_spent or self._spent + self._reserved + estimate > budget
            ):
                self._budget_spent = True
                return (
                    f"not sent: the run's --max-tokens budget ({budget:,} tokens) is spent "
                    f"({self._spent:,} used)"
                )
            self._reserved += estimate
            return None

    def _settle(self, estimate: int, used: int) -> None:
        with self._lock:
            self._reserved -= estimate
            self._spent += used

    def _ask(self, outcome: ChunkOutcome, messages: list[dict[str, str]]) -> ModelReply:
        remaining = self._remaining()
        if remaining is not None and remaining <= 0.5:
            raise RequestFailed("the review's --timeout was reached before this chunk was sent")
        estimate = sum(len(m["content"]) for m in messages) // 3
        refused = self._reserve(estimate)
        if refused is not None:
            raise BudgetRefused(refused)
        reply: ModelReply | None = None
        try:
            outcome.requests += 1
            reply = self.client.complete(messages, deadline=self._deadline)
        finally:
            used = 0
            if reply is not None:
                if not reply.usage_reported and self.counter is not None:
                    reply.prompt_tokens = sum(self.counter.count(m["content"]) for m in messages)
                    reply.completion_tokens = self.counter.count(reply.content or "")
                outcome.prompt_tokens += reply.prompt_tokens
                outcome.completion_tokens += reply.completion_tokens
                used = reply.prompt_tokens + reply.completion_tokens
            self._settle(estimate, used)
        return reply

    def _answer(self, outcome: ChunkOutcome, messages: list[dict[str, str]]) -> ModelAnswer:
        conversation = list(messages)
        first_errors: list[str] = []
        salvage: ModelAnswer | None = None
        for attempt in range(self.options.max_reasks + 1):
            reply = self._ask(outcome, conversation)
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
        raise RequestFailed(f"no valid answer after {self.options.max_reasks} re-asks: {reason}")

    def _review_chunk(self, chunk: Chunk) -> ChunkOutcome:
        outcome = ChunkOutcome(chunk)
        if self._fatal is not None:
            outcome.failure = f"not sent: {self._fatal}"
            return outcome
        messages = self.renderer.messages(chunk)
        key = None
        if self.cache is not None:
            key = cache_key({**self.cache_salt, "messages": messages})
            hit = self.cache.get(key)
            if hit is not None:
                try:
                    answer = ModelAnswer.model_validate(hit)
                except ValueError:
                    answer = None
                if answer is not None:
                    outcome.cached = True
                    self._fill(outcome, answer)
                    return outcome
        try:
            answer = self._answer(outcome, messages)
        except EndpointError as exc:
            with self._lock:
                self._fatal = self._fatal or str(exc)
            outcome.failure = str(exc)
            return outcome
        except RequestFailed as exc:
            outcome.failure = str(exc)
            outcome.unsent = isinstance(exc, BudgetRefused)
            return outcome
        if self.cache is not None and key is not None and answer.score:
            self.cache.put(key, answer.model_dump(mode="json"))  # refuses answers with secrets
        self._fill(outcome, answer)
        return outcome

    @staticmethod
    def _fill(outcome: ChunkOutcome, answer: ModelAnswer) -> None:
        anchors = ChunkAnchors(outcome.chunk)
        outcome.findings = [anchor_issue(issue, anchors) for issue in answer.issues]
        for finding in outcome.findings:  # anchored first: the quote may hold the secret
            for name in ("title", "body", "suggestion", "category"):
                value = getattr(finding, name)
                if isinstance(value, str):
                    setattr(finding, name, redact(value))
            finding.code = [redact(line) for line in finding.code]
        outcome.score = answer.score or None

    # -- the whole review --------------------------------------------------------------------

    def run(self, prepared: PreparedReview) -> ReviewResult:
        started = time.monotonic()
        if self.options.deadline_seconds:
            self._deadline = started + self.options.deadline_seconds
        chunks = prepared.plan.chunks
        outcomes = self._run_pool(chunks)
        result = merge(outcomes, prepared, self.options.prices)
        result.stats.requests = self.client.http_attempts
        result.stats.retries = self.client.retries
        result.stats.elapsed_seconds = round(time.monotonic() - started, 3)
        result.model = self.client.endpoint.model
        return result

    def _run_pool(self, chunks: list[Chunk]) -> list[ChunkOutcome]:
        todo: queue.Queue[int] = queue.Queue()
        for index in range(len(chunks)):
            todo.put(index)
        results: dict[int, ChunkOutcome] = {}
        done = threading.Condition()

        def worker() -> None:
            while True:
                try:
                    index = todo.get_nowait()
                except queue.Empty:
                    return
                try:
                    outcome = self._review_chunk(chunks[index])
                except Exception as exc:  # a bug must not sink the other chunks
                    outcome = ChunkOutcome(
                        chunks[index], failure=redact(f"internal error: {exc!r}")[:300]
                    )
                with done:
                    results.setdefault(index, outcome)
                    done.notify_all()
                if self.on_progress:
                    self.on_progress(len(results), len(chunks))

        workers = min(max(1, self.options.concurrency), len(chunks))
        for _ in range(workers):
            # Daemon threads: a request hung past the deadline must not hold the process open.
            threading.Thread(target=worker, daemon=True).start()
        with done:
            while len(results) < len(chunks):
                remaining = self._remaining()
                if remaining is not None and remaining <= 0:
                    # Wake retry waits and streams still running: nothing they get is used.
                    self.client.cancel()
                    break
                done.wait(timeout=remaining if remaining is not None else 1.0)
            for index, chunk in enumerate(chunks):
                if index not in results:
                    results[index] = ChunkOutcome(
                        chunk, failure="the review's --timeout was reached before this chunk ended"
                    )
            return [results[i] for i in range(len(chunks))]


def _dedupe(findings: list[Finding]) -> list[Finding]:
    best: dict[tuple[str | None, int | None, str], Finding] = {}
    for finding in findings:
        key = (finding.path, finding.line, " ".join(finding.title.lower().split()))
        kept = best.get(key)
        if kept is None or finding.severity.rank > kept.severity.rank:
            best[key] = finding
    return sorted(best.values(), key=Finding.sort_key)


def merge(
    outcomes: list[ChunkOutcome], prepared: PreparedReview, prices: Prices | None
) -> ReviewResult:
    stats = Stats(chunks=len(outcomes), changed_lines=prepared.changed_lines)
    findings: list[Finding] = []
    failed: list[FailedChunk] = []
    weighted = 0
    weight = 0
    files: set[str] = set()
    for outcome in outcomes:
        stats.reasks += outcome.reasks
        stats.prompt_tokens += outcome.prompt_tokens
        stats.completion_tokens += outcome.completion_tokens
        if outcome.failure is not None:
            failed.append(
                FailedChunk(
                    index=outcome.chunk.index,
                    paths=outcome.chunk.paths,
                    reason=outcome.failure,
                    changed_lines=outcome.chunk.changed_count,
                    unsent=outcome.unsent,
                )
            )
            continue
        stats.cached_chunks += int(outcome.cached)
        stats.reviewed_lines += outcome.chunk.changed_count
        files.update(outcome.chunk.paths)
        findings.extend(outcome.findings)
        if outcome.score is not None:
            lines = max(outcome.chunk.changed_count, 1)
            weighted += outcome.score * lines
            weight += lines
    stats.failed_chunks = len(failed)
    stats.reviewed_files = len(files)
    stats.skipped_lines = sum(s.changed_lines for s in prepared.skipped)
    if prices is not None:
        stats.estimated_cost = round(prices.cost(stats.prompt_tokens, stats.completion_tokens), 6)
    score = int(weighted / weight + 0.5) if weight else None
    return ReviewResult(
        score=score,
        findings=_dedupe(findings),
        stats=stats,
        skipped_files=prepared.skipped,
        failed_chunks=failed,
    )
