"""Parse unified diffs (git's, or a plain `diff -u`) into the typed diff model.

A small dedicated parser rather than unidiff: hunk line counts are the only reliable way to
tell content from headers (a removed `-- a/x` prints as `--- a/x`), and git output has
corners a general parser gets wrong: C-quoted names, paths holding " b/", TAB-terminated
---/+++ paths, hunkless renames and mode changes, two blocks for one path.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from reviewbot.diffmodel import Diff, DiffLine, FileDiff, FileStatus, Hunk, LineKind
from reviewbot.errors import UserError

DEV_NULL = "/dev/null"
_PREFIX = re.compile(r"^[abciow12]/")
_C_ESCAPES = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}
_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')
_HUNK = re.compile(r"@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@ ?(.*)")
_BINARY = re.compile(r"Binary files (.+) and (.+) differ$")
_COLOR = re.compile(r"\x1b\[[0-9;]*m")
# Prefix pairs git writes: a/ b/ by default, c/ i/ o/ w/ with diff.mnemonicPrefix.
_OLD_PREFIXES = "aciow1"
_NEW_PREFIXES = "biw2"


class DiffParseError(UserError):
    """The input is not a unified diff we can trust."""


def unquote_git_path(raw: str) -> str:
    """Undo git's C-style quoting ("\\346\\226\\207.py") of non-ASCII or special paths."""
    if len(raw) < 2 or not (raw.startswith('"') and raw.endswith('"')):
        return raw
    body = raw[1:-1]
    out = bytearray()
    i = 0
    while i < len(body):
        ch = body[i]
        if ch != "\\" or i + 1 == len(body):
            out += ch.encode("utf-8")
            i += 1
            continue
        nxt = body[i + 1]
        if nxt in "01234567":
            digits = re.match(r"[0-7]{1,3}", body[i + 1 :])
            assert digits is not None
            out.append(int(digits.group(), 8) & 0xFF)
            i += 1 + len(digits.group())
        else:
            out.append(_C_ESCAPES.get(nxt, ord(nxt)))
            i += 2
    return out.decode("utf-8", errors="replace")


def clean_path(raw: str | None) -> str | None:
    """A repository-relative path from a diff header, or None for /dev/null."""
    if raw is None:
        return None
    path = unquote_git_path(raw.strip())
    if path == DEV_NULL:
        return None
    return _PREFIX.sub("", path, count=1)


def _header_name(raw: str) -> str:
    """The path of a ---/+++ line (after the marker), without timestamp or trailing TAB."""
    if raw.startswith('"'):
        match = _QUOTED.match(raw)
        if match:
            return unquote_git_path(match.group())
    name = raw.split("\t", 1)[0]
    return name[:-1] if name.endswith("\r") else name


def _has_prefix(old: str, new: str) -> bool:
    return (
        old[1:2] == "/"
        and new[1:2] == "/"
        and old[0] != new[0]
        and old[0] in _OLD_PREFIXES
        and new[0] in _NEW_PREFIXES
    )


def _git_line_paths(rest: str) -> tuple[str, str] | None:
    """The two (still prefixed) paths of `diff --git <old> <new>`, when they can be told apart.

    Unquoted paths may hold spaces, so an unquoted pair is split where both halves name the
    same file; a rename's halves differ, but then `rename from/to` lines name both paths.
    """
    if rest.startswith('"'):
        match = _QUOTED.match(rest)
        if match and rest[match.end() : match.end() + 1] == " ":
            second = rest[match.end() + 1 :]
            return unquote_git_path(match.group()), unquote_git_path(second)
        return None
    if rest.endswith('"'):
        match = re.match(r'(.*?) ("(?:[^"\\]|\\.)*")$', rest)
        return (match.group(1), unquote_git_path(match.group(2))) if match else None
    half = len(rest) // 2
    if len(rest) % 2 == 1 and rest[half] == " ":
        old, new = rest[:half], rest[half + 1 :]
        if old == new or (_has_prefix(old, new) and old[2:] == new[2:]):
            return old, new
    if rest[1:2] == "/" and rest[0] in _OLD_PREFIXES:
        for new_prefix in _NEW_PREFIXES:
            cut = rest.find(f" {new_prefix}/")
            if cut > 0 and new_prefix != rest[0]:
                return rest[:cut], rest[cut + 1 :]
    old, _, new = rest.partition(" ")
    return (old, new) if new else None


