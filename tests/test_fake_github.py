"""The fake GitHub server, driven by the real PyGithub: if these pass, a bot tested against the
fake talks to GitHub the way PyGithub really does, and meets GitHub's own 422 rules."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from http.client import HTTPMessage
from pathlib import Path
from typing import Any

import pytest
from fake_github import (
    MSG_ACTIONS_APPROVE,
    MSG_BODY_BLANK,
    MSG_COMMIT,
    MSG_HUNK_BLANK,
    MSG_LINE,
    MSG_PATH,
    MSG_PENDING,
    MSG_START_HUNK,
    MSG_START_ORDER,
    DiffError,
    DiffLine,
    FakeGitHub,
    FileDiff,
    PullState,
    parse_diff,
)
from github import Auth, Github, GithubException, GithubRetry
from github.GithubException import (
    BadCredentialsException,
    RateLimitExceededException,
    UnknownObjectException,
)

TOKEN = "ghs_testtoken"
REPO = "octo/widgets"
SHARED_DIFFS = Path(__file__).resolve().parents[2] / "shared" / "diffs"
HEAD = "1" * 40

# {blank} stands for a context line of an empty source line (a lone space), kept out of the source
SMALL_DIFF = """\
diff --git a/app.py b/app.py
index 1111111..2222222 100644
--- a/app.py
+++ b/app.py
@@ -1,7 +1,8 @@
 import os
 import sys
-import json
+import re
+import typing
{blank}
{blank}
 def main():
     return 0
@@ -20,6 +21,6 @@ def helper():
     a = 1
     b = 2
     c = 3
-    d = 4
+    d = 5
     e = 5
     f = 6
diff --git a/logo.png b/logo.png
index 3333333..4444444 100644
Binary files a/logo.png and b/logo.png differ
""".format(blank=" ")


def client(
    github: FakeGitHub, token: str | None = TOKEN, *, retry: Any = None, **kw: Any
) -> Github:
    # seconds_between_* default to 0.25 s / 1 s of throttling per request in PyGithub 2.x
    return Github(
        base_url=kw.pop("base_url", github.api_url),
        auth=Auth.Token(token) if token else None,
        retry=retry,
        timeout=5,
        seconds_between_requests=0,
        seconds_between_writes=0,
        **kw,
    )


@pytest.fixture
def small(github: FakeGitHub) -> PullState:
    return github.add_pull(REPO, 7, SMALL_DIFF, head_sha=HEAD, base_sha="0" * 40)


def new_files_diff(count: int) -> str:
    return "".join(
        f"diff --git a/pkg/f{i:04}.txt b/pkg/f{i:04}.txt\nnew file mode 100644\n"
        f"index 0000000..1234567\n--- /dev/null\n+++ b/pkg/f{i:04}.txt\n@@ -0,0 +1 @@\n+line {i}\n"
        for i in range(count)
    )


def raw_get(
    github: FakeGitHub, path: str, token: str = TOKEN, accept: str = ""
) -> tuple[HTTPMessage, str]:
    req = urllib.request.Request(github.api_url + path, headers={"Authorization": f"token {token}"})
    if accept:
        req.add_header("Accept", accept)
    with urllib.request.urlopen(req, timeout=5) as resp:
        return resp.headers, resp.read().decode("utf-8")


# ------------------------------------------------------------------------- diffs made by git


def _git(cwd: Path, *args: str) -> bytes:
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    return subprocess.run(
        ["git", "-c", "user.name=T", "-c", "user.email=t@example.com", *args],
        cwd=cwd,
        env=env,
        check=True,
        capture_output=True,
    ).stdout


@pytest.fixture(scope="module")
def git_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A repository whose last commit has every file shape that trips diff parsers."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    root = tmp_path_factory.mktemp("repo")
    _git(root, "init", "-q", ".")
    body = "".join(f"line {i}\n" for i in range(1, 41))
    (root / "keep.py").write_text(body)
    (root / "old name.py").write_text("".join(f"def f{i}(): pass\n" for i in range(12)))
    (root / "gone.txt").write_text("bye\n" * 3)
    (root / "logo.bin").write_bytes(bytes(range(256)))
    (root / "crlf.txt").write_bytes(b"one\r\ntwo\r\nthree\r\n")
    (root / "文件.py").write_text("x = 1\ny = 2\n")
    (root / "pure_move.txt").write_text("same\n" * 5)
    (root / "run.sh").write_text("echo hi\n")
    (root / "dashes.txt").write_text("-- a/x\nmiddle\nend\n")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "base")
    lines = body.splitlines(keepends=True)
    lines[4] = "line five\n"
    lines[30:32] = ["inserted a\n", "inserted b\n", "inserted c\n"]
    (root / "keep.py").write_text("".join(lines))
    _git(root, "mv", "old name.py", "new name.py")
    moved = (root / "new name.py").read_text().replace("def f3()", "def f3_renamed()")
    (root / "new name.py").write_text(moved)
    (root / "gone.txt").unlink()
    (root / "logo.bin").write_bytes(bytes(range(255, -1, -1)))
    (root / "crlf.txt").write_bytes(b"one\r\nTWO\r\nthree\r\n")
    (root / "文件.py").write_text("x = 1\ny = 3\n")
    (root / "moved").mkdir()
    _git(root, "mv", "pure_move.txt", "moved/pure_move.txt")
    (root / "run.sh").chmod(0o755)
    (root / "dashes.txt").write_text("middle\n++ b/y\nend\n")
    (root / "with space.py").write_text("a = 1\n")
    (root / "empty.txt").write_text("")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "change")
    return root


@pytest.fixture(scope="module")
def git_diff(git_repo: Path) -> str:
    return _git(git_repo, "diff", "-M", "HEAD~1", "HEAD").decode("utf-8")


def numstat(repo: Path) -> dict[str, tuple[int | None, int | None, str | None]]:
    """git's own per-file counts and names (NUL-separated, so names are exact)."""
    fields = _git(repo, "diff", "-M", "--numstat", "-z", "HEAD~1", "HEAD").decode().split("\0")
    out: dict[str, tuple[int | None, int | None, str | None]] = {}
    i = 0
    while i < len(fields) - 1:
        added, deleted, name = fields[i].split("\t")
        old = None
        if name == "":  # a rename: old and new names follow
            old, name = fields[i + 1], fields[i + 2]
            i += 2
        i += 1
        out[name] = (
            None if added == "-" else int(added),
            None if deleted == "-" else int(deleted),
            old,
        )
    return out


