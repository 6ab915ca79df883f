"""The machine-readable report: exactly one JSON object.

The keys `score`, `issues` (path, line, end_line, severity, category, title, body, suggestion)
and `stats` (chunks, requests, prompt_tokens, completion_tokens, failed_chunks, reasks, ...) are
a public contract; `anchor` on issues and the top-level `skipped_files` and `failed_chunks`
lists are additions that consumers may ignore.
"""

from __future__ import annotations

import json
from typing import Any

from reviewbot.findings import Finding, ReviewResult
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
        "anchor": finding.anchor,
    }


def report(result: ReviewResult) -> dict[str, Any]:
    return {
        "score": result.score,
        "issues": [issue(f) for f in ordered(result.findings)],
        "stats": result.stats.model_dump(mode="json"),
        "skipped_files": [s.model_dump(mode="json") for s in result.skipped_files],
        "failed_chunks": [f.model_dump(mode="json") for f in result.failed_chunks],
    }


class JsonReporter(Reporter):
    name = "json"

    def render(self, result: ReviewResult) -> str:
        return json.dumps(report(result), ensure_ascii=False, indent=2) + "\n"
