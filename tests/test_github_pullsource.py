"""A PR read through the files API gives the same diff model as the raw `git diff`."""

from __future__ import annotations

from pathlib import Path

import pytest
from fake_github import FakeGitHub
from github_env import REPO, TOKEN
from gitrepo import GitRepo

from reviewbot.diffmodel import Diff, FileStatus
from reviewbot.diffparse import parse_diff
from reviewbot.github.connection import GitHubError, connect, parse_pull_ref
from reviewbot.github.pullsource import pull_diff, pull_info

SHARED_DIFFS = Path(__file__).resolve().parents[2] / "shared" / "diffs"


def tricky_diff(root: Path) -> str:
    repo = GitRepo(root)
    repo.write("keep.py", "".join(f"line {i}\n" for i in range(40)))
    repo.write("old name.py", "a = 1\nb = 2\nc = 3\nd = 4\ne = 5\n")
    repo.write("gone.txt", "bye\n")
    repo.write("logo.bin", b"\x00\x01\x02binary")
    repo.write("run.sh", "echo hi\n")
    repo.write("moved.py", "x = 1\n" * 10)
    base = repo.commit("base")
    repo.write("keep.py", "".join(f"line {i}\n" if i % 13 else "changed\n" for i in range(40)))
    repo.move("old name.py", "new name.py")
    repo.write("new name.py", "a = 1\nb = 2\nc = 30\nd = 4\ne = 5\n")
    repo.remove("gone.txt")
    repo.write("logo.bin", b"\x00\x01\x03binary!")
    repo.chmod("run.sh", 0o755)
    repo.move("moved.py", "pkg/moved.py")
    repo.write("文件 名.py", "print('你好')\n")
    repo.write("no-newline.py", "last = True")
    repo.commit("head")
    return repo.diff_commits(base, "HEAD", "-M")


def shape(diff: Diff) -> dict[str, tuple[str, dict[int, str]]]:
    return {
        f.path: (f.status.value, f.new_side_lines())
        for f in diff.files
        if f.hunks and f.status is not FileStatus.DELETED
    }


def test_files_api_diff_matches_the_git_diff(tmp_path: Path, github: FakeGitHub) -> None:
    raw = tricky_diff(tmp_path / "repo")
    github.add_pull(REPO, 1, raw)
    pr = connect(TOKEN, github.api_url, write_interval=0).get_repo(REPO).get_pull(1)
    change = pull_diff(pr)
    diff, skipped = change.diff, change.skipped
    assert shape(diff) == shape(parse_diff(raw))
    assert {f.path for f in diff.files} >= {"文件 名.py", "new name.py", "pkg/moved.py"}
    renamed = diff.file("new name.py")
    assert renamed is not None and renamed.old_path == "old name.py"
    assert {s.path: s.reason for s in skipped} == {
        "logo.bin": "GitHub sent no patch: binary file or mode-only change",
        "run.sh": "GitHub sent no patch: binary file or mode-only change",
    }
    info = pull_info(pr)
    assert info.head_sha == github.pull(REPO, 1).head_sha and not info.is_fork


@pytest.mark.parametrize(
    "name", sorted(p.name for p in SHARED_DIFFS.glob("*.diff")) if SHARED_DIFFS.is_dir() else []
)
def test_real_diffs_round_trip_through_the_files_api(name: str, github: FakeGitHub) -> None:
    raw = (SHARED_DIFFS / name).read_bytes().decode("utf-8", "replace")
    github.add_pull(REPO, 2, raw)
    diff = pull_diff(
        connect(TOKEN, github.api_url, write_interval=0).get_repo(REPO).get_pull(2)
    ).diff
    assert shape(diff) == shape(parse_diff(raw))


def test_pull_references() -> None:
    assert parse_pull_ref("https://github.com/o/r/pull/12").repo == "o/r"
    assert parse_pull_ref("https://github.com/o/r/pull/12/files").number == 12
    ghe = parse_pull_ref("https://git.example.com/team/app/pull/3")
    assert ghe.api_url == "https://git.example.com/api/v3" and ghe.number == 3
    assert parse_pull_ref("o/r.js#4").repo == "o/r.js"
    with pytest.raises(GitHubError):
        parse_pull_ref("o/r/4")