def by_name(files: list[FileDiff]) -> dict[str, FileDiff]:
    return {f.filename: f for f in files}


def at(f: FileDiff, side: str, line: int) -> DiffLine:
    hit = f.find(side, line)
    assert hit is not None, (f.filename, side, line)
    return hit[1]


def test_git_diff_files_match_git_numstat(git_repo: Path, git_diff: str) -> None:
    files = by_name(parse_diff(git_diff))
    stats = numstat(git_repo)
    assert set(files) == set(stats)
    for name, (added, deleted, old) in stats.items():
        f = files[name]
        assert (f.additions, f.deletions) == (added or 0, deleted or 0), name
        if old is not None:
            assert f.previous_filename == old
            assert f.status == "renamed"


def test_git_diff_statuses_and_patches(git_diff: str) -> None:
    files = by_name(parse_diff(git_diff))
    assert files["keep.py"].status == "modified"
    assert files["gone.txt"].status == "removed"
    assert files["with space.py"].status == "added"
    assert files["new name.py"].previous_filename == "old name.py"
    assert files["new name.py"].full_patch is not None
    pure = files["moved/pure_move.txt"]
    assert (pure.status, pure.previous_filename, pure.full_patch) == (
        "renamed",
        "pure_move.txt",
        None,
    )
    assert files["logo.bin"].binary and files["logo.bin"].full_patch is None
    assert files["run.sh"].status == "modified" and files["run.sh"].full_patch is None
    assert files["empty.txt"].status == "added" and files["empty.txt"].full_patch is None
    assert "文件.py" in files and files["文件.py"].full_patch is not None
    for f in files.values():
        if f.full_patch is not None:
            assert f.full_patch.startswith("@@ ") and not f.full_patch.endswith("\n")


def test_hunk_lines_that_look_like_headers_are_content(git_diff: str) -> None:
    dashes = by_name(parse_diff(git_diff))["dashes.txt"]
    assert dashes.full_patch is not None
    assert "\n--- a/x" in dashes.full_patch and "\n+++ b/y" in dashes.full_patch
    assert at(dashes, "LEFT", 1).text == "-- a/x" and at(dashes, "RIGHT", 2).text == "++ b/y"
    assert (dashes.additions, dashes.deletions) == (1, 1)


def test_line_numbers_follow_the_hunks(git_diff: str) -> None:
    keep = by_name(parse_diff(git_diff))["keep.py"]
    assert len(keep.hunks) == 2
    assert at(keep, "RIGHT", 5).text == "line five"
    assert at(keep, "LEFT", 5).text == "line 5"
    assert at(keep, "RIGHT", 31).text == "inserted a"
    assert at(keep, "RIGHT", 33).text == "inserted c"
    assert at(keep, "LEFT", 32).text == "line 32"
    assert at(keep, "RIGHT", 4).kind == " " and at(keep, "LEFT", 4).kind == " "
    assert keep.find("RIGHT", 20) is None
    second = keep.hunks[1]
    assert second.header.startswith("@@ -28,8 +28,9 @@")
    assert at(keep, "LEFT", 31).position == second.position + 4  # after 3 context lines
    assert at(keep, "RIGHT", 31).position == second.position + 6


def test_crlf_diff_text_parses_the_same(git_diff: str) -> None:
    lf = parse_diff(git_diff)
    crlf = parse_diff(git_diff.replace("\n", "\r\n"))
    assert [f.filename for f in crlf] == [f.filename for f in lf]
    for a, b in zip(lf, crlf, strict=True):
        assert (a.status, a.additions, a.deletions, a.previous_filename) == (
            b.status,
            b.additions,
            b.deletions,
            b.previous_filename,
        )
        got = [[(d.kind, d.old, d.new) for d in h.lines] for h in b.hunks]
        assert got == [[(d.kind, d.old, d.new) for d in h.lines] for h in a.hunks]


def test_symlink_replaced_by_a_file(tmp_path: Path, github: FakeGitHub) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    _git(tmp_path, "init", "-q", ".")
    (tmp_path / "link").symlink_to("target")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-qm", "base")
    (tmp_path / "link").unlink()
    (tmp_path / "link").write_text("real\nfile\n")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-qm", "change")
    diff = _git(tmp_path, "diff", "-M", "HEAD~1", "HEAD").decode()
    files = parse_diff(diff)
    # git prints a deletion and a creation for the same path; both stay commentable
    assert [(f.filename, f.status) for f in files] == [("link", "removed"), ("link", "added")]
    github.add_pull(REPO, 7, diff, head_sha=HEAD)
    post_review(
        github,
        [
            {"path": "link", "line": 1, "side": "LEFT", "body": "old target"},
            {"path": "link", "line": 2, "body": "new content"},
        ],
    )
    assert [c["diff_hunk"].splitlines()[-1] for c in github.review_comments] == ["-target", "+file"]


