"""Differential tests: the parsed diff against git's own reading of the same change.

- every edge diff of ../shared/diffs/edge against its truth.jsonl (git's status, paths,
  added/removed, binary flag and modes per file);
- every real diff of ../shared/diffs against `git apply --numstat/--summary`;
- a change built with git in a temporary repository, rendered every way git can, against
  `git diff --raw/--numstat` and the files themselves.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from gitrepo import GitRepo
from shared_dir import EDGE_DIFFS, SHARED_DIFFS

from reviewbot.diffmodel import Diff, FileDiff, FileStatus, LineKind
from reviewbot.diffparse import parse_diff

LETTER = {
    FileStatus.ADDED: "A",
    FileStatus.MODIFIED: "M",
    FileStatus.DELETED: "D",
    FileStatus.RENAMED: "R",
    FileStatus.COPIED: "C",
}
needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def reading(file: FileDiff) -> dict[str, Any]:
    """A parsed file in truth.jsonl's terms."""
    status = LETTER[file.status]
    return {
        "status": status,
        "old": None if status == "A" else file.old_path,
        "new": None if status == "D" else file.path,
        "added": None if file.is_binary else file.added_count,
        "removed": None if file.is_binary else file.removed_count,
        "binary": file.is_binary,
    }


def edge_rows() -> list[dict[str, Any]]:
    truth = EDGE_DIFFS / "truth.jsonl"
    if not truth.is_file():
        return []
    return [json.loads(line) for line in truth.read_text(encoding="utf-8").splitlines()]


@pytest.mark.skipif(not EDGE_DIFFS.is_dir(), reason="../shared/diffs/edge is not here")
def test_every_edge_diff_reads_as_git_does() -> None:
    rows = edge_rows()
    assert len(rows) >= 457
    files = lines = 0
    for row in rows:
        text = (EDGE_DIFFS / row["file"]).read_text(encoding="utf-8", errors="surrogateescape")
        diff = parse_diff(text)
        keys = ("status", "old", "new", "added", "removed", "binary")
        truth = [{k: t[k] for k in keys} for t in row["truth"]]
        where = f"{row['file']} ({row['case']}, {row['render']})"
        assert [reading(f) for f in diff.files] == truth, where
        for file, expected in zip(diff.files, row["truth"], strict=True):
            # A 100% rename or copy has no index line: the diff does not carry its modes.
            if (
                file.old_mode is None
                and file.new_mode is None
                and file.status
                in (
                    FileStatus.RENAMED,
                    FileStatus.COPIED,
                )
            ):
                continue
            assert (file.old_mode, file.new_mode) == (
                expected["old_mode"],
                expected["new_mode"],
            ), where
            files += 1
        lines += diff.changed_count
    assert files > 500 and lines > 1500


# -- the real diffs: git apply's reading --------------------------------------------------

_BRACES = re.compile(r"(.*)\{(.*) => (.*)\}(.*)")


def _rename_paths(names: str) -> tuple[str, str]:
    """`git apply --summary`'s "dir/{a => b}/f" or "a => b" as (old, new)."""
    braces = _BRACES.fullmatch(names)
    if braces:
        head, old, new, tail = braces.groups()
        return (
            re.sub("//+", "/", f"{head}{old}{tail}"),
            re.sub("//+", "/", f"{head}{new}{tail}"),
        )
    old, _, new = names.partition(" => ")
    return old, new


