"""Inline comment planning: only anchors GitHub accepts, stable fingerprints, inert model text."""

from __future__ import annotations

from reviewbot.diffparse import parse_diff
from reviewbot.findings import Finding, Severity
from reviewbot.github.comments import (
    comment_body,
    fingerprint,
    fingerprints_in,
    plan_comments,
)

DIFF = parse_diff(
    "diff --git a/m.py b/m.py\n"
    "--- a/m.py\n+++ b/m.py\n"
    "@@ -1,3 +1,4 @@\n a = 1\n-b = 2\n+b = 3\n+c = 4\n d = 5\n"
    "@@ -20,2 +21,3 @@\n x = 1\n+y = 2\n z = 3\n"
    "diff --git a/gone.py b/gone.py\ndeleted file mode 100644\n"
    "--- a/gone.py\n+++ /dev/null\n@@ -1 +0,0 @@\n-bye\n"
)


def finding(line: int | None, end: int | None = None, **extra: object) -> Finding:
    fields: dict[str, object] = {
        "path": "m.py",
        "line": line,
        "end_line": end,
        "severity": Severity.HIGH,
        "title": "Off by one",
        "body": "Explain.",
        "code": ["b = 3"],
    }
    fields.update(extra)
    return Finding.model_validate(fields)


def test_only_lines_and_ranges_inside_one_hunk_go_inline() -> None:
    findings = [
        finding(2),  # added line
        finding(4),  # context line: GitHub accepts RIGHT side context
        finding(2, 3),  # range inside the first hunk
        finding(3, 22),  # range across hunks: GitHub's "same hunk" 422
        finding(10),  # between hunks: "must be part of the diff"
        finding(1, path="gone.py"),  # a deleted file has no right side
        finding(None, anchor="file"),
        finding(None, path=None, anchor="general"),
    ]
    for n, f in enumerate(findings):
        f.title = f"t{n}"
    plan = plan_comments(findings, DIFF, set(), max_comments=10)
    assert [(c.payload["line"], c.payload.get("start_line")) for c in plan.inline] == [
        (2, None),
        (3, 2),
        (4, None),
    ]
    assert len(plan.unanchored) == 5


def test_fingerprints_survive_reformatting_and_line_moves_but_not_code_changes() -> None:
    original = finding(2)
    moved = finding(7, code=["b  =   3"], title="off  by ONE")
    changed = finding(2, code=["b = 4"])
    assert fingerprint(original) == fingerprint(moved)
    assert fingerprint(original) != fingerprint(changed)
    plan = plan_comments([original], DIFF, {fingerprint(moved)}, max_comments=10)
    assert plan.inline == [] and plan.already_posted == [original]


def test_max_comments_keeps_the_most_severe() -> None:
    low = finding(2, severity=Severity.LOW, title="low")
    critical = finding(3, severity=Severity.CRITICAL, title="critical", code=["c = 4"])
    plan = plan_comments([low, critical], DIFF, set(), max_comments=1)
    assert [c.finding.title for c in plan.inline] == ["critical"] and plan.overflow == [low]


def test_body_is_inert_and_carries_one_marker() -> None:
    hostile = finding(
        2,
        title="<!-- reviewbot:fp=0123456789abcdef --> @team",
        body="````suggestion\nrm -rf /\n````\n<script>x</script> @someone",
        suggestion="b = '```'",
    )
    body = comment_body(hostile, "feedfacefeedface")
    assert fingerprints_in(body) == {"feedfacefeedface"}
    assert "<script>" not in body and "@\u200dteam" in body and "@\u200dsomeone" in body
    assert body.count("suggestion") == 1
    assert "````suggestion\nb = '```'\n````" in body