@pytest.mark.skipif(not SHARED_DIFFS.is_dir(), reason="shared diffs are absent")
def test_shared_diffs_agree_with_git_apply_numstat(tmp_path: Path) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    for path in sorted(SHARED_DIFFS.glob("*.diff")):
        files = parse_diff(path.read_text(encoding="utf-8"))
        out = subprocess.run(
            ["git", "apply", "--numstat", "-z", str(path)],
            cwd=tmp_path,  # inside a repository git apply skips paths outside the cwd
            check=True,
            capture_output=True,
        ).stdout.decode("utf-8")
        rows = out.split("\0")
        expected = []
        i = 0
        while i < len(rows) - 1:
            added, deleted, name = rows[i].split("\t")
            if name == "":
                name = rows[i + 2]
                i += 2
            i += 1
            expected.append(
                (name, 0 if added == "-" else int(added), 0 if deleted == "-" else int(deleted))
            )
        got = sorted((f.filename, f.additions, f.deletions) for f in files)
        assert got == sorted(expected), path.name


@pytest.mark.skipif(not SHARED_DIFFS.is_dir(), reason="shared diffs are absent")
def test_shared_binary_and_mode_diffs() -> None:
    binary = parse_diff((SHARED_DIFFS / "pre-commit-binary-fc33a62f3c.diff").read_text())
    assert [f.binary for f in binary] == [True, True, False]
    mode = by_name(parse_diff((SHARED_DIFFS / "pre-commit-mode-3bada745ea.diff").read_text()))
    assert mode["testing/make-archives"].previous_filename == "pre_commit/make_archives.py"


# ------------------------------------------------------------------------- reading a PR


@pytest.mark.parametrize("prefix", ["", "/api/v3"])
def test_repo_and_pull_fetch(github: FakeGitHub, small: PullState, prefix: str) -> None:
    gh = client(github, base_url=github.api_url + prefix)
    repo = gh.get_repo(REPO)
    assert repo.full_name == REPO and repo.default_branch == "main"
    pr = repo.get_pull(7)
    assert (pr.number, pr.head.sha, pr.base.sha) == (7, HEAD, "0" * 40)
    assert pr.head.repo.full_name == REPO and pr.changed_files == 2
    assert (pr.additions, pr.deletions) == (3, 2)
    assert pr.url == f"{github.api_url}{prefix}/repos/{REPO}/pulls/7"
    assert [r.path for r in github.requests] == [
        f"{prefix}/repos/{REPO}",
        f"{prefix}/repos/{REPO}/pulls/7",
    ]
    headers = github.requests[0].headers
    assert headers["authorization"] == f"token {TOKEN}"


def test_fork_pull_has_its_own_head_repo(github: FakeGitHub) -> None:
    github.add_pull(REPO, 8, SMALL_DIFF, head_repo="someone/widgets")
    pr = client(github).get_repo(REPO).get_pull(8)
    assert pr.head.repo.full_name == "someone/widgets" and pr.head.repo.fork
    assert pr.base.repo.full_name == REPO


def test_files_are_paginated_with_link_headers(github: FakeGitHub) -> None:
    github.add_pull(REPO, 1, new_files_diff(250))
    pr = client(github).get_repo(REPO).get_pull(1)
    names = [f.filename for f in pr.get_files()]
    assert names == [f"pkg/f{i:04}.txt" for i in range(250)]
    pages = [r for r in github.requests if r.path.endswith("/files")]
    assert len(pages) == 9  # 30 per page by default
    assert [r.query.get("page", ["1"])[0] for r in pages] == [str(p) for p in range(1, 10)]
    repo_id = github.add_repo(REPO)
    assert pages[1].path == f"/repositories/{repo_id}/pulls/1/files"
    assert pr.get_files().totalCount == 250


def test_link_header_matches_githubs_format(github: FakeGitHub) -> None:
    github.add_pull(REPO, 1, new_files_diff(250))
    repo_id = github.add_repo(REPO)
    headers, text = raw_get(github, f"/repos/{REPO}/pulls/1/files?per_page=100&page=2")
    assert len(json.loads(text)) == 100
    base = f"{github.api_url}/repositories/{repo_id}/pulls/1/files"
    assert headers["Link"] == (
        f'<{base}?per_page=100&page=1>; rel="prev", <{base}?per_page=100&page=3>; rel="next", '
        f'<{base}?per_page=100&page=3>; rel="last", <{base}?per_page=100&page=1>; rel="first"'
    )
    headers, text = raw_get(github, f"/repos/{REPO}/pulls/1/files?per_page=500&page=3")
    assert len(json.loads(text)) == 50  # per_page is capped at 100
    assert 'rel="next"' not in headers["Link"]


def test_files_list_stops_at_3000(github: FakeGitHub) -> None:
    github.add_pull(REPO, 1, new_files_diff(3005))
    pr = client(github, per_page=100).get_repo(REPO).get_pull(1)
    assert pr.changed_files == 3005
    assert len(list(pr.get_files())) == 3000


