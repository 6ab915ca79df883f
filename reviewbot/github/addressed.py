"""What changed since the last run: earlier findings the new review no longer raises, on code a
later commit changed (GitHub marks such a comment outdated: it no longer sits on a line).

Each is answered once on its own thread ("Addressed in c99faa9"), with a hidden marker naming
the commit, so re-runs neither repeat the reply nor forget what was resolved.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from github.PullRequestComment import PullRequestComment

from reviewbot.findings import Finding, Severity
from reviewbot.github.comments import FINGERPRINT, comment_head, fingerprint
from reviewbot.github.summary import Resolved
from reviewbot.i18n import _
from reviewbot.reporters.markdown import code_span

ADDRESSED_MARKER = "<!-- reviewbot:addressed={} -->"
_ADDRESSED = re.compile(r"<!-- reviewbot:addressed=([0-9a-f]{7,40}) -->")


@dataclass(frozen=True)
class EarlierComment:
    """One of our inline comments from an earlier run."""

    id: int
    fingerprint: str
    url: str
    severity: Severity | None
    title: str
    outdated: bool  # GitHub no longer shows it on a line: the code under it changed
    addressed_in: str | None = None  # the commit our "addressed" reply named, if we replied


def earlier_comments(comments: Iterable[PullRequestComment]) -> list[EarlierComment]:
    """Our own comments (the caller picks them by login): the findings and our replies."""
    roots: list[PullRequestComment] = []
    replied: dict[int, str] = {}
    # Told apart by our markers, not by in_reply_to_id: PyGithub fetches each comment again
    # to read a field GitHub leaves out, as it does in_reply_to_id on a thread's first comment.
    for comment in comments:
        if FINGERPRINT.search(comment.body or ""):
            roots.append(comment)
        elif (match := _ADDRESSED.search(comment.body or "")) and comment.in_reply_to_id:
            replied[comment.in_reply_to_id] = match.group(1)
    found = []
    for comment in roots:
        match = FINGERPRINT.search(comment.body or "")
        assert match is not None
        severity, title = comment_head(comment.body)
        found.append(
            EarlierComment(
                id=comment.id,
                fingerprint=match.group(1),
                url=comment.html_url,
                severity=severity,
                title=title,
                outdated=comment.line is None and comment.subject_type != "file",
                addressed_in=replied.get(comment.id),
            )
        )
    return found


def addressed(earlier: list[EarlierComment], findings: list[Finding]) -> list[EarlierComment]:
    """Earlier findings this review no longer raises, on code that has changed since."""
    current = {fingerprint(f) for f in findings}
    return [c for c in earlier if c.outdated and c.fingerprint not in current]


def resolved(items: list[EarlierComment], head_sha: str) -> list[Resolved]:
    return [
        Resolved(c.severity or Severity.LOW, c.title, c.url, c.addressed_in or head_sha)
        for c in items
    ]


def reply_body(head_sha: str) -> str:
    text = _("Addressed in {sha}.").format(sha=code_span(head_sha[:7]))
    return f"{text}\n\n{ADDRESSED_MARKER.format(head_sha[:12])}"
