"""Model answers for tests, built from what the prompt really showed."""

from __future__ import annotations

import json
import re
from typing import Any

from fake_openai import RecordedRequest, Reply

_FILE = re.compile(r"^### (\S.*?) \((?:added|modified|renamed|deleted)[^)]*\)", re.M)
_ADDED = re.compile(r"^\s*(\d+) \+(.*)$", re.M)


def shown_files(user: str) -> dict[str, list[tuple[int, str]]]:
    """path -> [(new line number, code)] of the added lines the prompt showed."""
    out: dict[str, list[tuple[int, str]]] = {}
    sections = _FILE.split(user)
    for path, body in zip(sections[1::2], sections[2::2], strict=False):
        out.setdefault(path, []).extend((int(n), code) for n, code in _ADDED.findall(body))
    return out


def issue(path: str, line: int, code: str, **extra: Any) -> dict[str, Any]:
    base = {
        "path": path,
        "line": line,
        "end_line": None,
        "severity": "high",
        "category": "bug",
        "title": f"Problem at {path}:{line}",
        "body": "Explain and fix.",
        "suggestion": None,
        "quote": code.strip(),
    }
    base.update(extra)
    return base


def one_issue_per_file(request: RecordedRequest, score: int = 6) -> Reply:
    """An answer with one high issue on the first added line of each file shown."""
    issues = [
        issue(path, lines[0][0], lines[0][1])
        for path, lines in shown_files(request.user).items()
        if lines
    ]
    return Reply(content=json.dumps({"score": score, "issues": issues}))


def content(score: int = 8, issues: list[dict[str, Any]] | None = None) -> str:
    return json.dumps({"score": score, "issues": issues or []})