def test_file_rows_from_a_git_diff(github: FakeGitHub, git_diff: str) -> None:
    github.add_pull(REPO, 3, git_diff)
    files = {f.filename: f for f in client(github).get_repo(REPO).get_pull(3).get_files()}
    assert files["文件.py"].patch is not None and files["with space.py"].status == "added"
    assert files["logo.bin"].patch is None and files["run.sh"].patch is None
    assert files["moved/pure_move.txt"].previous_filename == "pure_move.txt"
    assert files["new name.py"].status == "renamed"
    assert files["gone.txt"].status == "removed" and files["gone.txt"].deletions == 3
    assert files["keep.py"].patch == by_name(parse_diff(git_diff))["keep.py"].full_patch
    gh = client(github)
    pr = gh.get_repo(REPO).get_pull(3)
    pr.create_review(
        commit=gh.get_repo(REPO).get_commit(pr.head.sha),
        body="names",
        event="COMMENT",
        comments=[
            {"path": "文件.py", "line": 2, "body": "utf-8 name"},
            {"path": "with space.py", "line": 1, "body": "space"},
            {"path": "crlf.txt", "line": 2, "side": "LEFT", "body": "crlf"},
            {"path": "new name.py", "line": 4, "body": "renamed"},
        ],
    )
    assert [c["path"] for c in github.review_comments] == [
        "文件.py",
        "with space.py",
        "crlf.txt",
        "new name.py",
    ]
    with pytest.raises(GithubException) as err:
        pr.create_review(
            body="old name",
            event="COMMENT",
            comments=[{"path": "old name.py", "line": 4, "body": "x"}],
        )
    assert err.value.data["errors"] == [MSG_PATH]


def test_large_patches_are_left_out(github: FakeGitHub, small: PullState) -> None:
    github.max_patch_bytes = 100
    gh = client(github)
    pr = gh.get_repo(REPO).get_pull(7)
    app = next(f for f in pr.get_files() if f.filename == "app.py")
    assert app.patch is None and app.additions == 3
    with pytest.raises(GithubException) as err:
        pr.create_review(
            commit=gh.get_repo(REPO).get_commit(HEAD),
            body="b",
            event="COMMENT",
            comments=[{"path": "app.py", "line": 4, "body": "x"}],
        )
    assert err.value.data["errors"] == [MSG_PATH]


def test_raw_diff_through_the_diff_media_type(github: FakeGitHub, small: PullState) -> None:
    pr = client(github).get_repo(REPO).get_pull(7)
    # PyGithub has no diff call; its requester hands back non-JSON text as {"data": text}
    headers, data = pr._requester.requestJsonAndCheck(
        "GET", pr.url, headers={"Accept": "application/vnd.github.v3.diff"}
    )
    assert data["data"] == SMALL_DIFF
    assert headers["content-type"].startswith("application/vnd.github.v3.diff")
    _, text = raw_get(github, f"/repos/{REPO}/pulls/7", accept="application/vnd.github.diff")
    assert text == SMALL_DIFF


def test_raw_diff_over_300_files_is_406(github: FakeGitHub) -> None:
    github.add_pull(REPO, 1, new_files_diff(301))
    with pytest.raises(urllib.error.HTTPError) as err:
        raw_get(github, f"/repos/{REPO}/pulls/1", accept="application/vnd.github.v3.diff")
    assert err.value.code == 406
    body = json.loads(err.value.read())
    assert body["message"].startswith("Sorry, the diff exceeded the maximum number of files (300)")
    assert body["errors"] == [{"resource": "PullRequest", "field": "diff", "code": "too_large"}]


def test_every_response_carries_rate_limit_headers(github: FakeGitHub, small: PullState) -> None:
    headers, _ = raw_get(github, f"/repos/{REPO}")
    assert headers["X-RateLimit-Limit"] == "5000" and headers["X-RateLimit-Resource"] == "core"
    assert int(headers["X-RateLimit-Remaining"]) + int(headers["X-RateLimit-Used"]) == 5000
    assert int(headers["X-RateLimit-Reset"]) > time.time()


# ------------------------------------------------------------------------- auth and 404


def test_bad_and_missing_tokens_get_401(github: FakeGitHub, small: PullState) -> None:
    with pytest.raises(BadCredentialsException) as err:
        client(github, "ghp_wrong").get_repo(REPO)
    assert err.value.status == 401
    assert err.value.data == {
        "message": "Bad credentials",
        "documentation_url": "https://docs.github.com/rest",
        "status": "401",
    }
    with pytest.raises(BadCredentialsException):
        client(github, None).get_repo(REPO)


def test_read_only_token_cannot_write() -> None:
    with FakeGitHub(tokens={"ghs_fork": "read"}) as github:
        github.add_pull(REPO, 7, SMALL_DIFF, head_sha=HEAD)
        gh = client(github, "ghs_fork")
        pr = gh.get_repo(REPO).get_pull(7)
        assert len(list(pr.get_files())) == 2
        with pytest.raises(GithubException) as err:
            pr.create_review(commit=gh.get_repo(REPO).get_commit(HEAD), body="b", event="COMMENT")
        assert err.value.status == 403
        assert err.value.data["message"] == "Resource not accessible by integration"
        with pytest.raises(GithubException) as err:
            pr.create_issue_comment("hello")
        assert err.value.status == 403
        assert github.reviews == [] and github.issue_comments == []
        assert [status for status, _ in github.rejected] == [403, 403]


def test_unknown_repo_pull_and_deleted_pull_are_404(github: FakeGitHub, small: PullState) -> None:
    gh = client(github)
    with pytest.raises(UnknownObjectException):
        gh.get_repo("octo/missing")
    with pytest.raises(UnknownObjectException):
        gh.get_repo(REPO).get_pull(99)
    repo = gh.get_repo(REPO)
    github.delete_pull(REPO, 7)
    with pytest.raises(UnknownObjectException) as err:
        repo.get_pull(7)
    assert err.value.data["message"] == "Not Found"


def test_get_user_depends_on_the_kind_of_token() -> None:
    tokens = {"ghs_app": "write", "ghp_person": "write"}
    with FakeGitHub(tokens=tokens, token_users={"ghp_person": "alice"}) as github:
        assert client(github, "ghp_person").get_user().login == "alice"
        with pytest.raises(GithubException) as err:
            client(github, "ghs_app").get_user().login  # noqa: B018 - the attribute fetches
        assert err.value.status == 403


