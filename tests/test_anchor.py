from __future__ import annotations

from reviewbot.anchor import ChunkAnchors, anchor_issue, resolve_path
from reviewbot.answer import ModelIssue
from reviewbot.chunker import plan_chunks
from reviewbot.diffparse import parse_diff
from reviewbot.tokens import EstimatingCounter

DIFF = """\
diff --git a/pkg/app.py b/pkg/app.py
index 1111111..2222222 100644
--- a/pkg/app.py
+++ b/pkg/app.py
@@ -1,4 +1,8 @@
 import os
+import sys
 
 def total(xs):
-    return sum(xs)
+    n = 0
+    for i in range(len(xs) - 1):
+        n += xs[i]
+    return n
@@ -20,3 +24,4 @@ def other():
     a = 1
     b = 2
+    c = a / 0
     return a
"""


def anchors() -> ChunkAnchors:
    plan = plan_chunks(parse_diff(DIFF).files, 4000, EstimatingCounter())
    assert len(plan.chunks) == 1
    return ChunkAnchors(plan.chunks[0])


def issue(**kw: object) -> ModelIssue:
    base: dict[str, object] = {
        "path": "pkg/app.py",
        "line": 6,
        "severity": "high",
        "title": "Off by one",
        "body": "skips last",
    }
    base.update(kw)
    return ModelIssue.model_validate(base)


def test_valid_line_is_kept_with_its_code():
    finding = anchor_issue(issue(quote="for i in range(len(xs) - 1):"), anchors())
    assert (finding.anchor, finding.path, finding.line) == ("line", "pkg/app.py", 6)
    assert finding.code == ["    for i in range(len(xs) - 1):"]


def test_miscounted_line_moves_to_the_quote():
    finding = anchor_issue(issue(line=9, quote="for i in range(len(xs) - 1):"), anchors())
    assert finding.line == 6


def test_quote_in_other_hunk_reanchors_to_nearest():
    finding = anchor_issue(issue(line=3, quote="c = a / 0"), anchors())
    assert finding.line == 26


def test_line_outside_the_diff_becomes_file_level():
    finding = anchor_issue(issue(line=15, quote="not in the diff at all"), anchors())
    assert (finding.anchor, finding.path, finding.line) == ("file", "pkg/app.py", None)


def test_unknown_path_becomes_general():
    finding = anchor_issue(issue(path="other/file.py"), anchors())
    assert (finding.anchor, finding.path, finding.line) == ("general", None, None)


def test_prefixed_and_partial_paths_resolve():
    paths = ["pkg/app.py", "pkg/util.py"]
    assert resolve_path("b/pkg/app.py", paths) == "pkg/app.py"
    assert resolve_path("./pkg/app.py", paths) == "pkg/app.py"
    assert resolve_path("app.py", paths) == "pkg/app.py"
    assert resolve_path("`pkg\\app.py`", paths) == "pkg/app.py"
    assert resolve_path("nope.py", paths) is None


def test_range_across_hunks_is_cut_to_one_line_and_drops_suggestion():
    finding = anchor_issue(issue(line=8, end_line=25, suggestion="x"), anchors())
    assert (finding.line, finding.end_line, finding.suggestion) == (8, None, None)


def test_range_within_hunk_keeps_suggestion():
    finding = anchor_issue(issue(line=5, end_line=8, suggestion="    return sum(xs)"), anchors())
    assert (finding.line, finding.end_line) == (5, 8)
    assert finding.suggestion == "    return sum(xs)"
    assert len(finding.code) == 4


def test_removed_line_numbers_are_not_anchors():
    # Old line 5 ("return sum(xs)") was removed; new line 5 is "    n = 0", so a quote of the
    # removed code cannot pin it anywhere and the cited line stays as is.
    finding = anchor_issue(issue(line=5, quote="return sum(xs)"), anchors())
    assert finding.line == 5
    assert finding.code == ["    n = 0"]


def test_a_line_outside_the_diff_is_kept_as_the_cited_line_of_a_file_finding():
    finding = anchor_issue(issue(line=16, quote=None), anchors())
    assert (finding.anchor, finding.line, finding.cited_line) == ("file", None, 16)
    assert "cited_line" not in finding.model_dump()  # not part of the JSON contract
    assert anchor_issue(issue(line=0, quote=None), anchors()).cited_line is None
