"""The machine-readable report: exactly one JSON object.

The keys `score`, `issues` (path, line, end_line, severity, category, title, body, suggestion)
and `stats` (chunks, requests, prompt_tokens, completion_tokens, failed_chunks, reasks, ...) are
a public contract; `anchor`, `context` (true when the issue sits on unchanged context lines only)
and `suggestion_committable` (False: the suggestion is text to apply by hand) on issues, and the
top-level `skipped_files`, `failed_chunks` and `rejected` (findings the self-check dropped, each
with its `reason`) lists are additions that consumers may ignore. The self-check's requests and
tokens are counted apart, under `stats.verify_*`.
"""

from __future__ import annotations

import json
from typing import Any

from reviewbot.findings import Finding, RejectedFinding, ReviewResult
from reviewbot.reporters.base import Reporter
from reviewbot.reporters.labels import ordered


def issue(finding: Finding) -> dict[str, Any]:
    return {
        "path": finding.path,
        "line": finding.line,
        "end_line": finding.end_line,
        "severity": finding.severity.value,
        "category": finding.category,
        "title": finding.title,
        "body": finding.body,
        "suggestion": finding.suggestion,
        "suggestion_committable": finding.suggestion_committable,
        "anchor": finding.anchor,
        "context": finding.context,
    }


def rejected(finding: RejectedFinding) -> dict[str, Any]:
    return {**issue(finding), "reason": finding.reason}


def report(result: ReviewResult) -> dict[str, Any]:
    return {
        "score": result.score,
        "issues": [issue(f) for f in ordered(result.findings)],
        "stats": result.stats.model_dump(mode="json"),
        "skipped_files": [s.model_dump(mode="json") for s in result.skipped_files],
        "failed_chunks": [f.model_dump(mode="json") for f in result.failed_chunks],
        "rejected": [rejected(f) for f in sorted(result.rejected, key=Finding.sort_key)],
    }


class JsonReporter(Reporter):
    name = "json"

    def render(self, result: ReviewResult) -> str:
        return json.dumps(report(result), ensure_ascii=False, indent=2) + "\n"
