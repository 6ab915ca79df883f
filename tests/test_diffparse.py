"""Parsing real `git diff -M` output (made in temporary repositories) into the diff model."""

from __future__ import annotations

import random
import shutil
import subprocess
from pathlib import Path

import pytest
from gitrepo import GitRepo
from shared_dir import SHARED_DIFFS

from reviewbot import unidiff_adapter
from reviewbot.diffmodel import Diff, FileDiff, FileStatus, Hunk, LineKind
from reviewbot.diffparse import DiffParseError, file_as_diff, parse_diff, unquote_git_path

shared = pytest.mark.skipif(not SHARED_DIFFS.is_dir(), reason="../shared/diffs is not here")
needs_diff = pytest.mark.skipif(shutil.which("diff") is None, reason="no `diff` program")


def split_lines(content: str) -> list[str]:
    """A file's lines as git numbers them: split at LF only, CR of a CRLF dropped."""
    lines = content.split("\n")
    if lines[-1] == "":
        lines.pop()
    return [ln.removesuffix("\r") for ln in lines]


def assert_consecutive(hunk: Hunk) -> None:
    old = [ln.old_no for ln in hunk.lines if ln.old_no is not None]
    new = [ln.new_no for ln in hunk.lines if ln.new_no is not None]
    assert old == list(range(hunk.old_start, hunk.old_start + hunk.old_count))
    assert new == list(range(hunk.new_start, hunk.new_start + hunk.new_count))


def assert_matches_files(file: FileDiff, old: str | None, new: str | None) -> None:
    """Every numbered line of the diff is the line with that number in the real file."""
    old_lines = split_lines(old) if old is not None else []
    new_lines = split_lines(new) if new is not None else []
    for hunk in file.hunks:
        assert_consecutive(hunk)
        for ln in hunk.lines:
            if ln.old_no is not None:
                assert old_lines[ln.old_no - 1] == ln.text, (ln, "old side")
            if ln.new_no is not None:
                assert new_lines[ln.new_no - 1] == ln.text, (ln, "new side")
    assert file.added_count + sum(
        1 for h in file.hunks for ln in h.lines if ln.kind is LineKind.CONTEXT
    ) == sum(h.new_count for h in file.hunks)


def only(diff: Diff) -> FileDiff:
    assert len(diff.files) == 1, [f.path for f in diff.files]
    return diff.files[0]


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    return GitRepo(tmp_path / "repo")


def numbered(n: int, tag: str = "line") -> str:
    return "".join(f"{tag} {i}\n" for i in range(1, n + 1))


# -- one file, many shapes ----------------------------------------------------------------


def test_modified_file_with_several_hunks(repo: GitRepo) -> None:
    old = numbered(80)
    repo.write("src/app.py", old)
    repo.commit("base")
    lines = old.splitlines(keepends=True)
    lines[4] = "changed 5\n"
    lines[30:33] = []
    lines.insert(60, "inserted\n")
    lines.insert(60, "inserted too\n")
    lines[-1] = "last changed\n"
    new = "".join(lines)
    repo.write("src/app.py", new)

    text = repo.diff()
    file = only(parse_diff(text))
    assert (file.path, file.old_path, file.status) == (
        "src/app.py",
        "src/app.py",
        FileStatus.MODIFIED,
    )
    assert (file.old_mode, file.new_mode, file.is_binary) == ("100644", "100644", False)
    headers = [ln for ln in text.splitlines() if ln.startswith("@@")]
    assert len(file.hunks) == len(headers) == 4
    for hunk, header in zip(file.hunks, headers, strict=True):
        assert header.startswith(
            f"@@ -{hunk.old_start},{hunk.old_count} +{hunk.new_start},{hunk.new_count} @@"
        )
    assert (file.added_count, file.removed_count) == (4, 5)
    assert_matches_files(file, old, new)


def test_section_header_is_kept(repo: GitRepo) -> None:
    body = "def first():\n" + numbered(20, "    x =") + "def second():\n" + numbered(20, "    y =")
    repo.write("m.py", body)
    repo.commit()
    repo.write("m.py", body.replace("    y = 15\n", "    y = 'fifteen'\n"))
    hunk = only(parse_diff(repo.diff())).hunks[0]
    assert hunk.section == "def second():"


