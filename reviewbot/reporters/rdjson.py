"""reviewdog's Diagnostic Format: rdjson (one DiagnosticResult) and rdjsonl (a Diagnostic a line).

Ranges are line-wise, without columns: reviewdog then reads start..end as whole lines with the
end line included, and `-reporter=github-pr-review` comments on exactly those lines. A
suggestion must have the same line range as the comment (reviewdog rejects others with "GitHub
comment range and suggestion line range must be same"), so both use line..end_line, and its
text has no trailing newline: reviewdog adds one when it writes the ```suggestion block.

File-level findings carry a location with a path and no range (reviewdog posts a file comment).
General findings have no file. reviewdog dereferences every diagnostic's location, so they keep
a location with an empty path rather than none; reviewdog reports them only with
`-filter-mode=nofilter`, as results outside the diff.

Messages are posted as Markdown comments, so model text is neutralised as in the Markdown
report. reviewdog reads rdjsonl with a 64 KiB line limit and silently stops at a longer line,
so oversized texts are shortened to fit (and a suggestion that alone is too big is dropped).
"""

from __future__ import annotations

import json
from typing import Any

from reviewbot.findings import Finding, ReviewResult, Severity
from reviewbot.reporters.base import Reporter
from reviewbot.reporters.labels import (
    compact_line,
    last_line,
    one_line,
    ordered,
    text_only_label,
)
from reviewbot.reporters.markdown import fence_for, neutralise
from reviewbot.reporters.sarif import PROJECT_URL, category_slug

SEVERITY = {
    Severity.CRITICAL: "ERROR",
    Severity.HIGH: "ERROR",
    Severity.MEDIUM: "WARNING",
    Severity.LOW: "INFO",
}
MAX_LINE_BYTES = 60_000  # under bufio.Scanner's 64 KiB token limit, with room to spare


def source() -> dict[str, str]:
    found = {"name": "reviewbot"}
    if PROJECT_URL:
        found["url"] = PROJECT_URL
    return found


def _message(finding: Finding) -> str:
    title = neutralise(one_line(finding.title))
    body = neutralise(finding.body.strip())
    message = f"{title}\n\n{body}" if body else title
    if finding.suggestion and not finding.suggestion_committable:
        # not a one-click suggestion: shown in the comment as code to apply by hand
        code = finding.suggestion.removesuffix("\n")
        fence = fence_for(code)
        message += f"\n\n{text_only_label()}\n\n{fence}\n{code}\n{fence}"
    return message


def diagnostic(finding: Finding, with_source: bool = False) -> dict[str, Any]:
    location: dict[str, Any] = {"path": finding.path or ""}
    if finding.path is not None and finding.line is not None:
        end = last_line(finding) or finding.line
        location["range"] = {"start": {"line": finding.line}, "end": {"line": end}}
    found: dict[str, Any] = {
        "message": _message(finding),
        "location": location,
        "severity": SEVERITY[finding.severity],
    }
    if with_source:
        found["source"] = source()
    found["code"] = {"value": category_slug(finding.category)}
    if finding.suggestion is not None and "range" in location and finding.suggestion_committable:
        text = finding.suggestion.removesuffix("\n")
        found["suggestions"] = [{"range": location["range"], "text": text}]
    found["original_output"] = compact_line(finding)
    return found


def _size(found: dict[str, Any]) -> int:
    return len(json.dumps(found, ensure_ascii=False).encode())


def _fit_line(found: dict[str, Any]) -> str:
    """One JSON line under MAX_LINE_BYTES: shorten the texts, drop a suggestion last."""
    found = dict(found)
    for key in ("original_output", "message"):
        excess = _size(found) - MAX_LINE_BYTES
        if excess <= 0:
            break
        # Each character cut removes at least one byte of the encoded line.
        text: str = found[key]
        found[key] = text[: max(0, len(text) - excess - 2)] + " …"
    if _size(found) > MAX_LINE_BYTES:
        found.pop("suggestions", None)
    return json.dumps(found, ensure_ascii=False)


class RdjsonReporter(Reporter):
    name = "rdjson"

    def render(self, result: ReviewResult) -> str:
        document: dict[str, Any] = {"source": source()}
        worst = result.worst_severity()
        if worst is not None:
            document["severity"] = SEVERITY[worst]
        document["diagnostics"] = [diagnostic(f) for f in ordered(result.findings)]
        return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


class RdjsonlReporter(Reporter):
    name = "rdjsonl"

    def render(self, result: ReviewResult) -> str:
        lines = [_fit_line(diagnostic(f, with_source=True)) for f in ordered(result.findings)]
        return "".join(line + "\n" for line in lines)
