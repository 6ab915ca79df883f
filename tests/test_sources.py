"""Every diff source hands the planner a Change; the planner lists what the source skipped."""

from __future__ import annotations

from pathlib import Path

import pytest
from gitrepo import GIT, GitRepo

from reviewbot.app import plan_review
from reviewbot.change import Change, DiffSource
from reviewbot.config import load_settings
from reviewbot.diffparse import parse_diff
from reviewbot.findings import SkippedFile
from reviewbot.sources import DiffFile, GitChanges, SourceError, WholeFiles

DIFF = "--- a/app.py\n+++ b/app.py\n@@ -1 +1 @@\n-a = 1\n+a = 2\n"


def read(source: DiffSource) -> Change:
    change = source.read()
    assert isinstance(change, Change)
    return change


def test_a_diff_file_is_a_change(tmp_path: Path) -> None:
    (tmp_path / "x.diff").write_text(DIFF)
    change = read(DiffFile(str(tmp_path / "x.diff"), 1024))
    assert [f.path for f in change.diff.files] == ["app.py"] and change.skipped == []
    with pytest.raises(SourceError, match="over 0 MB"):
        DiffFile(str(tmp_path / "x.diff"), 10).read()


def test_whole_files_are_a_change_with_binaries_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "app.py").write_text("a = 1\n")
    (tmp_path / "logo.png").write_bytes(b"\x89PNG\0\0data")
    change = read(WholeFiles(("app.py", "logo.png")))
    assert [f.path for f in change.diff.files] == ["app.py"]
    assert change.skipped == [SkippedFile(path="logo.png", reason="binary")]
    assert not change.empty and Change(parse_diff("")).empty


@pytest.mark.skipif(GIT is None, reason="git is not installed")
def test_git_changes_are_a_change(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path)
    repo.write("app.py", "a = 1\n")
    repo.run("add", "app.py")
    repo.run("commit", "-q", "-m", "base")
    repo.write("app.py", "a = 2\n")
    repo.run("add", "app.py")
    change = read(GitChanges(staged=True, cwd=tmp_path))
    (file,) = change.diff.files
    assert file.path == "app.py" and file.changed_count == 2 and change.skipped == []


def test_the_planner_lists_what_the_source_skipped_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".git").mkdir()
    text = DIFF + "--- a/package-lock.json\n+++ b/package-lock.json\n@@ -1 +1 @@\n-{}\n+[]\n"
    source_skip = SkippedFile(path="big.bin", reason="GitHub sent no patch: too large to show")
    settings = load_settings({"model": "gpt-4o-mini", "cache": False})
    plan = plan_review(settings, Change(parse_diff(text), [source_skip]), need_key=False)
    assert plan.prepared.skipped[0] == source_skip
    assert [s.path for s in plan.prepared.skipped] == ["big.bin", "package-lock.json"]
    assert [p.path for c in plan.prepared.plan.chunks for p in c.parts] == ["app.py"]