@dataclass(slots=True)
class _Block:
    """The headers and hunks of one file, as they are read."""

    line_no: int
    git_paths: tuple[str, str] | None = None
    is_git: bool = False
    old_header: str | None = None
    new_header: str | None = None
    rename_from: str | None = None
    rename_to: str | None = None
    copy_from: str | None = None
    copy_to: str | None = None
    new_file_mode: str | None = None
    deleted_file_mode: str | None = None
    old_mode: str | None = None
    new_mode: str | None = None
    index_mode: str | None = None
    binary: bool = False
    hunks: list[Hunk] = field(default_factory=list)

    @property
    def in_header(self) -> bool:
        return self.is_git and not self.hunks and self.old_header is None and not self.binary

    def extended_header(self, line: str) -> None:
        """One line of git's extended header (mode, rename, copy, index, binary)."""
        key, _, value = line.partition(" ")
        if key in ("old", "new", "deleted", "rename", "copy"):
            second, _, value = value.partition(" ")
            key = f"{key} {second}"
            if key in ("new file", "deleted file"):
                key += " mode"
                value = value.removeprefix("mode ")
        if key == "old mode":
            self.old_mode = value
        elif key == "new mode":
            self.new_mode = value
        elif key == "new file mode":
            self.new_file_mode = value
        elif key == "deleted file mode":
            self.deleted_file_mode = value
        elif key == "rename from":
            self.rename_from = unquote_git_path(value)
        elif key == "rename to":
            self.rename_to = unquote_git_path(value)
        elif key == "copy from":
            self.copy_from = unquote_git_path(value)
        elif key == "copy to":
            self.copy_to = unquote_git_path(value)
        elif key == "index":
            parts = value.split(" ")
            if len(parts) == 2:
                self.index_mode = parts[1]
        elif line == "GIT binary patch" or _BINARY.match(line):
            self.binary = True

    def finish(self, files: list[FileDiff]) -> None:
        if self.is_git:
            files.append(self._git_file())
        elif self.hunks or self.binary:
            # A ---/+++ pair with no hunk is text that looks like a header (a mail body line).
            files.append(self._plain_file())

    def _git_file(self) -> FileDiff:
        prefixed = self.git_paths is not None and _has_prefix(*self.git_paths)

        def from_header(name: str | None) -> str | None:
            if name is None or name == DEV_NULL:
                return None
            return name[2:] if prefixed and _PREFIX.match(name) else name

        git_old = git_new = None
        if self.git_paths is not None:
            git_old, git_new = (p[2:] if prefixed else p for p in self.git_paths)
        has_headers = self.old_header is not None
        old = self.rename_from or self.copy_from
        new = self.rename_to or self.copy_to
        if old is None:
            old = from_header(self.old_header) if has_headers else git_old
        if new is None:
            new = from_header(self.new_header) if has_headers else git_new
        if self.new_file_mode is not None:
            old = None
        if self.deleted_file_mode is not None:
            new = None
        if old is None and new is None:
            raise DiffParseError(f"line {self.line_no}: a file in the diff has no path")
        if new is None:
            status = FileStatus.DELETED
        elif old is None:
            status = FileStatus.ADDED
        elif self.copy_from is not None:
            status = FileStatus.COPIED
        elif old != new:
            status = FileStatus.RENAMED
        else:
            status = FileStatus.MODIFIED
        path = new if new is not None else old
        assert path is not None
        old_mode = self.old_mode or self.deleted_file_mode
        new_mode = self.new_mode or self.new_file_mode
        if self.index_mode is not None:
            old_mode = old_mode or (self.index_mode if old is not None else None)
            new_mode = new_mode or (self.index_mode if new is not None else None)
        return FileDiff(
            path=path,
            old_path=old,
            status=status,
            is_binary=self.binary,
            old_mode=old_mode,
            new_mode=new_mode,
            hunks=self.hunks,
        )

    def _plain_file(self) -> FileDiff:
        old = None if self.old_header in (None, DEV_NULL) else self.old_header
        new = None if self.new_header in (None, DEV_NULL) else self.new_header
        if old is not None and new is not None and old != new:
            # `diff -ru old new` names old/x and new/x: the file is x (as `patch -p1` sees it).
            old_tail, new_tail = old.partition("/")[2], new.partition("/")[2]
            if old_tail and old_tail == new_tail:
                old = new = old_tail
        elif old is None and new is not None:
            new = _PREFIX.sub("", new, count=1)
        elif new is None and old is not None:
            old = _PREFIX.sub("", old, count=1)
        if old is None and new is None:
            raise DiffParseError(f"line {self.line_no}: a file in the diff has no path")
        # `diff -N` shows a missing side as an empty file rather than /dev/null.
        only = self.hunks[0] if len(self.hunks) == 1 else None
        if new is None or (only is not None and only.new_start == only.new_count == 0):
            status = FileStatus.DELETED
        elif old is None or (only is not None and only.old_start == only.old_count == 0):
            status = FileStatus.ADDED
        else:
            status = FileStatus.MODIFIED
        path = new if new is not None else old
        assert path is not None
        return FileDiff(
            path=path,
            old_path=None if status is FileStatus.ADDED else (old or path),
            status=status,
            is_binary=self.binary,
            hunks=self.hunks,
        )


