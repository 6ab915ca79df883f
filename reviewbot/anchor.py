"""Check what the model says against the chunk it saw, and pin each issue to a real line.

Models miscount lines and mangle paths. A path must name a file of the chunk; a line must be
a new-side line the chunk showed. When the cited line does not hold the issue's `quote`, the
issue moves to the nearest line that does; when the named file (or a path that is no file of
the chunk) does not hold it but exactly one other file of the chunk does, the issue moves
there. What still cannot be pinned becomes a file-level or general finding: never a comment on
a wrong line. A finding whose lines are all unchanged context is marked `context`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from reviewbot.answer import ModelIssue
from reviewbot.chunker import Chunk
from reviewbot.diffmodel import Diff, Hunk, LineKind
from reviewbot.findings import AnchorKind, Finding

_LEADING = re.compile(r"^(?:\./|/|[ab]/)+")
# A quote found only as part of a line moves an issue to another file only when it is at
# least this long: short fragments ("return x") are too likely to match by chance.
_CROSS_FILE_FRAGMENT = 12


def _squash(text: str) -> str:
    return " ".join(text.split())


def resolve_path(raw: str, paths: list[str]) -> str | None:
    """The chunk path the model meant by `raw`, or None."""
    candidate = raw.strip().strip("`'\"").replace("\\", "/")
    if candidate in paths:
        return candidate
    stripped = _LEADING.sub("", candidate)
    if stripped in paths:
        return stripped
    suffix_matches = [p for p in paths if p.endswith("/" + stripped)]
    if len(suffix_matches) == 1:
        return suffix_matches[0]
    return None


class LineAnchors:
    """New-side lines and the hunk each belongs to, per path: where a comment may sit."""

    def __init__(self, hunks: Iterable[tuple[str, Hunk]], paths: list[str]) -> None:
        self.paths = paths
        self._lines: dict[str, dict[int, str]] = {}
        self._hunk_of: dict[str, dict[int, int]] = {}
        self._added: dict[str, set[int]] = {}
        for path, hunk in hunks:
            lines = self._lines.setdefault(path, {})
            hunk_of = self._hunk_of.setdefault(path, {})
            added = self._added.setdefault(path, set())
            for ln in hunk.lines:
                if ln.new_no is not None:
                    lines[ln.new_no] = ln.text
                    hunk_of[ln.new_no] = id(hunk)
                    if ln.kind is LineKind.ADDED:
                        added.add(ln.new_no)

    @classmethod
    def of_diff(cls, diff: Diff) -> LineAnchors:
        return cls(((f.path, h) for f in diff.files for h in f.hunks), [f.path for f in diff.files])

    def lines(self, path: str) -> dict[int, str]:
        return self._lines.get(path, {})

    def all_context(self, path: str, first: int, last: int) -> bool:
        """True when no line of first..last was added: the finding is on unchanged code."""
        added = self._added.get(path, set())
        return not any(n in added for n in range(first, last + 1))

    def same_hunk(self, path: str, first: int, last: int) -> bool:
        hunks = self._hunk_of.get(path, {})
        start = hunks.get(first)
        return start is not None and all(hunks.get(n) == start for n in range(first, last + 1))

    def find_quote(self, path: str, quote: str, near: int) -> int | None:
        """The line nearest `near` whose code is the quote (exactly, then as a substring)."""
        wanted = _squash(quote)
        if not wanted:
            return None
        lines = self.lines(path)
        exact = [n for n, text in lines.items() if _squash(text) == wanted]
        if not exact and len(wanted) >= 4:
            exact = [n for n, text in lines.items() if wanted in _squash(text)]
        if not exact:
            return None
        return min(exact, key=lambda n: (abs(n - near), n))

    def files_quoting(self, quote: str) -> list[str]:
        """The paths with a line that is the quote, or holds it when the quote is long enough."""
        wanted = _squash(quote)
        if not wanted:
            return []
        fragment = len(wanted) >= _CROSS_FILE_FRAGMENT

        def holds(text: str) -> bool:
            code = _squash(text)
            return code == wanted or (fragment and wanted in code)

        return [p for p in self.paths if any(holds(t) for t in self.lines(p).values())]


class ChunkAnchors(LineAnchors):
    """The lines and hunk boundaries of one chunk, per path."""

    def __init__(self, chunk: Chunk) -> None:
        pieces = ((part.path, piece.hunk) for part in chunk.parts for piece in part.pieces)
        super().__init__(pieces, chunk.paths)


def _holds_quote(code: str, quote: str) -> bool:
    wanted = _squash(quote)
    return bool(wanted) and wanted in _squash(code)


def anchor_issue(issue: ModelIssue, anchors: ChunkAnchors) -> Finding:
    def finding(path: str | None, line: int | None, anchor: AnchorKind, **extra: Any) -> Finding:
        fields: dict[str, Any] = {
            "severity": issue.severity,
            "category": issue.category,
            "title": issue.title.strip(),
            "body": issue.body.strip(),
            "suggestion": issue.suggestion,
        }
        fields.update(extra)
        return Finding(path=path, line=line, anchor=anchor, **fields)

    path = resolve_path(issue.path, anchors.paths)
    line = issue.line
    span = (issue.end_line - issue.line) if issue.end_line and issue.end_line > issue.line else 0
    quote = (issue.quote or "").strip()
    if quote and (path is None or anchors.find_quote(path, quote, line) is None):
        # The model named the wrong file (or one outside the chunk): trust the quote when
        # exactly one file of the chunk holds it.
        holders = anchors.files_quoting(quote)
        if len(holders) == 1:
            path = holders[0]
    if path is None:
        return finding(None, None, "general")
    lines = anchors.lines(path)
    if quote and not (line in lines and _holds_quote(lines[line], quote)):
        moved = anchors.find_quote(path, quote, line)
        if moved is not None:
            line = moved
    if line not in lines:
        return finding(path, None, "file", cited_line=issue.line if issue.line > 0 else None)
    end_line: int | None = line + span if span else None
    suggestion = issue.suggestion
    if end_line is not None and not anchors.same_hunk(path, line, end_line):
        # The range leaves the hunk: keep the first line, and the suggestion no longer fits it.
        end_line = None
        suggestion = None
    last = end_line or line
    code = [lines[n] for n in range(line, last + 1)]
    context = anchors.all_context(path, line, last)
    return finding(
        path, line, "line", end_line=end_line, code=code, suggestion=suggestion, context=context
    )
