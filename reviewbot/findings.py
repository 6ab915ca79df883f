"""What a review produces: findings, statistics and the overall result."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Severity.LOW: 1, Severity.MEDIUM: 2, Severity.HIGH: 3, Severity.CRITICAL: 4}

# "line": on a diff line; "file": on a file of the diff but no line could be trusted;
# "general": about the change as a whole (or a path the model named that is not in the diff).
AnchorKind = Literal["line", "file", "general"]


class Finding(BaseModel):
    path: str | None
    line: int | None
    end_line: int | None = None
    severity: Severity
    category: str | None = None
    title: str
    body: str
    suggestion: str | None = None
    # False: the suggestion is shown as text only, never as a one-click suggestion block,
    # SARIF fix or rdjson suggestion (it did not fit the lines it replaces; reviewbot.suggest).
    suggestion_committable: bool = True
    anchor: AnchorKind = "line"
    # True when every line the finding covers is unchanged context, not an added line.
    context: bool = False
    # The new-side code lines the finding covers, for human reports; not part of the JSON contract.
    code: list[str] = Field(default_factory=list, exclude=True)
    # The line the model cited when it is outside the diff (anchor "file"), so people can still
    # be pointed at it; not part of the JSON contract.
    cited_line: int | None = Field(default=None, exclude=True)

    def sort_key(self) -> tuple[int, str, int, int]:
        general = 1 if self.path is None else 0
        return (general, self.path or "", self.line or 0, -self.severity.rank)


class RejectedFinding(Finding):
    """A finding the self-check dropped, with the model's one-line reason."""

    reason: str


class SkippedFile(BaseModel):
    path: str
    reason: str
    changed_lines: int = 0


class FailedChunk(BaseModel):
    index: int
    paths: list[str]
    reason: str
    changed_lines: int = 0
    unsent: bool = False  # left out by the --max-tokens budget rather than failed


class Stats(BaseModel):
    chunks: int = 0
    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    failed_chunks: int = 0
    reasks: int = 0
    retries: int = 0
    cached_chunks: int = 0
    changed_lines: int = 0
    reviewed_lines: int = 0
    reviewed_files: int = 0
    skipped_lines: int = 0
    # Prompt tokens the provider served from its cache, priced at its cache-hit rate.
    cached_prompt_tokens: int = 0
    estimated_cost: float | None = None
    currency: Literal["USD", "CNY"] | None = None  # of estimated_cost
    elapsed_seconds: float = 0.0
    # The self-check: its requests and tokens (not in the review's counts above), the findings
    # it dropped, and those kept without a verdict. Then those under --min-severity.
    verify_requests: int = 0
    verify_prompt_tokens: int = 0
    verify_completion_tokens: int = 0
    rejected: int = 0
    unverified: int = 0
    below_threshold: int = 0


class ReviewResult(BaseModel):
    score: int | None
    findings: list[Finding] = Field(default_factory=list)
    stats: Stats = Field(default_factory=Stats)
    skipped_files: list[SkippedFile] = Field(default_factory=list)
    failed_chunks: list[FailedChunk] = Field(default_factory=list)
    rejected: list[RejectedFinding] = Field(default_factory=list)
    model: str | None = None
    # The endpoint error that stopped the run, if one did; not part of the JSON report.
    fatal: str | None = Field(default=None, exclude=True)

    def worst_severity(self) -> Severity | None:
        if not self.findings:
            return None
        return max((f.severity for f in self.findings), key=lambda s: s.rank)