# ------------------------------------------------------------------------- creating reviews


def post_review(github: FakeGitHub, comments: list[dict[str, Any]], **kw: Any) -> Any:
    gh = client(github)
    repo = gh.get_repo(REPO)
    pr = repo.get_pull(7)
    args: dict[str, Any] = {"commit": repo.get_commit(kw.pop("sha", HEAD)), "comments": comments}
    args.update({"body": "Review", "event": "COMMENT"} | kw)
    return pr.create_review(**{k: v for k, v in args.items() if v is not None})


def test_valid_review_is_stored_with_github_fields(github: FakeGitHub, small: PullState) -> None:
    review = post_review(
        github,
        [
            {"path": "app.py", "line": 4, "side": "RIGHT", "body": "added line"},
            {"path": "app.py", "line": 3, "side": "LEFT", "body": "removed line"},
            {"path": "app.py", "line": 1, "side": "LEFT", "body": "old-side context"},
            {"path": "app.py", "start_line": 3, "line": 5, "body": "range"},
            {
                "path": "app.py",
                "start_line": 3,
                "start_side": "LEFT",
                "line": 4,
                "side": "RIGHT",
                "body": "across sides",
            },
            {"path": "app.py", "line": 24, "body": "second hunk"},
        ],
    )
    assert review.state == "COMMENTED" and review.commit_id == HEAD and review.body == "Review"
    assert review.user.login == "github-actions[bot]"
    post = github.requests[-1]
    assert post.method == "POST" and post.status == 200
    assert post.json["commit_id"] == HEAD and post.json["event"] == "COMMENT"
    stored = [
        (c["path"], c["line"], c["side"], c["start_line"], c["start_side"])
        for c in github.review_comments
    ]
    assert stored == [
        ("app.py", 4, "RIGHT", None, None),
        ("app.py", 3, "LEFT", None, None),
        ("app.py", 1, "LEFT", None, None),
        ("app.py", 5, "RIGHT", 3, "RIGHT"),
        ("app.py", 4, "RIGHT", 3, "LEFT"),
        ("app.py", 24, "RIGHT", None, None),
    ]
    first = github.review_comments[0]
    assert first["pull_request_review_id"] == review.id and first["commit_id"] == HEAD
    assert first["original_line"] == 4 and first["position"] == 5
    assert first["diff_hunk"].splitlines()[0] == "@@ -1,7 +1,8 @@"
    assert first["diff_hunk"].splitlines()[-1] == "+import typing"
    assert first["html_url"].endswith(f"#discussion_r{first['id']}")
    pr = client(github).get_repo(REPO).get_pull(7)
    assert [c.line for c in pr.get_review_comments()] == [4, 3, 1, 5, 4, 24]
    assert next(c.body for c in pr.get_single_review_comments(review.id)) == "added line"
    assert [r.state for r in pr.get_reviews()] == ["COMMENTED"]
    assert github.rejected == []


def test_review_without_commit_defaults_to_head(github: FakeGitHub, small: PullState) -> None:
    pr = client(github).get_repo(REPO).get_pull(7)
    review = pr.create_review(body="ok", event="COMMENT")
    assert review.commit_id == HEAD


@pytest.mark.parametrize(
    ("comments", "kw", "message"),
    [
        ([{"path": "missing.py", "line": 4, "body": "x"}], {}, MSG_PATH),
        ([{"path": "logo.png", "line": 1, "body": "x"}], {}, MSG_PATH),
        ([{"path": "app.py", "line": 12, "body": "x"}], {}, MSG_LINE),
        ([{"path": "app.py", "line": 26, "side": "LEFT", "body": "x"}], {}, MSG_LINE),
        ([{"path": "app.py", "line": 0, "body": "x"}], {}, MSG_LINE),
        ([{"path": "app.py", "start_line": 2, "line": 24, "body": "x"}], {}, MSG_START_HUNK),
        ([{"path": "app.py", "start_line": 14, "line": 24, "body": "x"}], {}, MSG_START_HUNK),
        ([{"path": "app.py", "start_line": 5, "line": 4, "body": "x"}], {}, MSG_START_ORDER),
        ([{"path": "app.py", "start_line": 4, "line": 4, "body": "x"}], {}, MSG_START_ORDER),
        ([{"path": "app.py", "position": 40, "body": "x"}], {}, MSG_HUNK_BLANK),
        ([{"path": "app.py", "body": "x"}], {}, MSG_HUNK_BLANK),
        ([], {"body": None}, MSG_BODY_BLANK),
        ([], {"body": "  ", "event": "REQUEST_CHANGES"}, MSG_BODY_BLANK),
        ([{"path": "app.py", "line": 4, "body": "x"}], {"body": ""}, MSG_BODY_BLANK),
    ],
)
def test_invalid_review_is_rejected_whole(
    github: FakeGitHub,
    small: PullState,
    comments: list[dict[str, Any]],
    kw: dict[str, Any],
    message: str,
) -> None:
    good = {"path": "app.py", "line": 4, "body": "fine"}
    with pytest.raises(GithubException) as err:
        post_review(github, [good, *comments], **kw)
    assert err.value.status == 422
    assert err.value.data == {
        "message": "Unprocessable Entity",
        "errors": [message],
        "documentation_url": "https://docs.github.com/rest/pulls/reviews#create-a-review-for-a-pull-request",
        "status": "422",
    }
    assert github.reviews == [] and github.review_comments == []
    assert github.rejected == [(422, err.value.data)]