def _hunk_error(line: str, i: int, old_left: int, new_left: int, hunk: Hunk) -> DiffParseError:
    """Why `line` (line i of the diff) cannot be the next line of `hunk`."""
    if line.startswith(("diff ", "@@ ")):
        return DiffParseError(
            f"line {i}: a hunk ends {old_left} old and {new_left} new lines short of its "
            "header's counts (was the diff edited?)"
        )
    if line[:1] in ("+", "-", " ", ""):
        return DiffParseError(
            f"line {i}: the hunk at {hunk.header!r} has more lines than its header says"
        )
    return DiffParseError(f"line {i}: expected a hunk line (' ', '+', '-'), got {line[:60]!r}")


def _strip_cr(lines: list[DiffLine]) -> list[DiffLine]:
    return [ln._replace(text=ln.text[:-1]) if ln.text.endswith("\r") else ln for ln in lines]


def _parse_hunk(
    lines: list[str], i: int, match: re.Match[str], crlf: bool = True
) -> tuple[Hunk, int]:
    """The hunk whose header matched at lines[i - 1]; returns it and the index after it.

    `crlf`: the diff may hold carriage returns, to be stripped from line ends.
    """
    old_no, new_no = int(match.group(1)), int(match.group(3))
    old_count = 1 if match.group(2) is None else int(match.group(2))
    new_count = 1 if match.group(4) is None else int(match.group(4))
    section = match.group(5)
    hunk = Hunk(old_no, old_count, new_no, new_count, section.removesuffix("\r"))
    append = hunk.lines.append
    # The hot loop of a large diff: lines are built as plain tuples of the DiffLine type,
    # skipping the NamedTuple constructor's Python frame.
    make, line_type = tuple.__new__, DiffLine
    added, removed, context = LineKind.ADDED, LineKind.REMOVED, LineKind.CONTEXT
    old_left, new_left = old_count, new_count
    end = len(lines)
    while old_left or new_left:
        if i == end:
            raise DiffParseError(
                f"line {i}: the diff ends inside a hunk ({old_left} old and {new_left} new "
                "lines missing; truncated?)"
            )
        line = lines[i]
        i += 1
        tag = line[:1]
        if tag == "+":
            if new_left:
                append(make(line_type, (added, None, new_no, line[1:])))
                new_no += 1
                new_left -= 1
                continue
        elif tag == " ":
            if old_left and new_left:
                append(make(line_type, (context, old_no, new_no, line[1:])))
                old_no += 1
                new_no += 1
                old_left -= 1
                new_left -= 1
                continue
        elif tag == "-":
            if old_left:
                append(make(line_type, (removed, old_no, None, line[1:])))
                old_no += 1
                old_left -= 1
                continue
        elif tag == "\\":
            continue
        elif line in ("", "\r") and old_left and new_left:
            # A bare empty line is a context line whose space an editor stripped.
            append(make(line_type, (context, old_no, new_no, "")))
            old_no += 1
            new_no += 1
            old_left -= 1
            new_left -= 1
            continue
        raise _hunk_error(line, i, old_left, new_left, hunk)
    if crlf:
        hunk.lines = _strip_cr(hunk.lines)
    while i < end and lines[i].startswith("\\"):
        i += 1
    return hunk, i