def test_rename_without_changes_has_no_hunks(repo: GitRepo) -> None:
    repo.write("old/name.py", numbered(10))
    repo.commit()
    repo.move("old/name.py", "new/name.py")
    file = only(parse_diff(repo.diff()))
    assert (file.path, file.old_path, file.status) == (
        "new/name.py",
        "old/name.py",
        FileStatus.RENAMED,
    )
    assert file.hunks == []


def test_rename_with_edits(repo: GitRepo) -> None:
    old = numbered(40)
    repo.write("lib/a.py", old)
    repo.commit()
    repo.remove("lib/a.py")
    new = old.replace("line 20\n", "line twenty\n")
    repo.write("lib/b.py", new)
    file = only(parse_diff(repo.diff()))
    assert (file.path, file.old_path, file.status) == ("lib/b.py", "lib/a.py", FileStatus.RENAMED)
    assert (file.added_count, file.removed_count) == (1, 1)
    assert_matches_files(file, old, new)


def test_copies_when_git_reports_them(repo: GitRepo) -> None:
    old = numbered(30)
    repo.write("orig.txt", old)
    repo.commit()
    new = old + "extra\n"
    repo.write("copy.txt", new)
    files = parse_diff(repo.diff("-C", "--find-copies-harder")).files
    file = next(f for f in files if f.path == "copy.txt")
    assert (file.old_path, file.status) == ("orig.txt", FileStatus.COPIED)
    assert_matches_files(file, old, new)


def test_deleted_file(repo: GitRepo) -> None:
    old = numbered(7)
    repo.write("gone.py", old)
    repo.commit()
    repo.remove("gone.py")
    file = only(parse_diff(repo.diff()))
    assert (file.path, file.old_path, file.status) == ("gone.py", "gone.py", FileStatus.DELETED)
    assert (file.old_mode, file.new_mode) == ("100644", None)
    assert (file.added_count, file.removed_count) == (0, 7)
    assert parse_diff(repo.diff()).file("gone.py") == file
    assert_matches_files(file, old, None)


def test_new_empty_file_has_no_hunks(repo: GitRepo) -> None:
    repo.commit("root")
    repo.write("empty.txt", "")
    file = only(parse_diff(repo.diff()))
    assert (file.path, file.old_path, file.status) == ("empty.txt", None, FileStatus.ADDED)
    assert (file.hunks, file.new_mode) == ([], "100644")


def test_new_file(repo: GitRepo) -> None:
    repo.commit("root")
    new = numbered(5)
    repo.write("dir/new.py", new)
    file = only(parse_diff(repo.diff()))
    assert (file.path, file.old_path, file.status) == ("dir/new.py", None, FileStatus.ADDED)
    assert file.hunks[0].old_start == file.hunks[0].old_count == 0
    assert_matches_files(file, None, new)


def test_binary_change_and_new_binary(repo: GitRepo) -> None:
    repo.write("img.bin", b"\x00\x01\x02binary")
    repo.commit()
    repo.write("img.bin", b"\x00\x01\x03binary")
    repo.write("new.bin", b"\x00\xff")
    diff = parse_diff(repo.diff())
    changed, added = diff.file("img.bin"), diff.file("new.bin")
    assert changed is not None and added is not None
    assert (changed.is_binary, changed.status, changed.hunks) == (True, FileStatus.MODIFIED, [])
    assert (added.is_binary, added.status, added.old_path) == (True, FileStatus.ADDED, None)


def test_binary_patch_is_skipped_over(repo: GitRepo) -> None:
    repo.write("img.bin", b"\x00" * 100)
    repo.write("after.txt", "a\n")
    repo.commit()
    repo.write("img.bin", b"\x00" * 50 + b"\x01" * 50)
    repo.write("after.txt", "b\n")
    diff = parse_diff(repo.diff("--binary"))
    assert [(f.path, f.is_binary) for f in diff.files] == [("after.txt", False), ("img.bin", True)]
    assert diff.files[0].added_count == 1


def test_mode_only_change(repo: GitRepo) -> None:
    repo.write("run.sh", "echo hi\n")
    repo.commit()
    repo.chmod("run.sh", 0o755)
    file = only(parse_diff(repo.diff()))
    assert (file.path, file.status, file.hunks) == ("run.sh", FileStatus.MODIFIED, [])
    assert (file.old_mode, file.new_mode) == ("100644", "100755")