def test_several_bad_comments_join_their_messages(github: FakeGitHub, small: PullState) -> None:
    with pytest.raises(GithubException) as err:
        post_review(
            github,
            [
                {"path": "app.py", "line": 12, "body": "x"},
                {"path": "nope.py", "line": 1, "body": "x"},
                {"path": "app.py", "line": 13, "body": "x"},
            ],
        )
    assert err.value.data["errors"] == [f"{MSG_LINE} and {MSG_PATH}"]
    assert github.reviews == []


def test_commit_outside_the_pull_is_rejected(github: FakeGitHub, small: PullState) -> None:
    with pytest.raises(GithubException) as err:
        post_review(github, [], sha="0" * 40)  # the base commit exists but is not the PR's
    assert err.value.status == 422 and err.value.data["errors"] == [MSG_COMMIT]
    with pytest.raises(GithubException) as err:
        client(github).get_repo(REPO).get_commit("f" * 40)
    assert err.value.status == 422
    assert err.value.data["message"] == f"No commit found for SHA: {'f' * 40}"


@pytest.mark.parametrize(
    ("field_name", "resource"),
    [("review", "PullRequestReview"), ("comment", "PullRequestReviewComment")],
)
def test_bodies_over_65536_characters(
    github: FakeGitHub, small: PullState, field_name: str, resource: str
) -> None:
    long = "é" * 65537
    comment = {"path": "app.py", "line": 4, "body": long if field_name == "comment" else "ok"}
    with pytest.raises(GithubException) as err:
        post_review(github, [comment], body=long if field_name == "review" else "ok")
    assert err.value.status == 422 and err.value.data["message"] == "Validation Failed"
    assert err.value.data["errors"] == [
        {
            "resource": resource,
            "code": "custom",
            "field": "body",
            "message": "body is too long (maximum is 65536 characters)",
        }
    ]
    post_review(github, [{"path": "app.py", "line": 4, "body": "é" * 65536}], body="é" * 65536)
    assert len(github.reviews) == 1


def test_deprecated_position_is_resolved_to_a_line(github: FakeGitHub, small: PullState) -> None:
    post_review(
        github,
        [
            {"path": "app.py", "position": 14, "body": "removed line"},
            {"path": "app.py", "position": 13, "body": "context line"},
        ],
    )
    got = [(c["line"], c["side"], c["position"]) for c in github.review_comments]
    assert got == [(23, "LEFT", 14), (23, "RIGHT", 13)]


def test_approve_is_recorded_so_bot_tests_can_forbid_it(
    github: FakeGitHub, small: PullState
) -> None:
    review = post_review(github, [], event="APPROVE", body=None)
    assert review.state == "APPROVED"
    assert [r["state"] for r in github.reviews] == ["APPROVED"]


def test_approve_refusals(github: FakeGitHub, small: PullState) -> None:
    github.actions_can_approve = False
    with pytest.raises(GithubException) as err:
        post_review(github, [], event="APPROVE")
    assert err.value.data["errors"] == [MSG_ACTIONS_APPROVE]
    github.add_pull(REPO, 9, SMALL_DIFF, author="github-actions[bot]")
    with pytest.raises(GithubException) as err:
        client(github).get_repo(REPO).get_pull(9).create_review(body="no", event="REQUEST_CHANGES")
    assert err.value.data["errors"] == ["Review Can not request changes on your own pull request"]
    assert github.reviews == []


def test_one_pending_review_per_user(github: FakeGitHub, small: PullState) -> None:
    pending = post_review(github, [{"path": "app.py", "line": 4, "body": "draft"}], event=None)
    assert pending.state == "PENDING" and github.reviews[0].get("submitted_at") is None
    with pytest.raises(GithubException) as err:
        post_review(github, [], body="final")
    assert err.value.data["errors"] == [MSG_PENDING]
    other = github.add_review(REPO, 7, login="octocat", body="looks fine")
    assert other["state"] == "COMMENTED"
    pending.delete()
    assert [r["id"] for r in github.reviews] == [other["id"]] and github.review_comments == []
    post_review(github, [], body="final")
    assert len(github.reviews) == 2


def test_pending_review_is_hidden_from_other_users() -> None:
    tokens = {"ghs_bot": "write", "ghp_alice": "write"}
    with FakeGitHub(tokens=tokens, token_users={"ghp_alice": "alice"}) as github:
        github.add_pull(REPO, 7, SMALL_DIFF, head_sha=HEAD)
        github.add_review(
            REPO,
            7,
            login="github-actions[bot]",
            event=None,
            comments=[{"path": "app.py", "line": 4, "body": "draft"}],
        )
        mine = client(github, "ghs_bot").get_repo(REPO).get_pull(7)
        theirs = client(github, "ghp_alice").get_repo(REPO).get_pull(7)
        assert [r.state for r in mine.get_reviews()] == ["PENDING"]
        assert list(theirs.get_reviews()) == [] and list(theirs.get_review_comments()) == []


def test_review_body_can_be_edited(github: FakeGitHub, small: PullState) -> None:
    review = post_review(github, [], body="first")
    review.edit("second")
    assert github.reviews[0]["body"] == "second"
    assert github.requests[-1].method == "PUT" and github.requests[-1].json == {"body": "second"}


# ------------------------------------------------------------------------- single comments


