"""The self-check request: a chunk's findings, each with only the code it cites.

Not the whole chunk again: the cited lines and a few lines around them, numbered as in the
review prompt, overlapping windows merged. That keeps a verification request a fraction of the
review's size (see bench/verify_cost.py).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from reviewbot.chunker import Chunk
from reviewbot.diffmodel import DiffLine
from reviewbot.findings import Finding
from reviewbot.hunktext import format_lines, hunk_header
from reviewbot.prompts import PromptError, _environment, default_prompt_dir, language_name

TEMPLATE = "verify.j2"
CONTEXT_LINES = 2


def finding_json(number: int, finding: Finding) -> dict[str, Any]:
    return {
        "id": number,
        "path": finding.path,
        "line": finding.line,
        "end_line": finding.end_line,
        "severity": finding.severity.value,
        "category": finding.category,
        "title": finding.title,
        "body": finding.body,
        "suggestion": finding.suggestion,
    }


def _windows(findings: list[Finding], context: int) -> dict[str, set[int]]:
    """New-side line numbers to show, per path: each finding's lines, `context` either side."""
    wanted: dict[str, set[int]] = {}
    for finding in findings:
        if finding.anchor != "line" or finding.path is None or finding.line is None:
            continue
        last = max(finding.end_line or finding.line, finding.line)
        wanted.setdefault(finding.path, set()).update(
            range(max(1, finding.line - context), last + context + 1)
        )
    return wanted


def cited_code(
    chunk: Chunk, findings: list[Finding], context: int = CONTEXT_LINES
) -> list[dict[str, Any]]:
    """Per path, the runs of numbered lines the findings cite, as the review prompt shows them.

    A removed line goes with the new-side line after it (what replaced it), so a finding on a
    changed line sees what it was.
    """
    wanted = _windows(findings, context)
    files = []
    for path, numbers in wanted.items():
        runs: list[list[DiffLine]] = []
        for part in chunk.parts:
            if part.path != path:
                continue
            for piece in part.pieces:
                run: list[DiffLine] = []
                pending: list[DiffLine] = []  # removed lines waiting for their new-side line
                for ln in piece.hunk.lines:
                    if ln.new_no is None:
                        pending.append(ln)
                        continue
                    if ln.new_no in numbers:
                        run.extend(pending)
                        run.append(ln)
                    elif run:
                        runs.append(run)
                        run = []
                    pending = []
                if run or pending:
                    # removed lines at the hunk's end belong to the last line shown before them
                    runs.append(run + (pending if run else []))
        runs = [r for r in runs if r]
        if not runs:
            continue
        width = len(str(max((ln.new_no or 0) for r in runs for ln in r) or 1))
        texts = [hunk_header(r) + "\n" + format_lines(r, width) for r in runs]
        files.append({"path": path, "runs": texts})
    return files


@dataclass(frozen=True)
class VerifyRequest:
    findings: list[Finding]  # id n is findings[n - 1]
    messages: list[dict[str, str]]


class VerifyRenderer:
    """verify.j2 from a --prompt-dir, else the packaged one."""

    def __init__(
        self,
        prompt_dir: Path | None = None,
        *,
        language: str = "en",
        instructions: str | None = None,
        context: int = CONTEXT_LINES,
    ) -> None:
        search = [str(prompt_dir)] if prompt_dir else []
        search.append(str(default_prompt_dir()))
        env = _environment(tuple(search))
        self.context = context
        try:
            self._template = env.get_template(TEMPLATE)
            source = env.loader.get_source(env, TEMPLATE)[0]  # type: ignore[union-attr]
            self._system = self._template.render(
                part="system",
                language_name=language_name(language),
                instructions=(instructions or "").strip(),
                findings="",
                files=[],
                count=0,
                boundary="",
            ).strip()
        except jinja2.TemplateError as exc:
            raise PromptError(f"prompt template error in {TEMPLATE}: {exc}") from None
        self.fingerprint = hashlib.sha256(source.encode()).hexdigest()

    @property
    def system(self) -> str:
        return self._system

    def request(self, chunk: Chunk, findings: list[Finding]) -> VerifyRequest:
        listed = (
            "[\n"
            + ",\n".join(
                json.dumps(finding_json(n, f), ensure_ascii=False)
                for n, f in enumerate(findings, start=1)
            )
            + "\n]"
        )
        files = cited_code(chunk, findings, self.context)
        body = listed + "".join(f["path"] + "".join(f["runs"]) for f in files)
        boundary = hashlib.sha256(body.encode("utf-8", "replace")).hexdigest()[:12]
        try:
            user = self._template.render(
                part="user",
                language_name="",
                instructions="",
                findings=listed,
                files=files,
                count=len(findings),
                boundary=boundary,
            ).strip()
        except jinja2.TemplateError as exc:
            raise PromptError(f"prompt template error in {TEMPLATE}: {exc}") from None
        messages = [
            {"role": "system", "content": self._system},
            {"role": "user", "content": user + "\n"},
        ]
        return VerifyRequest(list(findings), messages)