def test_mode_change_with_edit(repo: GitRepo) -> None:
    repo.write("run.sh", "echo hi\n")
    repo.commit()
    repo.write("run.sh", "echo bye\n")
    repo.chmod("run.sh", 0o755)
    file = only(parse_diff(repo.diff()))
    assert (file.old_mode, file.new_mode, file.added_count) == ("100644", "100755", 1)


def test_symlink_replaced_by_file_is_two_blocks(repo: GitRepo) -> None:
    repo.write("target.txt", "t\n")
    repo.symlink("link", "target.txt")
    repo.commit()
    repo.remove("link")
    repo.write("link", "now a real file\n")
    diff = parse_diff(repo.diff())
    blocks = [f for f in diff.files if f.path == "link"]
    assert [f.status for f in blocks] == [FileStatus.DELETED, FileStatus.ADDED]
    assert blocks[0].old_mode == "120000"
    found = diff.file("link")
    assert found is blocks[1]
    assert found.new_side_lines() == {1: "now a real file"}


def test_file_replaced_by_symlink(repo: GitRepo) -> None:
    repo.write("thing", "content\n")
    repo.commit()
    repo.remove("thing")
    repo.symlink("thing", "elsewhere")
    diff = parse_diff(repo.diff())
    found = diff.file("thing")
    assert found is not None
    assert (found.status, found.new_mode) == (FileStatus.ADDED, "120000")
    assert found.new_side_lines() == {1: "elsewhere"}


def test_diff_file_returns_none_for_unknown_path(repo: GitRepo) -> None:
    repo.write("a.txt", "a\n")
    assert parse_diff(repo.diff()).file("b.txt") is None


def test_crlf_content(repo: GitRepo) -> None:
    old = "one\r\ntwo\r\nthree\r\nfour\r\n"
    new = "one\r\n2\r\nthree\r\nfour\r\nfive\r\n"
    repo.write("win.txt", old)
    repo.commit()
    repo.write("win.txt", new)
    text = repo.diff()
    assert "\r\n" in text
    file = only(parse_diff(text))
    assert all(not ln.text.endswith("\r") for h in file.hunks for ln in h.lines)
    assert file.new_side_lines() == {1: "one", 2: "2", 3: "three", 4: "four", 5: "five"}
    assert_matches_files(file, old, new)


def test_diff_with_crlf_line_endings_throughout(repo: GitRepo) -> None:
    repo.write("a.txt", "x\ny\n")
    repo.commit()
    repo.write("a.txt", "x\nz\n")
    file = only(parse_diff(repo.diff().replace("\n", "\r\n")))
    assert (file.path, file.old_mode) == ("a.txt", "100644")
    assert file.new_side_lines() == {1: "x", 2: "z"}


@pytest.mark.parametrize(
    ("old", "new"),
    [("a\nb", "a\nc"), ("a\nb", "a\nb\n"), ("a\nb\n", "a\nb"), ("a\nb\nc", "a\nB\nc")],
    ids=["both", "old-side", "new-side", "middle-change"],
)
def test_no_newline_at_end_of_file(repo: GitRepo, old: str, new: str) -> None:
    repo.write("f.txt", old)
    repo.commit()
    repo.write("f.txt", new)
    text = repo.diff()
    assert "\\ No newline at end of file" in text
    file = only(parse_diff(text))
    assert all(not ln.text.startswith(" No newline") for h in file.hunks for ln in h.lines)
    assert_matches_files(file, old, new)
    # Patch tools take any line starting with a backslash as the marker.
    assert parse_diff(text.replace("No newline at end of file", "Kein Zeilenumbruch")) == (
        parse_diff(text)
    )


@pytest.mark.parametrize("name", ["my file.txt", "dir with space/x y.py", "a b/c d", "x b/y"])
def test_paths_with_spaces(repo: GitRepo, name: str) -> None:
    repo.write(name, "1\n")
    repo.commit()
    repo.write(name, "2\n")
    text = repo.diff()
    assert f"--- a/{name}\t" in text
    file = only(parse_diff(text))
    assert (file.path, file.old_path, file.status) == (name, name, FileStatus.MODIFIED)


def test_rename_and_mode_change_with_spaces(repo: GitRepo) -> None:
    repo.write("old dir/a b.sh", numbered(10))
    repo.write("keep me.sh", "x\n")
    repo.commit()
    repo.move("old dir/a b.sh", "new dir/a b.sh")
    repo.chmod("keep me.sh", 0o755)
    diff = parse_diff(repo.diff())
    renamed, mode = diff.file("new dir/a b.sh"), diff.file("keep me.sh")
    assert renamed is not None and mode is not None
    assert (renamed.old_path, renamed.status) == ("old dir/a b.sh", FileStatus.RENAMED)
    assert (mode.old_mode, mode.new_mode, mode.status) == ("100644", "100755", FileStatus.MODIFIED)


