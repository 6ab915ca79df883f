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
TWO_FILES = """\
diff --git a/app.py b/app.py
--- a/app.py
+++ b/app.py
@@ -1,2 +1,3 @@
 import os
+password = "hunter2"
 print(os.name)
diff --git a/util.py b/util.py
--- a/util.py
+++ b/util.py
@@ -1,2 +1,3 @@
 def helper():
+    return eval(user_input)
 x = 1
"""


def two_file_anchors() -> ChunkAnchors:
    plan = plan_chunks(parse_diff(TWO_FILES).files, 4000, EstimatingCounter())
    assert len(plan.chunks) == 1
    return ChunkAnchors(plan.chunks[0])


def test_a_path_outside_the_chunk_moves_to_the_one_file_quoting_it():
    # The hook case: the model named a file that is not staged, but quoted a staged line.
    finding = anchor_issue(
        issue(path="settings.py", line=1, quote='password = "hunter2"'), two_file_anchors()
    )
    assert (finding.anchor, finding.path, finding.line) == ("line", "app.py", 2)
    assert finding.code == ['password = "hunter2"']


def test_the_wrong_file_of_the_chunk_moves_to_the_file_quoting_it():
    finding = anchor_issue(
        issue(path="app.py", line=2, quote="return eval(user_input)"), two_file_anchors()
    )
    assert (finding.anchor, finding.path, finding.line) == ("line", "util.py", 2)


def test_a_quote_in_several_files_or_none_does_not_move_the_finding():
    ambiguous = TWO_FILES.replace(" print(os.name)", " x = 1")  # both files show "x = 1"
    plan = plan_chunks(parse_diff(ambiguous).files, 4000, EstimatingCounter())
    anchors = ChunkAnchors(plan.chunks[0])
    finding = anchor_issue(issue(path="settings.py", line=3, quote="x = 1"), anchors)
    assert (finding.anchor, finding.path) == ("general", None)
    finding = anchor_issue(issue(path="settings.py", line=3, quote="nowhere"), anchors)
    assert (finding.anchor, finding.path) == ("general", None)


def test_a_short_fragment_does_not_move_a_finding_to_another_file():
    finding = anchor_issue(issue(path="app.py", line=9, quote="eval"), two_file_anchors())
    assert (finding.anchor, finding.path, finding.line) == ("file", "app.py", None)


def test_findings_on_context_lines_are_marked_context():
    anchors = two_file_anchors()
    on_context = anchor_issue(issue(path="app.py", line=3, quote="print(os.name)"), anchors)
    assert (on_context.line, on_context.context) == (3, True)
    on_added = anchor_issue(issue(path="app.py", line=2, quote='password = "hunter2"'), anchors)
    assert (on_added.line, on_added.context) == (2, False)
    spanning = anchor_issue(issue(path="app.py", line=1, end_line=2), anchors)
    assert (spanning.line, spanning.end_line, spanning.context) == (1, 2, False)