def parse_diff(text: str) -> Diff:
    """Parse a unified diff. An empty or whitespace-only text gives an empty Diff.

    Text around the diff (a commit message, `git format-patch` mail headers, `diff -r`'s
    "Only in" lines) is ignored; a malformed hunk raises DiffParseError with a one-line message.
    """
    if not text.strip():
        return Diff()
    if text.lstrip().startswith("\x1b["):
        # `git diff` with color.ui=always, piped in: drop the color codes.
        text = _COLOR.sub("", text)
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    with gc_paused():
        files = _read_files(lines, crlf="\r" in text)
    if not files:
        raise DiffParseError("input is not a unified diff (no `diff --git` or ---/+++ headers)")
    return Diff(files=files)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a diff becomes objects (or chunks).

    Parsing makes one tuple per diff line and no reference cycles, yet every few hundred of
    them the collector would walk the young objects, and now and then the whole growing heap:
    about 40% of the time of parsing a large diff. Nested use is fine.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _read_files(lines: list[str], crlf: bool) -> list[FileDiff]:
    """The files of a diff's lines (split at "\\n"); `crlf`: lines may end in "\\r"."""
    files: list[FileDiff] = []
    block: _Block | None = None
    after_hunk = False
    i, end = 0, len(lines)
    while i < end:
        line = lines[i]
        i += 1
        if line.startswith("@@"):
            match = _HUNK.match(line)
            if match is None and block is None:
                continue  # text before the diff that happens to start with "@@"
            if match is None:
                if line.startswith("@@@"):
                    raise DiffParseError(
                        f"line {i}: combined (merge) diffs are not supported; "
                        "diff against one parent"
                    )
                raise DiffParseError(f"line {i}: malformed hunk header {line[:60]!r}")
            if block is None:
                raise DiffParseError(f"line {i}: a hunk without a file header before it")
            hunk, i = _parse_hunk(lines, i, match, crlf)
            block.hunks.append(hunk)
            after_hunk = True
            continue
        if line.startswith("diff --git "):
            if block is not None:
                block.finish(files)
            block = _Block(i, _git_line_paths(line[11:].removesuffix("\r")), is_git=True)
        elif line.startswith(("diff --cc ", "diff --combined ")):
            raise DiffParseError(
                f"line {i}: combined (merge) diffs are not supported; diff against one parent"
            )
        elif line.startswith("--- ") and i < end and lines[i].startswith("+++ "):
            if block is None or not block.in_header:
                if block is not None:
                    block.finish(files)
                block = _Block(i)
            block.old_header = _header_name(line[4:])
            block.new_header = _header_name(lines[i][4:])
            i += 1
        elif block is not None and block.in_header:
            block.extended_header(line.removesuffix("\r"))
        elif after_hunk and line[:1] in ("+", "-", " ") and line.rstrip("\r") not in ("--", "-- "):
            # The line after a complete hunk is a header or nothing; "-- " ends a mail patch.
            raise DiffParseError(f"line {i}: a hunk has more lines than its header says")
        elif line.startswith("Binary files ") and (binary := _BINARY.match(line.rstrip("\r"))):
            # `diff -r` names a changed binary file outside any ---/+++ header.
            if block is not None:
                block.finish(files)
            block = _Block(i, binary=True)
            block.old_header, block.new_header = binary.group(1), binary.group(2)
        after_hunk = False
    if block is not None:
        block.finish(files)
    return files


def file_as_diff(path: str, content: str) -> FileDiff:
    """A whole file presented as an all-added diff, for reviewing files rather than changes."""
    # Split at "\n" only, as git does: str.splitlines() also breaks at form feeds and U+2028.
    lines = content.split("\n")
    if lines[-1] == "":
        lines.pop()
    lines = [ln[:-1] if ln.endswith("\r") else ln for ln in lines]
    hunk = Hunk(old_start=0, old_count=0, new_start=1 if lines else 0, new_count=len(lines))
    hunk.lines = [DiffLine(LineKind.ADDED, None, n, text) for n, text in enumerate(lines, 1)]
    return FileDiff(
        path=path, old_path=None, status=FileStatus.ADDED, hunks=[hunk] if lines else []
    )