def test_non_ascii_paths_everywhere(repo: GitRepo) -> None:
    repo.write("文件.py", "x\n")
    repo.write("日本/ö.txt", "q\n")
    repo.write("schön.sh", "s\n")
    repo.write("données.txt", "d\n")
    repo.commit()
    repo.move("文件.py", "新文件.py")  # rename only: paths only on quoted rename lines
    repo.move("日本/ö.txt", "日本/ü.txt")  # rename with edit: quoted ---/+++ too
    repo.write("日本/ü.txt", "q\nr\n")
    repo.chmod("schön.sh", 0o755)  # mode only: path only on the quoted `diff --git` line
    repo.write("données.txt", "e\n")
    repo.write("空.txt", "")  # new empty file: `diff --git` line only
    text = repo.diff()
    assert 'rename from "\\346\\226\\207\\344\\273\\266.py"' in text
    diff = parse_diff(text)
    by_path = {f.path: f for f in diff.files}
    assert set(by_path) == {"新文件.py", "日本/ü.txt", "schön.sh", "données.txt", "空.txt"}
    assert (by_path["新文件.py"].old_path, by_path["新文件.py"].status) == (
        "文件.py",
        FileStatus.RENAMED,
    )
    assert by_path["日本/ü.txt"].old_path == "日本/ö.txt"
    assert by_path["日本/ü.txt"].new_side_lines() == {1: "q", 2: "r"}
    assert (by_path["schön.sh"].old_mode, by_path["schön.sh"].new_mode) == ("100644", "100755")
    assert by_path["données.txt"].added_count == 1
    assert (by_path["空.txt"].status, by_path["空.txt"].hunks) == (FileStatus.ADDED, [])


def test_unquoted_non_ascii_paths(repo: GitRepo) -> None:
    repo.run("config", "core.quotepath", "false")
    repo.write("目录/文件 名.py", "a\n")
    repo.commit()
    repo.write("目录/文件 名.py", "b\n")
    file = only(parse_diff(repo.diff()))
    assert file.path == "目录/文件 名.py"


def test_lines_that_look_like_headers(repo: GitRepo) -> None:
    old = "-- a/x\nkeep\n--- not a header\n"
    new = "++ b/x\nkeep\n+++ still not\n@@ -1 +1 @@\ndiff --git a/q b/q\n"
    repo.write("tricky.txt", old)
    repo.write("z.txt", "z\n")
    repo.commit()
    repo.write("tricky.txt", new)
    repo.write("z.txt", "zz\n")
    text = repo.diff()
    assert "\n--- a/x\n" in text and "\n+++ b/x\n" in text
    diff = parse_diff(text)
    assert [f.path for f in diff.files] == ["tricky.txt", "z.txt"]
    file = diff.files[0]
    assert (file.added_count, file.removed_count) == (4, 2)
    assert_matches_files(file, old, new)


def test_empty_diff() -> None:
    assert parse_diff("").files == []
    assert parse_diff("  \n\n").files == []


@pytest.mark.parametrize(
    "text",
    [
        "hello world",
        "just some\nprose that is\nnot a diff\n",
        "@@ -1 +1 @@\n-a\n+b\n",
        "diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1,3 +1,3 @@\n-a\n+b\n",
        "diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n?b\n",
        "diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n+c\n",
        "diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@ \n-a\n+b\n@@ -x +y @@\n",
        "diff --cc f.py\nindex 1,2..3\n--- a/f.py\n+++ b/f.py\n@@@ -1,1 -1,1 +1,1 @@@\n",
    ],
    ids=[
        "one-line",
        "prose",
        "no-file-header",
        "truncated",
        "bad-line",
        "overlong-hunk",
        "bad-hunk-header",
        "combined",
    ],
)
def test_garbage_is_a_one_line_error(text: str) -> None:
    with pytest.raises(DiffParseError) as info:
        parse_diff(text)
    message = str(info.value)
    assert message and "\n" not in message


