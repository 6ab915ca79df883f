"""The incremental planner against the fake GitHub's compare endpoint, and the run record."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fake_github import FakeGitHub
from github_env import REPO, TOKEN
from gitrepo import GitRepo

from reviewbot.diffmodel import Diff
from reviewbot.diffparse import parse_diff
from reviewbot.findings import Finding, ReviewResult, Severity, Stats
from reviewbot.github.connection import connect
from reviewbot.github.incremental import (
    ReviewScope,
    carry_over,
    combine,
    next_record,
    plan_scope,
    remap_line,
)
from reviewbot.github.pullsource import pull_diff
from reviewbot.github.runrecord import (
    MAX_ENCODED,
    decode_record,
    encode_record,
    make_record,
)

BIG = "".join(f"value_{i} = compute({i})\n" for i in range(200))


def edit(text: str, line: int, new: str) -> str:
    lines = text.splitlines(keepends=True)
    lines[line - 1] = new + "\n"
    return "".join(lines)


@dataclass
class Pushes:
    repo: GitRepo
    base: str
    heads: list[str]


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with FakeGitHub() as server:
        yield server


@pytest.fixture
def pushes(tmp_path: Path, github: FakeGitHub) -> Pushes:
    """A PR opened with a large change, then one push changing a single line."""
    repo = GitRepo(tmp_path / "repo")
    repo.write("big.py", BIG)
    repo.write("other.py", "a = 1\n")
    base = repo.commit("base")
    repo.write("big.py", edit(edit(BIG, 10, "value_10 = compute(10) + 1"), 150, "value_150 = 0"))
    repo.write("other.py", "a = 2\n")
    head1 = repo.commit("first push")
    github.add_pull(REPO, 1, repo.diff_commits(base, head1), head_sha=head1, base_sha=base)
    repo.write("big.py", edit(repo.read("big.py"), 100, "value_100 = compute(100) * 2"))
    head2 = repo.commit("second push")
    github.push(
        REPO,
        1,
        repo.diff_commits(base, head2),
        head_sha=head2,
        change=repo.diff_commits(head1, head2),
    )
    return Pushes(repo, base, [head1, head2])


def finding(path: str | None, line: int | None, title: str = "issue") -> Finding:
    return Finding(
        path=path, line=line, severity=Severity.MEDIUM, title=title, body="b", code=["x"]
    )


def scope_for(github: FakeGitHub, record_head: str | None, **kw: object) -> ReviewScope:
    gh = connect(TOKEN, github.api_url, write_interval=0)
    repo = gh.get_repo(REPO)
    pr = repo.get_pull(1)
    diff = pull_diff(pr).diff
    record = None
    if record_head is not None:
        findings = kw.pop("findings", [])
        record = make_record(record_head, bool(kw.pop("complete", True)), findings, 800.0, 10)  # type: ignore[arg-type]
    return plan_scope(repo, record, pr.head.sha, diff, **kw)  # type: ignore[arg-type]


def compares(github: FakeGitHub) -> list[str]:
    return [r.path for r in github.requests if "/compare/" in r.path]


def test_first_review_is_full(github: FakeGitHub, pushes: Pushes) -> None:
    scope = scope_for(github, None)
    assert (scope.mode, scope.reason) == ("full", "first review")
    assert compares(github) == []


def test_a_push_is_reviewed_incrementally(github: FakeGitHub, pushes: Pushes) -> None:
    head1, head2 = pushes.heads
    scope = scope_for(github, head1)
    assert scope.mode == "incremental" and scope.since == head1 and scope.head == head2
    assert scope.diff is not None
    assert [f.path for f in scope.diff.files] == ["big.py"]
    assert scope.diff.changed_count == 2  # one line replaced
    assert scope.describe(scope.diff) == (
        f"reviewed `{head1[:7]}…{head2[:7]}`: 1 file, 2 changed lines (incremental)"
    )
    assert compares(github) == [f"/repos/{REPO}/compare/{head1}...{head2}"]


def test_same_head_needs_no_compare_and_nothing_new(github: FakeGitHub, pushes: Pushes) -> None:
    head2 = pushes.heads[1]
    scope = scope_for(github, head2, findings=[finding("big.py", 10), finding("gone.py", 3)])
    assert scope.mode == "nothing-new"
    assert [f.path for f in scope.carried] == ["big.py"]  # gone.py is no longer in the PR
    assert compares(github) == []
    assert scope.describe(Diff()) == f"nothing new since `{head2[:7]}`: no model request"


def test_asked_for_full(github: FakeGitHub, pushes: Pushes) -> None:
    scope = scope_for(github, pushes.heads[0], incremental=False)
    assert (scope.mode, scope.reason) == ("full", "asked for a full review")


def test_incomplete_last_run_means_full(github: FakeGitHub, pushes: Pushes) -> None:
    scope = scope_for(github, pushes.heads[0], complete=False)
    assert scope.mode == "full" and "did not review everything" in (scope.reason or "")


def test_force_push_is_reviewed_in_full(github: FakeGitHub, pushes: Pushes) -> None:
    repo = pushes.repo
    repo.run("reset", "-q", "--hard", pushes.base)
    repo.write("big.py", edit(BIG, 20, "value_20 = None"))
    head3 = repo.commit("rewritten")
    github.push(REPO, 1, repo.diff_commits(pushes.base, head3), head_sha=head3, force=True)
    scope = scope_for(github, pushes.heads[1])
    assert (scope.mode, scope.reason) == ("full", "force-push")
    diff = parse_diff(repo.diff_commits(pushes.base, head3))
    assert scope.describe(diff) == (
        f"reviewed `{head3[:7]}`: 1 file, 2 changed lines (full review: force-push)"
    )


def test_unknown_last_commit_is_reviewed_in_full(github: FakeGitHub, pushes: Pushes) -> None:
    scope = scope_for(github, "f" * 40)
    assert scope.mode == "full"
    assert scope.reason == "the last reviewed commit `fffffff` is unknown to GitHub"
    assert compares(github) == [f"/repos/{REPO}/compare/{'f' * 40}...{pushes.heads[1]}"]


def test_merging_the_base_in_is_reviewed_in_full(github: FakeGitHub, pushes: Pushes) -> None:
    repo = pushes.repo
    repo.write("other.py", "a = 3\n")
    head3 = repo.commit("merge main")
    github.push(
        REPO,
        1,
        repo.diff_commits(pushes.base, head3),
        head_sha=head3,
        change=repo.diff_commits(pushes.heads[1], head3),
        merge_base=True,
    )
    scope = scope_for(github, pushes.heads[1])
    assert (scope.mode, scope.reason) == ("full", "a merge commit since the last review")


def test_head_moved_back_is_reviewed_in_full(github: FakeGitHub, pushes: Pushes) -> None:
    gh = connect(TOKEN, github.api_url, write_interval=0)
    repo = gh.get_repo(REPO)
    pr = repo.get_pull(1)
    diff = pull_diff(pr).diff
    record = make_record(pushes.heads[1], True, [], 0, 0)
    scope = plan_scope(repo, record, pushes.heads[0], diff)
    assert scope.mode == "full" and "moved back" in (scope.reason or "")


def test_earlier_findings_follow_their_lines(github: FakeGitHub, pushes: Pushes) -> None:
    repo = pushes.repo
    head1 = pushes.heads[0]
    # a push that inserts two lines at the top of big.py and rewrites line 150
    text = repo.read("big.py")
    text = "import os\nimport sys\n" + edit(text, 150, "value_150 = 1")
    repo.write("big.py", text)
    head3 = repo.commit("shift")
    github.push(
        REPO,
        1,
        repo.diff_commits(pushes.base, head3),
        head_sha=head3,
        change=repo.diff_commits(pushes.heads[1], head3),
    )
    earlier = [
        finding("big.py", 10, "kept, moved down"),
        finding("big.py", 150, "dropped: its line changed"),
        finding("other.py", 1, "kept: file untouched"),
        finding(None, None, "general"),
    ]
    scope = scope_for(github, pushes.heads[1], findings=earlier)
    assert scope.mode == "incremental"
    kept = {(f.path, f.line, f.title) for f in scope.carried}
    assert kept == {
        ("big.py", 12, "kept, moved down"),
        ("other.py", 1, "kept: file untouched"),
        (None, None, "general"),
    }
    assert all(f.code == ["x"] for f in scope.carried)  # fingerprints stay the same
    assert head1 != head3


def test_remap_line_through_insertions_and_removals() -> None:
    diff = parse_diff(
        "diff --git a/f.py b/f.py\n--- a/f.py\n+++ b/f.py\n"
        "@@ -3,0 +4,2 @@\n+new1\n+new2\n"
        "@@ -10,3 +12,2 @@\n ctx\n-gone\n ctx2\n"
    )
    file_diff = diff.files[0]
    assert remap_line(file_diff, 1) == 1
    assert remap_line(file_diff, 3) == 3
    assert remap_line(file_diff, 4) == 6
    assert remap_line(file_diff, 10) == 12
    assert remap_line(file_diff, 11) is None
    assert remap_line(file_diff, 12) == 13
    assert remap_line(file_diff, 40) == 41


def test_carry_over_follows_renames_and_drops_deleted_files() -> None:
    changed = parse_diff(
        "diff --git a/old.py b/new.py\nsimilarity index 90%\nrename from old.py\n"
        "rename to new.py\n--- a/old.py\n+++ b/new.py\n@@ -1,2 +1,2 @@\n-a\n+b\n c\n"
        "diff --git a/dead.py b/dead.py\ndeleted file mode 100644\n--- a/dead.py\n"
        "+++ /dev/null\n@@ -1 +0,0 @@\n-x\n"
    )
    pr = parse_diff(
        "diff --git a/new.py b/new.py\nnew file mode 100644\n--- /dev/null\n+++ b/new.py\n"
        "@@ -0,0 +1,2 @@\n+b\n+c\n"
    )
    kept = carry_over([finding("old.py", 2), finding("dead.py", 1)], changed, pr)
    assert [(f.path, f.line) for f in kept] == [("new.py", 2)]


def test_record_round_trip_and_tampering() -> None:
    found = [finding("a.py", 3, "x"), finding(None, None, "general")]
    record = make_record("a" * 40, True, found, 160.0, 2)
    line = encode_record(record)
    back = decode_record(f"summary text\n\n{line}\n")
    assert back is not None and back.head == "a" * 40 and back.score == 80
    assert [f.code for f in back.restored_findings()] == [["x"], ["x"]]
    assert decode_record("no record here") is None
    assert decode_record(line.replace("record=", "record=AAAA")) is None
    assert decode_record("<!-- reviewbot:record=bm90IHppcA== -->") is None


def test_a_record_too_large_is_kept_without_findings() -> None:
    import os

    noise = [
        Finding(path="a.py", line=i, severity=Severity.LOW, title=os.urandom(40).hex(), body="b")
        for i in range(1, 2000)
    ]
    line = encode_record(make_record("b" * 40, True, noise, 0, 0))
    assert len(line) <= MAX_ENCODED + 40
    back = decode_record(line)
    assert back is not None and back.findings == [] and back.complete is False


def test_combine_keeps_earlier_findings_and_weighs_the_score() -> None:
    scope = ReviewScope(
        "incremental",
        "c" * 40,
        since="d" * 40,
        carried=[finding("a.py", 1, "old"), finding("a.py", 5, "both")],
        score_sum=90 * 100,
        score_lines=100,
    )
    result = ReviewResult(
        score=40,
        findings=[finding("a.py", 5, "Both"), finding("b.py", 2, "new")],
        stats=Stats(reviewed_lines=100),
    )
    merged = combine(scope, result)
    assert [(f.path, f.line, f.title) for f in merged.findings] == [
        ("a.py", 1, "old"),
        ("a.py", 5, "Both"),
        ("b.py", 2, "new"),
    ]
    assert merged.score == 65
    record = next_record(scope, merged)
    assert (record.score_sum, record.score_lines, record.complete) == (13000, 200, True)
    assert len(record.findings) == 3
    full = ReviewScope("full", "c" * 40, reason="first review")
    assert combine(full, result) is result
    assert (full.score_sum, full.score_lines) == (4000, 100)
    assert next_record(full, result).score == 40
