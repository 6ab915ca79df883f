"""Where the change comes from: a diff file or stdin, git, or whole files (each a DiffSource)."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from reviewbot.change import Change
from reviewbot.diffmodel import Diff
from reviewbot.diffparse import file_as_diff, parse_diff
from reviewbot.errors import UserError
from reviewbot.findings import SkippedFile
from reviewbot.rules import Reader, git_reader, local_base_rev


class SourceError(UserError):
    """The input cannot be read; the message is one line for the user."""


def decode(data: bytes) -> str:
    """Text from bytes: UTF-16/UTF-8 by BOM, else UTF-8, else Latin-1 (which never fails)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def read_diff(arg: str, max_bytes: int) -> str:
    """The diff text from a path, or from stdin for '-'."""
    if arg == "-":
        data = sys.stdin.buffer.read(max_bytes + 1)
        origin = "stdin"
    else:
        path = Path(arg)
        if not path.is_file():
            raise SourceError(f"diff file not found: {arg}")
        try:
            with path.open("rb") as handle:
                data = handle.read(max_bytes + 1)
        except OSError as exc:
            raise SourceError(f"cannot read {arg}: {exc.strerror}") from None
        origin = arg
    if len(data) > max_bytes:
        raise SourceError(
            f"the diff from {origin} is over {max_bytes // (1024 * 1024)} MB; "
            "review a narrower range or raise --max-diff-mb"
        )
    return decode(data)


def _git(args: list[str], cwd: Path | None = None) -> bytes:
    command = [
        "git",
        "-c",
        "core.quotePath=true",
        "-c",
        "diff.noprefix=false",
        "-c",
        "diff.mnemonicPrefix=false",
        *args,
    ]
    try:
        done = subprocess.run(command, cwd=cwd, capture_output=True, check=False)
    except FileNotFoundError:
        raise SourceError("git is not installed or not on PATH") from None
    if done.returncode != 0:
        message = decode(done.stderr).strip().splitlines()
        raise SourceError(f"git {args[0]} failed: {message[0] if message else 'unknown error'}")
    return done.stdout


# Git's default 3 lines of context, as GitHub shows: -U0 can shift hunks and anchors.
_DIFF_ARGS = [
    "diff",
    "--no-color",
    "--no-ext-diff",
    "--no-textconv",
    "-M",
    "--src-prefix=a/",
    "--dst-prefix=b/",
]


def git_diff(
    *,
    base: str | None = None,
    staged: bool = False,
    paths: list[str] | None = None,
    cwd: Path | None = None,
) -> str:
    """`git diff` of staged changes, or of HEAD against the merge base with `base`."""
    args = list(_DIFF_ARGS)
    if staged:
        args.append("--cached")
    if base is not None:
        args.append(f"{base}...HEAD" if not staged else base)
    args.append("--")
    args.extend(paths or [])
    try:
        return decode(_git(args, cwd))
    except SourceError:
        if not _inside_work_tree(cwd):
            # Else git answers with its --no-index usage, which says nothing to the user.
            option = "--staged" if staged else "--base"
            raise SourceError(
                f"not inside a git repository ({option} reviews git changes; name FILES or "
                "use --diff instead)"
            ) from None
        raise


def _inside_work_tree(cwd: Path | None) -> bool:
    try:
        return _git(["rev-parse", "--is-inside-work-tree"], cwd).strip() == b"true"
    except SourceError:
        return False


def _shown_name(path: Path) -> str:
    """The name a file is reviewed under: relative to the working directory when inside it.

    A name that still leaves it (`../x.py`, `/etc/passwd`) is kept as given, and the file
    filter skips it as outside the repository.
    """
    if path.is_absolute():
        here = Path.cwd()
        # As written first (no symlinks followed), then both sides resolved.
        for target, base in (
            (Path(os.path.normpath(path)), here),
            (path.resolve(), here.resolve()),
        ):
            if target.is_relative_to(base):
                return target.relative_to(base).as_posix()
        return path.as_posix()
    return path.as_posix().removeprefix("./")


def files_diff(paths: list[str]) -> Change:
    """Whole files as all-added diffs; binary files are listed as skipped."""
    diff = Diff()
    skipped: list[SkippedFile] = []
    for name in paths:
        path = Path(name)
        if not path.exists():
            raise SourceError(f"no such file: {name}")
        if path.is_dir():
            raise SourceError(f"{name} is a directory; name files, or use --base/--staged")
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise SourceError(f"cannot read {name}: {exc.strerror}") from None
        shown = _shown_name(path)
        if b"\0" in data[:8192] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
            skipped.append(SkippedFile(path=shown, reason="binary"))
            continue
        diff.files.append(file_as_diff(shown, decode(data)))
    return Change(diff, skipped)


NEW_FILE_BYTES = 4 * 1024 * 1024  # a new-side file read to check a suggestion, at most


def _head_rules(cwd: Path | None) -> Reader | None:
    """HEAD's files, where the owners' rules are read for a local change; None outside git."""
    rev = local_base_rev(None, cwd)
    return git_reader(rev, cwd) if rev else None


def _working_tree(path: str) -> str | None:
    try:
        with open(path, "rb") as handle:
            return decode(handle.read(NEW_FILE_BYTES))
    except OSError:
        return None


@dataclass(frozen=True)
class DiffFile:
    """A unified diff from a file, or from stdin for '-'. Its new side is unknown; the rules
    come from HEAD when run inside a git repository."""

    arg: str
    max_bytes: int

    def read(self) -> Change:
        diff = parse_diff(read_diff(self.arg, self.max_bytes))
        return Change(diff, base=_head_rules(None))


@dataclass(frozen=True)
class GitChanges:
    """Staged changes, or HEAD's changes since its merge base with `base`."""

    base: str | None = None
    staged: bool = False
    paths: tuple[str, ...] = ()
    cwd: Path | None = None

    def read(self) -> Change:
        text = git_diff(base=self.base, staged=self.staged, paths=list(self.paths), cwd=self.cwd)
        # The rules at the merge base for --base, at HEAD for --staged; the new side is the
        # index for --staged, HEAD for a branch.
        rev = local_base_rev(None if self.staged else self.base, self.cwd)
        head = git_reader("" if self.staged else "HEAD", self.cwd, NEW_FILE_BYTES)
        return Change(parse_diff(text), base=git_reader(rev, self.cwd) if rev else None, head=head)


@dataclass(frozen=True)
class WholeFiles:
    """Whole files as all-added diffs."""

    paths: tuple[str, ...]

    def read(self) -> Change:
        change = files_diff(list(self.paths))
        change.base = _head_rules(None)
        change.head = _working_tree
        return change
