"""What became of each chunk, and how the chunks' outcomes merge into one ReviewResult."""

from __future__ import annotations

from dataclasses import dataclass, field

from reviewbot.anchor import ChunkAnchors, anchor_issue
from reviewbot.answer import ModelAnswer
from reviewbot.chunker import Chunk
from reviewbot.findings import (
    FailedChunk,
    Finding,
    RejectedFinding,
    ReviewResult,
    SkippedFile,
    Stats,
)
from reviewbot.pricing import Price
from reviewbot.redact import redact


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
    cached_tokens: int = 0  # of prompt_tokens, served from the provider's prompt cache
    # The self-check (reviewbot.selfcheck): what it dropped, what it could not judge, its cost.
    rejected: list[RejectedFinding] = field(default_factory=list)
    unverified: int = 0
    verify_requests: int = 0
    verify_prompt_tokens: int = 0
    verify_completion_tokens: int = 0

    def fill(self, answer: ModelAnswer) -> None:
        """Take the answer's issues, anchored to the chunk's lines and redacted, and score."""
        anchors = ChunkAnchors(self.chunk)
        self.findings = [anchor_issue(issue, anchors) for issue in answer.issues]
        for finding in self.findings:  # anchored first: the quote may hold the secret
            for name in ("title", "body", "suggestion", "category"):
                value = getattr(finding, name)
                if isinstance(value, str):
                    setattr(finding, name, redact(value))
            finding.code = [redact(line) for line in finding.code]
        self.score = answer.score or None


def _dedupe(findings: list[Finding]) -> list[Finding]:
    best: dict[tuple[str | None, int | None, str], Finding] = {}
    for finding in findings:
        key = (finding.path, finding.line, " ".join(finding.title.lower().split()))
        kept = best.get(key)
        if kept is None or finding.severity.rank > kept.severity.rank:
            best[key] = finding
    return sorted(best.values(), key=Finding.sort_key)


def merge(
    outcomes: list[ChunkOutcome],
    skipped: list[SkippedFile],
    changed_lines: int,
    price: Price | None,
) -> ReviewResult:
    stats = Stats(chunks=len(outcomes), changed_lines=changed_lines)
    findings: list[Finding] = []
    rejected: list[RejectedFinding] = []
    failed: list[FailedChunk] = []
    weighted = 0
    weight = 0
    files: set[str] = set()
    for outcome in outcomes:
        stats.reasks += outcome.reasks
        stats.prompt_tokens += outcome.prompt_tokens
        stats.completion_tokens += outcome.completion_tokens
        stats.cached_prompt_tokens += outcome.cached_tokens
        stats.verify_requests += outcome.verify_requests
        stats.verify_prompt_tokens += outcome.verify_prompt_tokens
        stats.verify_completion_tokens += outcome.verify_completion_tokens
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
        rejected.extend(outcome.rejected)
        stats.unverified += outcome.unverified
        if outcome.score is not None:
            lines = max(outcome.chunk.changed_count, 1)
            weighted += outcome.score * lines
            weight += lines
    stats.failed_chunks = len(failed)
    stats.reviewed_files = len(files)
    stats.skipped_lines = sum(s.changed_lines for s in skipped)
    stats.rejected = len(rejected)
    if price is not None:
        prompt = stats.prompt_tokens + stats.verify_prompt_tokens
        completion = stats.completion_tokens + stats.verify_completion_tokens
        cost = price.cost(prompt, completion, stats.cached_prompt_tokens)
        stats.estimated_cost = round(cost, 6)
        stats.currency = price.currency
    score = int(weighted / weight + 0.5) if weight else None
    return ReviewResult(
        score=score,
        findings=_dedupe(findings),
        stats=stats,
        skipped_files=skipped,
        failed_chunks=failed,
        rejected=sorted(rejected, key=Finding.sort_key),
    )