def git_apply_reading(path: Path) -> list[dict[str, Any]]:
    """Per file, git apply's status, paths and counts of a patch (ASCII paths)."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "apply", *args, str(path)], capture_output=True, text=True, check=True
        ).stdout

    summary: dict[str, tuple[str, str | None]] = {}
    for line in git("--summary").splitlines():
        kind, _, rest = line.strip().partition(" ")
        if kind in ("create", "delete"):
            name = rest.split(" ", 2)[2]
            summary[name] = ("A" if kind == "create" else "D", None)
        elif kind in ("rename", "copy"):
            old, new = _rename_paths(rest.rsplit(" (", 1)[0])
            summary[new] = ("R" if kind == "rename" else "C", old)
    files = []
    for record in git("--numstat").splitlines():
        added, removed, name = record.split("\t")
        status, old = summary.get(name, ("M", name))
        binary = added == "-"
        files.append(
            {
                "status": status,
                "old": None if status == "A" else old if status in "RC" else name,
                "new": None if status == "D" else name,
                "added": None if binary else int(added),
                "removed": None if binary else int(removed),
                "binary": binary,
            }
        )
    return files


@pytest.mark.skipif(not SHARED_DIFFS.is_dir(), reason="../shared/diffs is not here")
@needs_git
def test_every_real_diff_reads_as_git_apply_does() -> None:
    paths = sorted(SHARED_DIFFS.glob("*.diff"))
    assert len(paths) >= 31
    for path in paths:
        diff = parse_diff(path.read_text(encoding="utf-8"))
        assert [reading(f) for f in diff.files] == git_apply_reading(path), path.name


# -- a change made with git, rendered every way ---------------------------------------------

RENDERINGS: list[tuple[str, ...]] = [
    (),
    ("-U0",),
    ("-U1",),
    ("--no-renames",),
    ("-C", "-C"),
    ("-c", "diff.noprefix=true"),
    ("-c", "diff.mnemonicPrefix=true"),
    ("--src-prefix=s/", "--dst-prefix=d/"),
    ("--src-prefix=old/", "--dst-prefix=new/"),
    ("-c", "core.quotepath=false"),
    ("-c", "diff.suppressBlankEmpty=true"),
]
ODD_NAMES = [
    "plain.txt",
    "sp ace.txt",
    "dir b/x b/y.txt",
    'q"uote.txt',
    "back\\slash.txt",
    "tab\there.txt",
    "新文件.py",
    "a/in-a.txt",
    "w/1/deep.txt",
    "b/ c.txt",
]


def numbered(n: int, tag: str = "line") -> str:
    return "".join(f"{tag} {i}\n" for i in range(1, n + 1))


@pytest.fixture(scope="module")
def change(tmp_path_factory: pytest.TempPathFactory) -> tuple[GitRepo, str, str]:
    """A base and a head commit with every kind of file change in them."""
    repo = GitRepo(tmp_path_factory.mktemp("change"))
    body = numbered(30)
    for i, name in enumerate(ODD_NAMES):
        repo.write(name, numbered(30, f"{i}:"))
    repo.write("empty-then-text.py", "")
    repo.write("top.txt", body)
    repo.write("emptied.txt", numbered(3))
    repo.write("gone dir/gone.txt", numbered(4))
    repo.write("renamed from.txt", numbered(40, "r"))
    repo.write("copy source.txt", numbered(40, "c"))
    repo.write("run.sh", "echo hi\n")
    repo.write("file-to-link", numbered(5))
    repo.symlink("link-to-file", "plain.txt")
    repo.write("blob.bin", b"\x00\x01" * 50)
    repo.write("hdr.txt", "-- a/x\nkeep\n--- b\n")
    repo.write("noeol.txt", "a\nb")
    repo.write("mode b/x y.sh", "echo\n")
    repo.write("pure rename.txt", numbered(10, "p"))
    base = repo.commit("base")

    for i, name in enumerate(ODD_NAMES):
        lines = numbered(30, f"{i}:").splitlines(keepends=True)
        lines[2] = f"changed {name}\n"
        lines[20:22] = [f"inserted {i}\n", "\n", f"more {i}\n"]
        repo.write(name, "".join(lines))
    repo.write("empty-then-text.py", "now there is text\n")
    repo.write("top.txt", "new first\nnew second\n" + body)
    repo.write("emptied.txt", "")
    repo.remove("gone dir/gone.txt")
    repo.remove("renamed from.txt")
    repo.write("renamed to 文.txt", numbered(40, "r").replace("r 7\n", "r seven\n"))
    repo.write("copied to.txt", numbered(40, "c") + "one more\n")
    repo.chmod("run.sh", 0o755)
    repo.remove("file-to-link")
    repo.symlink("file-to-link", "plain.txt")
    repo.remove("link-to-file")
    repo.write("link-to-file", "a file now\n")
    repo.write("blob.bin", b"\x00\x02" * 50)
    repo.write("hdr.txt", "++ b/x\nkeep\n+++ c\n")
    repo.write("noeol.txt", "a\nc")
    repo.write("brand new.txt", numbered(3, "n"))
    # header-only blocks: the path is only on the `diff --git` line (or rename lines)
    repo.chmod("mode b/x y.sh", 0o755)
    repo.write("empty b/new file.txt", "")
    repo.move("pure rename.txt", "renamed b/pure rename.txt")
    head = repo.commit("head")
    return repo, base, head


def git_raw(repo: GitRepo, base: str, head: str, options: tuple[str, ...]) -> list[dict[str, Any]]:
    """git's own per-file reading (`--raw -z` and `--numstat -z`), typechanges as git's patch
    prints them: a deletion, then a creation."""
    config = [o for i, o in enumerate(options) if o == "-c" or (i and options[i - 1] == "-c")]
    flags = [o for o in options if o not in config and not o.startswith(("-U", "--src", "--dst"))]
    raw = repo.run(*config, "diff", "-M", "--raw", "-z", *flags, base, head).split("\0")
    num = repo.run(*config, "diff", "-M", "--numstat", "-z", *flags, base, head).split("\0")
    counts = []
    i = 0
    while i < len(num) - 1:
        added, removed, name = num[i].split("\t", 2)
        i += 3 if name == "" else 1
        counts.append((None, None) if added == "-" else (int(added), int(removed)))
    out: list[dict[str, Any]] = []
    i = 0
    for added, removed in counts:
        meta, path = raw[i], raw[i + 1]
        old_mode, new_mode, _, _, letter = meta.lstrip(":").split(" ")
        entry = {"added": added, "removed": removed, "binary": added is None}
        if letter[0] in "RC":
            out.append({"status": letter[0], "old": path, "new": raw[i + 2], **entry})
            i += 3
            continue
        i += 2
        if letter == "T":
            # one numstat record for both blocks: git's patch shows the old side removed and
            # the new side added
            gone = sum(1 for _ in repo.run("show", f"{base}:{path}").splitlines())
            made = sum(1 for _ in repo.run("show", f"{head}:{path}").splitlines())
            out.append({**entry, "status": "D", "old": path, "new": None, "added": 0})
            out[-1]["removed"] = gone
            out.append({**entry, "status": "A", "old": None, "new": path, "removed": 0})
            out[-1]["added"] = made
            continue
        out.append(
            {
                "status": letter,
                "old": None if letter == "A" else path,
                "new": None if letter == "D" else path,
                **entry,
            }
        )
        assert (old_mode, new_mode) != ("000000", "000000")
    return out


CONTENTS: dict[tuple[str, str], list[str]] = {}  # (commit, path) -> lines, across renderings


def split_lines(content: str) -> list[str]:
    lines = content.split("\n")
    if lines[-1] == "":
        lines.pop()
    return [ln.removesuffix("\r") for ln in lines]


@needs_git
@pytest.mark.parametrize("options", RENDERINGS, ids=lambda o: " ".join(o) or "default")
def test_generated_change_reads_as_git_does(
    change: tuple[GitRepo, str, str], options: tuple[str, ...]
) -> None:
    repo, base, head = change
    config = [o for i, o in enumerate(options) if o == "-c" or (i and options[i - 1] == "-c")]
    flags = [o for o in options if o not in config]
    diff: Diff = parse_diff(repo.run(*config, "diff", "-M", *flags, base, head))
    truth = git_raw(repo, base, head, options)
    assert [reading(f) for f in diff.files] == truth

    def lines_of(rev: str, path: str) -> list[str]:
        if (rev, path) not in CONTENTS:
            CONTENTS[rev, path] = split_lines(repo.run("show", f"{rev}:{path}"))
        return CONTENTS[rev, path]

    checked = 0
    for file in diff.files:
        for hunk in file.hunks:
            for ln in hunk.lines:
                if ln.new_no is not None:
                    assert lines_of(head, file.path)[ln.new_no - 1] == ln.text, (file.path, ln)
                    checked += ln.kind is LineKind.ADDED
                if ln.old_no is not None:
                    assert file.old_path is not None
                    assert lines_of(base, file.old_path)[ln.old_no - 1] == ln.text
    assert checked == sum(f.added_count for f in diff.files) > 50

    by_status = {(f.path, f.status) for f in diff.files}
    names = [*ODD_NAMES, "empty-then-text.py", "top.txt", "emptied.txt", "hdr.txt", "mode b/x y.sh"]
    for name in names:
        assert (name, FileStatus.MODIFIED) in by_status, name  # never added or deleted
    for name in ("file-to-link", "link-to-file"):
        blocks = [f for f in diff.files if f.path == name]
        assert [f.status for f in blocks] == [FileStatus.DELETED, FileStatus.ADDED]
        assert diff.file(name) is blocks[1]