def test_single_review_comment(github: FakeGitHub, small: PullState) -> None:
    gh = client(github)
    pr = gh.get_repo(REPO).get_pull(7)
    commit = gh.get_repo(REPO).get_commit(HEAD)
    made = pr.create_review_comment("one", commit, "app.py", line=5, side="RIGHT", start_line=4)
    assert (made.line, made.start_line, made.path) == (5, 4, "app.py")
    assert github.requests[-1].status == 201
    assert github.reviews[0]["state"] == "COMMENTED" and github.reviews[0]["body"] == ""
    reply = pr.create_review_comment_reply(made.id, "reply")
    assert reply.in_reply_to_id == made.id and reply.line == 5
    with pytest.raises(GithubException) as err:
        pr.create_review_comment("two", commit, "app.py", line=12)
    assert err.value.status == 422
    assert err.value.data["message"] == "Validation Failed"
    assert err.value.data["errors"] == [
        {
            "resource": "PullRequestReviewComment",
            "code": "custom",
            "field": "pull_request_review_thread.line",
            "message": "could not be resolved",
        }
    ]


def test_create_comment_sends_its_position_as_line(github: FakeGitHub, small: PullState) -> None:
    gh = client(github)
    pr = gh.get_repo(REPO).get_pull(7)
    with pytest.raises(GithubException):
        pr.create_comment("legacy", gh.get_repo(REPO).get_commit(HEAD), "app.py", 13)
    assert github.requests[-1].json["line"] == 13 and "position" not in github.requests[-1].json
    assert github.requests[-1].status == 422  # line 13 is not in the diff; position 13 would be


# ------------------------------------------------------------------------- issue comments


def test_issue_comments_create_list_edit(github: FakeGitHub, small: PullState) -> None:
    pr = client(github).get_repo(REPO).get_pull(7)
    for i in range(35):
        github.add_issue_comment(REPO, 7, f"human {i}")
    made = pr.create_issue_comment("summary")
    assert made.user.login == "github-actions[bot]" and github.requests[-1].status == 201
    listed = list(pr.get_issue_comments())
    assert len(listed) == 36 and listed[-1].body == "summary"
    made.edit("summary v2")
    assert github.requests[-1].method == "PATCH"
    assert github.issue_comments[-1]["body"] == "summary v2"
    with pytest.raises(GithubException) as err:
        pr.create_issue_comment("x" * 65537)
    assert err.value.data["errors"] == [
        {
            "resource": "IssueComment",
            "code": "unprocessable",
            "field": "data",
            "message": "Body is too long (maximum is 65536 characters)",
        }
    ]


# ------------------------------------------------------------------------- pushes


def test_push_moves_or_outdates_comments_and_old_commits_still_validate(
    github: FakeGitHub, small: PullState
) -> None:
    post_review(
        github,
        [
            {"path": "app.py", "line": 4, "body": "stays"},
            {"path": "app.py", "line": 24, "body": "goes"},
        ],
    )
    new_diff = SMALL_DIFF.split("@@ -20,6")[0]
    new_diff += new_files_diff(1).replace("pkg/f0000.txt", "new.py")
    github.push(REPO, 7, new_diff, head_sha="2" * 40)
    kept, gone = github.review_comments
    assert (kept["line"], kept["commit_id"], kept["original_commit_id"]) == (4, "2" * 40, HEAD)
    assert (gone["line"], gone["position"], gone["original_line"]) == (None, None, 24)
    pr = client(github).get_repo(REPO).get_pull(7)
    assert pr.head.sha == "2" * 40
    assert sorted(f.filename for f in pr.get_files()) == ["app.py", "new.py"]
    post_review(github, [{"path": "app.py", "line": 24, "body": "on the old commit"}], sha=HEAD)
    assert github.review_comments[-1]["line"] is None
    with pytest.raises(GithubException) as err:
        post_review(
            github, [{"path": "app.py", "line": 24, "body": "on the new commit"}], sha="2" * 40
        )
    assert err.value.data["errors"] == [MSG_LINE]


# ------------------------------------------------------------------------- faults and retries


def test_502_after_commit_without_retry(github: FakeGitHub, small: PullState) -> None:
    github.fail_next("POST", r"/pulls/7/reviews$", status=502, after_commit=True)
    with pytest.raises(GithubException) as err:
        post_review(github, [])
    assert err.value.status == 502
    assert len(github.reviews) == 1  # stored although the client saw an error


def test_pygithub_default_retry_duplicates_a_review(github: FakeGitHub, small: PullState) -> None:
    github.fail_next("POST", r"/pulls/7/reviews$", status=502, after_commit=True)
    gh = client(github, retry=GithubRetry(total=3, secondary_rate_wait=0))
    repo = gh.get_repo(REPO)
    repo.get_pull(7).create_review(commit=repo.get_commit(HEAD), body="once", event="COMMENT")
    posts = [r.status for r in github.requests if r.method == "POST"]
    assert posts == [502, 200]
    assert [r["body"] for r in github.reviews] == ["once", "once"]


def test_secondary_rate_limit_with_retry_after(github: FakeGitHub, small: PullState) -> None:
    github.fail_secondary_rate_limit("POST", r"/reviews$", retry_after=1)
    with pytest.raises(RateLimitExceededException) as err:
        post_review(github, [])
    assert err.value.status == 403 and (err.value.headers or {})["retry-after"] == "1"
    assert err.value.data["message"].startswith("You have exceeded a secondary rate limit")
    assert github.reviews == []

    github.fail_secondary_rate_limit("POST", r"/reviews$", retry_after=1)
    gh = client(github, retry=GithubRetry(total=2, secondary_rate_wait=0))
    repo = gh.get_repo(REPO)
    started = time.monotonic()
    repo.get_pull(7).create_review(commit=repo.get_commit(HEAD), body="later", event="COMMENT")
    assert time.monotonic() - started >= 1.0  # urllib3 honours Retry-After
    assert [r["body"] for r in github.reviews] == ["later"]


