"""Findings → GitHub review comments that GitHub will accept, marked so re-runs can skip them.

A review is all-or-nothing on GitHub (one comment on a line outside the diff rejects it with a
422), so every anchor is checked against the PR's own diff here, before anything is posted.
Model text is untrusted: it is neutralised (no raw HTML, no hidden comments that could spoof our
markers, no @-mentions, no unclosed fences) before it reaches the page.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from reviewbot.anchor import LineAnchors
from reviewbot.diffmodel import Diff
from reviewbot.findings import Finding, Severity
from reviewbot.i18n import _
from reviewbot.reporters.labels import one_line, severity_name, text_only_label
from reviewbot.reporters.markdown import ICON, fence_for, fold, neutralise

_SUGGESTION_FENCE = re.compile(r"^( {0,3}(?:`{3,}|~{3,})\s*)suggestion\b", re.MULTILINE)
FINGERPRINT = re.compile(r"<!-- reviewbot:fp=([0-9a-f]{16}) -->")
# GitHub's limit is 65,536 characters; leave room for the marker and the suggestion fence.
MAX_BODY = 60_000


def fingerprint(finding: Finding) -> str:
    """Stable across pushes while the code it is about is unchanged: path, code, title."""
    code = "\n".join(" ".join(line.split()) for line in finding.code)
    title = " ".join(finding.title.lower().split())
    raw = "\0".join([finding.path or "", code, title])
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:16]


def fingerprints_in(text: str) -> set[str]:
    return set(FINGERPRINT.findall(text or ""))


@dataclass(frozen=True)
class InlineComment:
    finding: Finding
    fingerprint: str
    payload: dict[str, Any]


@dataclass
class CommentPlan:
    """What goes inline, what was already on the PR, and what the summary must carry."""

    inline: list[InlineComment] = field(default_factory=list)
    already_posted: list[Finding] = field(default_factory=list)
    unanchored: list[Finding] = field(default_factory=list)  # file-level, general, bad anchors
    overflow: list[Finding] = field(default_factory=list)  # beyond max-comments
    anchors: LineAnchors | None = None  # the PR diff's lines, for links into it


def _anchorable(finding: Finding, anchors: LineAnchors) -> bool:
    """On a new-side line of the PR's diff; a range must end in the same hunk, after its start
    (GitHub's "must be part of the diff" and "same hunk" 422s)."""
    path, line, end = finding.path, finding.line, finding.end_line
    if finding.anchor != "line" or path is None or line is None:
        return False
    if line not in anchors.lines(path):
        return False
    return end is None or (end > line and anchors.same_hunk(path, line, end))


def safe_text(text: str) -> str:
    """Untrusted model prose as inert Markdown; only we may open a suggestion block."""
    return neutralise(_SUGGESTION_FENCE.sub(r"\1text", text))


def comment_body(finding: Finding, fp: str) -> str:
    title = safe_text(one_line(finding.title)) or _("(untitled)")
    head = f"{ICON[finding.severity]} **{severity_name(finding.severity)}**"
    if finding.category:
        head += f" · {safe_text(one_line(finding.category))}"
    parts = [f"{head} · **{title}**"]
    body = safe_text(finding.body.strip())
    if len(body) > MAX_BODY:
        body = body[:MAX_BODY].rsplit("\n", 1)[0] + "\n\n*(" + _("truncated") + ")*"
        body = neutralise(body)  # re-close a fence the cut may have opened
    if body:
        parts.append(fold(body))
    if finding.suggestion is not None and len(finding.suggestion) < MAX_BODY // 2:
        code = finding.suggestion.removesuffix("\n")
        fence = fence_for(code)
        if finding.suggestion_committable:
            # A suggestion block replaces exactly the commented lines, the finding's own.
            parts.append(
                f"{fence}suggestion\n{code}\n{fence}" if code else f"{fence}suggestion\n{fence}"
            )
        elif code:
            parts.append(f"{text_only_label()}\n\n{fence}text\n{code}\n{fence}")
    parts.append(f"<!-- reviewbot:fp={fp} -->")
    return "\n\n".join(parts)


def comment_head(body: str) -> tuple[Severity | None, str]:
    """The severity and title `comment_body` wrote on its first line (the title is already
    neutralised Markdown)."""
    first = (body or "").split("\n", 1)[0]
    icon = first.split(" ", 1)[0]
    severity = next((sev for sev, shown in ICON.items() if shown == icon), None)
    title = first.rsplit(" · **", 1)[-1].removesuffix("**") if " · **" in first else ""
    return severity, title


def comment_payload(finding: Finding, body: str) -> dict[str, Any]:
    assert finding.path is not None and finding.line is not None
    end = finding.end_line
    if end is not None and end > finding.line:
        return {
            "path": finding.path,
            "body": body,
            "start_line": finding.line,
            "start_side": "RIGHT",
            "line": end,
            "side": "RIGHT",
        }
    return {"path": finding.path, "body": body, "line": finding.line, "side": "RIGHT"}


def plan_comments(
    findings: list[Finding], diff: Diff, posted: set[str], max_comments: int
) -> CommentPlan:
    anchors = LineAnchors.of_diff(diff)
    plan = CommentPlan(anchors=anchors)
    fresh: list[InlineComment] = []
    seen: set[str] = set()
    for finding in findings:
        if not _anchorable(finding, anchors):
            plan.unanchored.append(finding)
            continue
        fp = fingerprint(finding)
        if fp in posted or fp in seen:
            plan.already_posted.append(finding)
            continue
        seen.add(fp)
        fresh.append(
            InlineComment(finding, fp, comment_payload(finding, comment_body(finding, fp)))
        )
    # Most severe first; the stable sort keeps file and line order within a severity.
    fresh.sort(key=lambda c: -c.finding.severity.rank)
    plan.inline = fresh[:max_comments]
    plan.overflow = [c.finding for c in fresh[max_comments:]]
    plan.inline.sort(key=lambda c: c.finding.sort_key())
    return plan