def test_colored_diff(repo: GitRepo) -> None:
    repo.write("a.py", "x = 1\n")
    repo.commit()
    repo.write("a.py", "x = 2\n")
    colored = repo.diff("--color=always")
    assert "\x1b[" in colored
    assert parse_diff(colored) == parse_diff(repo.diff())


def test_diff_without_trailing_newline(repo: GitRepo) -> None:
    repo.write("a.txt", "1\n2\n")
    repo.write("b.txt", "x\n")
    repo.commit()
    repo.write("a.txt", "1\n3\n")
    repo.write("b.txt", "y\n")
    text = repo.diff()
    assert parse_diff(text.rstrip("\n")) == parse_diff(text)


def test_text_around_the_diff_is_ignored(repo: GitRepo) -> None:
    repo.write("a.py", numbered(5))
    repo.commit()
    repo.write("a.py", numbered(6))
    repo.write("b.py", "new\n")
    plain = parse_diff(repo.diff())
    repo.commit("subject line\n\n--- a/fake\n+++ b/fake\nbody")
    for text in (
        repo.run("format-patch", "-1", "--stdout", "-M"),
        repo.run("log", "-1", "-p", "-M"),
        repo.run("show", "--stat", "-p", "-M"),
    ):
        assert parse_diff(text) == plain


@needs_diff
def test_plain_recursive_diff(tmp_path: Path) -> None:
    for side, body in (("old", numbered(6)), ("new", numbered(6).replace("line 3", "three"))):
        (tmp_path / side / "src").mkdir(parents=True)
        (tmp_path / side / "src" / "x.c").write_text(body)
    (tmp_path / "new" / "src" / "added.c").write_text("int a;\n")
    (tmp_path / "old" / "gone.c").write_text("int g;\n")
    text = subprocess.run(
        ["diff", "-ruN", "old", "new"], cwd=tmp_path, capture_output=True, text=True, check=False
    ).stdout
    diff = parse_diff(text)
    by_path = {f.path: f for f in diff.files}
    assert set(by_path) == {"src/x.c", "src/added.c", "gone.c"}
    assert by_path["src/x.c"].status is FileStatus.MODIFIED
    assert by_path["src/added.c"].status is FileStatus.ADDED
    assert by_path["gone.c"].status is FileStatus.DELETED
    assert_matches_files(by_path["src/x.c"], numbered(6), numbered(6).replace("line 3", "three"))


def test_plain_unified_diff_of_two_files() -> None:
    text = (
        "--- app.py.orig\t2024-05-01 10:00:00.000000000 +0200\n"
        "+++ app.py\t2024-05-01 10:05:00.000000000 +0200\n"
        "@@ -1,3 +1,4 @@\n a\n-b\n+B\n c\n+d\n"
    )
    file = only(parse_diff(text))
    assert (file.path, file.old_path, file.status) == ("app.py", "app.py.orig", FileStatus.MODIFIED)
    assert file.new_side_lines() == {1: "a", 2: "B", 3: "c", 4: "d"}


def test_empty_context_line_whose_space_was_stripped() -> None:
    text = "--- a/x\n+++ b/x\n@@ -1,3 +1,3 @@\n a\n\n-c\n+C\n"
    file = only(parse_diff(text))
    assert file.new_side_lines() == {1: "a", 2: "", 3: "C"}


def test_latin1_content_decoded_as_latin1(repo: GitRepo) -> None:
    old, new = b"caf\xe9\nna\xefve\n", b"caf\xe9 cr\xe8me\nna\xefve\n\xa9 2024\n"
    repo.write("legacy.txt", old)
    repo.commit()
    repo.write("legacy.txt", new)
    raw = repo.diff_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    file = only(parse_diff(raw.decode("latin-1")))
    assert file.new_side_lines()[1] == "café crème"
    assert_matches_files(file, old.decode("latin-1"), new.decode("latin-1"))


def test_unquote_git_path() -> None:
    assert unquote_git_path('"\\346\\226\\207\\344\\273\\266.py"') == "文件.py"
    assert unquote_git_path('"tab\\there \\"q\\" back\\\\slash"') == 'tab\there "q" back\\slash'
    assert unquote_git_path("plain name.txt") == "plain name.txt"


def test_file_as_diff_numbers_lines_like_git() -> None:
    file = file_as_diff("a.py", "one\r\ntwo\x0cstill two\nthree\u2028same line\n")
    assert file.new_side_lines() == {1: "one", 2: "two\x0cstill two", 3: "three\u2028same line"}
    assert (file.status, file.hunks[0].new_count) == (FileStatus.ADDED, 3)
    assert file_as_diff("empty.py", "").hunks == []
    assert file_as_diff("x.py", "no newline").new_side_lines() == {1: "no newline"}