def test_secondary_rate_limit_without_retry_after_uses_secondary_rate_wait(
    github: FakeGitHub, small: PullState
) -> None:
    github.fail_secondary_rate_limit("POST", r"/reviews$", retry_after=None, times=2)
    gh = client(github, retry=GithubRetry(total=3, secondary_rate_wait=0.05))
    repo = gh.get_repo(REPO)
    started = time.monotonic()
    repo.get_pull(7).create_review(commit=repo.get_commit(HEAD), body="b", event="COMMENT")
    assert time.monotonic() - started < 2  # the default secondary_rate_wait would be 60 s each
    assert [r.status for r in github.requests if r.method == "POST"] == [403, 403, 200]


def test_fault_on_a_get_and_custom_body(github: FakeGitHub, small: PullState) -> None:
    github.fail_next("GET", r"/pulls/7$", status=404, body={"message": "Not Found"}, times=2)
    gh = client(github)
    repo = gh.get_repo(REPO)
    for _ in range(2):
        with pytest.raises(UnknownObjectException):
            repo.get_pull(7)
    assert repo.get_pull(7).number == 7


# ------------------------------------------------------------------------- the rest of the API


def test_other_calls_a_bot_makes(github: FakeGitHub, small: PullState) -> None:
    gh = client(github)
    repo = gh.get_repo(REPO)
    pr = repo.get_pull(7)
    assert [c.sha for c in pr.get_commits()] == [HEAD]
    assert pr.as_issue().number == 7 and pr.as_issue().pull_request is not None
    commit = repo.get_commit(HEAD)
    assert [f.filename for f in commit.files] == ["app.py", "logo.png"]

    made = pr.create_review_comment("whole file", commit, "logo.png", subject_type="file")
    assert made.subject_type == "file" and made.path == "logo.png"
    assert github.review_comments[0]["line"] is None
    fetched = pr.get_review_comment(made.id)
    fetched.edit("whole file, edited")
    assert github.review_comments[0]["body"] == "whole file, edited"
    fetched.delete()
    assert github.review_comments == [] and github.requests[-1].status == 204

    note = pr.create_issue_comment("note")
    note.delete()
    assert github.issue_comments == []


def test_pending_review_can_be_submitted(github: FakeGitHub, small: PullState) -> None:
    draft = [{"path": "app.py", "line": 4, "body": "draft"}]
    pending = post_review(github, draft, event=None, body=None)
    pr = client(github).get_repo(REPO).get_pull(7)
    with pytest.raises(GithubException) as err:
        pr._requester.requestJsonAndCheck(
            "POST", f"{pr.url}/reviews/{pending.id}/events", input={"event": "COMMENT"}
        )
    assert err.value.data["errors"] == [MSG_BODY_BLANK]
    _, data = pr._requester.requestJsonAndCheck(
        "POST",
        f"{pr.url}/reviews/{pending.id}/events",
        input={"event": "COMMENT", "body": "done"},
    )
    assert data["state"] == "COMMENTED" and github.reviews[0]["submitted_at"]
    assert [c.body for c in pr.get_review_comments()] == ["draft"]


def test_malformed_requests(github: FakeGitHub, small: PullState) -> None:
    url = f"{github.api_url}/repos/{REPO}/pulls/7/reviews"
    req = urllib.request.Request(
        url, data=b"{not json", method="POST", headers={"Authorization": f"token {TOKEN}"}
    )
    with pytest.raises(urllib.error.HTTPError) as http_err:
        urllib.request.urlopen(req, timeout=5)
    assert http_err.value.code == 400
    assert json.loads(http_err.value.read())["message"] == "Problems parsing JSON"
    with pytest.raises(GithubException) as err:
        post_review(github, [{"path": "app.py", "line": 4, "side": "MIDDLE", "body": "x"}])
    assert err.value.status == 422 and err.value.data["message"].startswith("Invalid request.")
    with pytest.raises(GithubException) as err:
        post_review(github, [{"path": "app.py", "line": "4", "body": "x"}])
    assert err.value.status == 422
    with pytest.raises(GithubException) as err:
        post_review(github, [], event="DISMISS")
    assert err.value.status == 422
    assert github.reviews == [] and [status for status, _ in github.rejected] == [
        400,
        422,
        422,
        422,
    ]


def test_primary_rate_limit_and_long_raw_diffs(github: FakeGitHub, small: PullState) -> None:
    github.max_diff_lines = 10
    with pytest.raises(urllib.error.HTTPError) as http_err:
        raw_get(github, f"/repos/{REPO}/pulls/7", accept="application/vnd.github.v3.diff")
    assert http_err.value.code == 406
    assert "maximum number of lines (10)" in json.loads(http_err.value.read())["message"]
    github.rate_remaining = 0
    with pytest.raises(RateLimitExceededException) as err:
        client(github).get_repo(REPO)
    assert err.value.data["message"].startswith("API rate limit exceeded")


def test_text_that_is_not_a_git_diff_is_refused() -> None:
    with pytest.raises(DiffError):
        parse_diff("--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n")
    with pytest.raises(DiffError):
        parse_diff("diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n-a\n+b\n")
    assert parse_diff("") == []


def test_only_approvals_and_change_requests_can_be_dismissed(
    github: FakeGitHub, small: PullState
) -> None:
    pr = client(github).get_repo(REPO).get_pull(7)
    commit = pr.base.repo.get_commit(HEAD)
    comment = pr.create_review(commit=commit, body="note", event="COMMENT")
    with pytest.raises(GithubException) as refused:
        comment.dismiss("no")
    assert refused.value.status == 422
    assert "Can not dismiss a commented pull request review" in json.dumps(refused.value.data)
    blocking = pr.create_review(commit=commit, body="fix this", event="REQUEST_CHANGES")
    blocking.dismiss("fixed")
    assert pr.get_review(blocking.id).state == "DISMISSED"
