"""Labelled cases: a JSONL of reviewbot cases, or AACR-Bench's JSON as published."""

from __future__ import annotations

import json
import re
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from reviewbot.errors import UserError


class DatasetError(UserError):
    """The dataset cannot be read; the message is one line for the user."""


class Label(BaseModel):
    """One expected review comment: a problem at lines of a file."""

    model_config = ConfigDict(extra="ignore")

    path: str = Field(min_length=1)
    from_line: int | None = None
    to_line: int | None = None
    side: Literal["right", "left"] = "right"
    category: str | None = None
    severity: str | None = None
    note: str | None = None

    @property
    def span(self) -> tuple[int, int] | None:
        """[first, last] line, in order (AACR-Bench has a few reversed ranges); None if unset."""
        lines = [n for n in (self.from_line, self.to_line) if n is not None]
        if not lines:
            return None
        return min(lines), max(lines)


class Case(BaseModel):
    """One pull request to review, with where its diff comes from and what it should find."""

    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1)
    diff: str | None = None
    # A local repository (JSONL cases; relative to the dataset file) and the two refs.
    repo: Path | None = None
    base: str | None = None
    head: str | None = None
    # owner/name of an AACR-Bench pull request, looked up under --repos.
    github_repo: str | None = None
    language: str | None = None
    changed_lines: int | None = None  # as the dataset states it; else counted from the diff
    expected: list[Label] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_source(self) -> Case:
        git_source = self.repo is not None or self.github_repo is not None
        if self.diff is None and not git_source:
            raise ValueError("a case needs 'diff', or 'repo' with 'base' and 'head'")
        if self.diff is not None and git_source:
            raise ValueError("give 'diff' or 'repo', not both")
        if git_source and not (self.base and self.head):
            raise ValueError("'repo' needs 'base' and 'head'")
        return self


_EXTENSIONS = {
    ".py": "Python",
    ".js": "JavaScript",
    ".mjs": "JavaScript",
    ".jsx": "JavaScript",
    ".ts": "TypeScript",
    ".tsx": "TypeScript",
    ".go": "Go",
    ".rs": "Rust",
    ".java": "Java",
    ".kt": "Kotlin",
    ".c": "C",
    ".h": "C",
    ".cc": "C++",
    ".cpp": "C++",
    ".hpp": "C++",
    ".cs": "C#",
    ".rb": "Ruby",
    ".php": "PHP",
    ".swift": "Swift",
    ".sh": "Shell",
    ".sql": "SQL",
}


def language_of(paths: list[str]) -> str | None:
    """The language most of `paths` are written in, by file extension."""
    counts: dict[str, int] = {}
    for path in paths:
        language = _EXTENSIONS.get(PurePosixPath(path).suffix.lower())
        if language:
            counts[language] = counts.get(language, 0) + 1
    if not counts:
        return None
    return max(counts, key=lambda name: (counts[name], name))


def load_dataset(path: Path) -> list[Case]:
    """Cases from `path`: a JSON array is AACR-Bench's format, anything else JSONL cases."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DatasetError(f"dataset not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DatasetError(f"cannot read dataset {path}: {exc.__class__.__name__}") from None
    aacr = text.lstrip().startswith("[")
    cases = load_aacr(text, path) if aacr else load_jsonl(text, path)
    seen: set[str] = set()
    for case in cases:
        if case.id in seen:
            raise DatasetError(f"{path}: case id '{case.id}' appears twice")
        seen.add(case.id)
    return cases


def _problems(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors(include_url=False):
        where = ".".join(str(p) for p in err["loc"])
        message = err["msg"].removeprefix("Value error, ")
        parts.append(f"{where}: {message}" if where else message)
    return "; ".join(parts)


def load_jsonl(text: str, origin: Path) -> list[Case]:
    cases = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DatasetError(f"{origin} line {number}: not JSON ({exc.msg})") from None
        if not isinstance(data, dict):
            raise DatasetError(f"{origin} line {number}: a case must be a JSON object")
        try:
            case = Case.model_validate(data)
        except ValidationError as exc:
            raise DatasetError(f"{origin} line {number}: {_problems(exc)}") from None
        if case.repo is not None and not case.repo.is_absolute():
            case.repo = origin.parent / case.repo
        cases.append(case)
    return cases


_PR_URL = re.compile(r"github\.com/([^/\s]+)/([^/\s]+)/pull/(\d+)", re.IGNORECASE)


def _aacr_case(record: Any, index: int, origin: Path) -> Case:
    where = f"{origin} item {index}"
    if not isinstance(record, dict):
        raise DatasetError(f"{where}: a pull request must be a JSON object")
    url = record.get("githubPrUrl")
    found = _PR_URL.search(url) if isinstance(url, str) else None
    if found is None:
        raise DatasetError(f"{where}: 'githubPrUrl' is not a GitHub pull request URL")
    owner, name, number = found.groups()
    labels = []
    for comment in record.get("comments") or []:
        # AACR-Bench counts a comment only when it has a note; so do we.
        if not isinstance(comment, dict) or not str(comment.get("note") or "").strip():
            continue
        data = dict(comment)
        side = str(data.get("side") or "right").strip().lower()
        data["side"] = side if side in ("left", "right") else "right"
        labels.append(data)
    try:
        return Case.model_validate(
            {
                "id": f"{owner}/{name}#{number}",
                "github_repo": f"{owner}/{name}",
                "base": record.get("source_commit"),
                "head": record.get("target_commit"),
                "language": record.get("project_main_language"),
                "changed_lines": record.get("change_line_count"),
                "expected": labels,
            }
        )
    except ValidationError as exc:
        raise DatasetError(f"{where}: {_problems(exc)}") from None


def load_aacr(text: str, origin: Path) -> list[Case]:
    try:
        records = json.loads(text)
    except ValueError as exc:
        raise DatasetError(f"{origin}: not JSON ({exc})") from None
    if not isinstance(records, list):
        raise DatasetError(f"{origin}: AACR-Bench data is a JSON array")
    return [_aacr_case(record, i, origin) for i, record in enumerate(records, 1)]