# -- the shared real-world diffs ------------------------------------------------------------


def numstat(path: Path) -> list[tuple[str, str]]:
    """git's own per-file added/removed counts for a patch ("-" for binary files)."""
    out = subprocess.run(
        ["git", "apply", "--numstat", "-z", str(path)], capture_output=True, text=True, check=True
    ).stdout
    records = out.split("\0")
    counts = []
    i = 0
    while i < len(records) - 1:
        added, removed, name = records[i].split("\t")
        i += 3 if name == "" else 1  # a rename's two paths follow as their own records
        counts.append((added, removed))
    return counts


@shared
@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
@pytest.mark.parametrize(
    "name", sorted(p.name for p in SHARED_DIFFS.glob("*.diff")) if SHARED_DIFFS.is_dir() else []
)
def test_shared_diff_invariants(name: str) -> None:
    path = SHARED_DIFFS / name
    text = path.read_text(encoding="utf-8")
    diff = parse_diff(text)
    assert diff.files
    mine = [
        ("-", "-") if f.is_binary else (str(f.added_count), str(f.removed_count))
        for f in diff.files
    ]
    assert mine == numstat(path)
    raw_hunks = [ln for ln in text.split("\n") if ln.startswith("@@ -")]
    assert sum(len(f.hunks) for f in diff.files) == len(raw_hunks)
    for file in diff.files:
        for hunk in file.hunks:
            assert_consecutive(hunk)
            assert hunk.changed_count > 0
    assert len(diff.files) == text.count("\ndiff --git ") + text.startswith("diff --git ")


# -- random edits: numbers must always match the files git diffed -------------------------

TRICKY_LINES = [
    "-- a/x",
    "++ b/x",
    "--- a/y",
    "+++ b/y",
    "\\ No newline",
    "",
    " ",
    "@@ -1 +1 @@",
    "diff --git a/q b/q",
    "x = 1",
    "\tindent",
    "é ü 中文",
    "cr\r",
]


@pytest.mark.parametrize("seed", range(12))
def test_random_edits_round_trip(tmp_path: Path, seed: int) -> None:
    rnd = random.Random(seed)

    def content() -> str:
        lines = [
            rnd.choice(TRICKY_LINES) + str(rnd.randint(0, 3) if rnd.random() < 0.5 else "")
            for _ in range(rnd.randint(0, 40))
        ]
        newline = "\r\n" if rnd.random() < 0.2 else "\n"
        return newline.join(lines) + (newline if lines and rnd.random() < 0.7 else "")

    def edit(text: str) -> str:
        lines = text.split("\n")
        for _ in range(rnd.randint(1, 6)):
            at = rnd.randint(0, len(lines))
            if rnd.random() < 0.4 or not lines:
                lines.insert(at, rnd.choice(TRICKY_LINES))
            elif rnd.random() < 0.5:
                del lines[min(at, len(lines) - 1)]
            else:
                lines[min(at, len(lines) - 1)] = rnd.choice(TRICKY_LINES) + "!"
        return "\n".join(lines)

    repo = GitRepo(tmp_path)
    stems = ["a.txt", "sp ace.txt", "中.txt", "d/x b/y", 'q"uote']
    names = [f"{rnd.choice(stems)}{i}" for i in range(4)]
    old = {name: content() for name in names}
    for name, text in old.items():
        repo.write(name, text)
    repo.commit()
    new = {name: edit(text) for name, text in old.items()}
    for name, text in new.items():
        repo.write(name, text)
    for file in parse_diff(repo.diff(f"-U{rnd.choice([0, 1, 3])}")).files:
        assert_matches_files(file, old[file.path], new[file.path])


@shared
def test_unidiff_batches_do_not_change_the_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    """unidiff reads a large diff a batch of files at a time: any cut gives the same files."""
    text = (SHARED_DIFFS / "openai-python-big-bccad58696.diff").read_text(encoding="utf-8")
    whole = parse_diff(text)
    assert len(whole.files) > 10
    monkeypatch.setattr(unidiff_adapter, "_BATCH", 50)
    assert parse_diff(text) == whole
    monkeypatch.setattr(unidiff_adapter, "_BATCH", 1)
    assert parse_diff(text) == whole
