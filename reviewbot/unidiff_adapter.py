"""unidiff reads the hunks and lines; this module owns only what unidiff 1.0.1 gets wrong.

Measured against git (../shared/FACTS.md): unidiff's hunks, line numbers and `\\ No newline`
are right, but it guesses a file's status from the hunk shape (a modified file whose one hunk
is `-0,0` or `+0,0` comes out added or deleted), leaves C-quoted paths quoted, splits
`diff --git` at the last " b/", strips any leading `[abciow12]/`, reads copies as renames and
misreads custom prefixes. So the header lines of each file are read here, from git's own
header lines, and unidiff is fed only placeholder `diff --git a/f b/f` lines and the hunks:
a header it cannot misread. Text around the diff (mail headers, commit messages) never
reaches it. Hunk extents are counted here only to tell a header from a hunk line such as a
removed `-- a/x`, which prints as `--- a/x`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from unidiff.errors import UnidiffParseError
from unidiff.patch import PatchedFile, PatchSet

from reviewbot.diffmodel import DiffLine, FileDiff, FileStatus, Hunk, LineKind
from reviewbot.errors import UserError

DEV_NULL = "/dev/null"
_PREFIX = re.compile(r"^[abciow12]/")
_C_ESCAPES = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}
_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')
_HUNK = re.compile(r"@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
_BINARY = re.compile(r"Binary files (.+) and (.+) differ$")
_PLACEHOLDER = "diff --git a/f b/f\n"
_BATCH = 20_000  # diff lines per unidiff call
# The lines git may write between `diff --git` and `---`/the first hunk.
_EXTENDED = (
    "old mode ",
    "new mode ",
    "deleted file mode ",
    "new file mode ",
    "copy from ",
    "copy to ",
    "rename from ",
    "rename to ",
    "similarity index ",
    "dissimilarity index ",
    "index ",
    "Binary files ",
    "GIT binary patch",
)
_KINDS = {"+": LineKind.ADDED, "-": LineKind.REMOVED, " ": LineKind.CONTEXT}


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


def _name_token(raw: str) -> str:
    """The name as written on a ---/+++ line: quoted, or up to a TAB (timestamp, or the TAB
    git ends a name holding a space with)."""
    if raw.startswith('"'):
        match = _QUOTED.match(raw)
        if match:
            return match.group()
    return raw.split("\t", 1)[0]


def _shared_path(old: str, new: str) -> tuple[str, str, str] | None:
    """(path, old prefix, new prefix) when `old` and `new` name one path under two prefixes.

    The path is the longest common tail that leaves each prefix empty or ending in "/".
    """
    n = min(len(old), len(new))
    k = 0
    while k < n and old[-1 - k] == new[-1 - k]:
        k += 1
    path = old[len(old) - k :]
    while path:
        p1, p2 = old[: len(old) - len(path)], new[: len(new) - len(path)]
        if (p1 == "" or p1.endswith("/")) and (p2 == "" or p2.endswith("/")):
            return path, p1, p2
        cut = path.find("/")
        if cut < 0:
            return None
        path = path[cut + 1 :]
    return None


@dataclass(slots=True)
class _Block:
    """The header lines of one file, as they are read."""

    line_no: int
    git_rest: str | None = None
    old_raw: str | None = None
    new_raw: str | None = None
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
    in_header: bool = False
    hunks: int = 0
    feed_at: int = 0  # where its placeholder line is in the reader's feed

    def extended_header(self, line: str) -> bool:
        """Take one line of git's extended header; False if it is not one."""
        if not line.startswith(_EXTENDED):
            return False
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
            self.in_header = False
        return True


@dataclass
class _Reader:
    """Splits a diff's lines into file headers (read here) and hunks (fed to unidiff)."""

    lines: list[str]
    blocks: list[_Block] = field(default_factory=list)
    feed: list[str] = field(default_factory=list)
    # The (old, new) prefixes of this diff, once a file shows them: one git command writes
    # every file with the same pair.
    prefixes: tuple[str, str] | None = None

    def read(self) -> None:
        lines, feed = self.lines, self.feed
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
                if not block.hunks:
                    block.feed_at = len(feed)
                    feed.append(_PLACEHOLDER)
                block.hunks += 1
                block.in_header = False
                i = self._hunk(i, match)
                after_hunk = True
                continue
            text = line.rstrip("\r\n")
            if line.startswith("diff --git "):
                block = self._start(block, _Block(i, git_rest=text[11:], in_header=True))
            elif line.startswith(("diff --cc ", "diff --combined ")):
                raise DiffParseError(
                    f"line {i}: combined (merge) diffs are not supported; diff against one parent"
                )
            elif line.startswith("--- ") and i < end and lines[i].startswith("+++ "):
                if block is None or not block.in_header:
                    block = self._start(block, _Block(i))
                block.old_raw, block.new_raw = text[4:], lines[i].rstrip("\r\n")[4:]
                block.in_header = False
                i += 1
            elif block is not None and block.in_header and block.extended_header(text):
                pass
            elif after_hunk and line[:1] in ("+", "-", " ") and text not in ("--", "-- "):
                # The line after a complete hunk is a header or nothing; "-- " ends a mail patch.
                raise DiffParseError(f"line {i}: a hunk has more lines than its header says")
            elif line.startswith("Binary files ") and (binary := _BINARY.match(text)):
                # `diff -r` names a changed binary file outside any ---/+++ header.
                block = self._start(block, _Block(i, binary=True))
                block.old_raw, block.new_raw = binary.group(1), binary.group(2)
            elif block is not None:
                block.in_header = False
            after_hunk = False
        self._close(block)

    def _start(self, done: _Block | None, new: _Block) -> _Block:
        """Close the block `done` and begin `new`."""
        self._close(done)
        return new

    def _close(self, done: _Block | None) -> None:
        # A ---/+++ pair without hunks outside git's header is text that looks like a
        # header (a mail body line).
        if done is not None and (done.git_rest is not None or done.hunks or done.binary):
            self.blocks.append(done)

    def _hunk(self, i: int, match: re.Match[str]) -> int:
        """Feed the hunk whose header is lines[i - 1]; returns the index after it."""
        lines, end = self.lines, len(self.lines)
        old_left = 1 if match.group(2) is None else int(match.group(2))
        new_left = 1 if match.group(4) is None else int(match.group(4))
        if not (old_left or new_left):
            raise DiffParseError(f"line {i}: an empty hunk")
        start = i - 1
        while old_left or new_left:
            if i == end:
                raise DiffParseError(
                    f"line {i}: the diff ends inside a hunk ({old_left} old and {new_left} new "
                    "lines missing; truncated?)"
                )
            tag = lines[i][0]
            i += 1
            if tag == "+" and new_left:
                new_left -= 1
            elif tag == "-" and old_left:
                old_left -= 1
            elif (tag == " " or tag == "\n" or tag == "\r") and old_left and new_left:
                # (a bare empty line is a context line whose space an editor stripped)
                old_left -= 1
                new_left -= 1
            elif tag != "\\":
                raise self._hunk_error(i, old_left, new_left)
        self.feed.extend(lines[start:i])
        # A `\ No newline at end of file` after the hunk is not fed: unidiff knows only that
        # wording of it, and the model has no use for it.
        while i < end and lines[i].startswith("\\"):
            i += 1
        return i

    def _hunk_error(self, i: int, old_left: int, new_left: int) -> DiffParseError:
        line = self.lines[i - 1]
        if line.startswith(("diff ", "@@ ")):
            return DiffParseError(
                f"line {i}: a hunk ends {old_left} old and {new_left} new lines short of its "
                "header's counts (was the diff edited?)"
            )
        if line[:1] in ("+", "-", " "):
            return DiffParseError(f"line {i}: a hunk has more lines than its header says")
        return DiffParseError(
            f"line {i}: expected a hunk line (' ', '+', '-'), got {line.rstrip()[:60]!r}"
        )

    # -- paths and status, from git's header lines ------------------------------------

    def git_file(self, block: _Block) -> FileDiff:
        """A file of a git diff: paths and status from its header lines alone."""
        old = block.rename_from or block.copy_from
        new = block.rename_to or block.copy_to
        if old is None or new is None:
            old = new = self._same_path(block)
        if block.new_file_mode is not None:
            old = None
        if block.deleted_file_mode is not None:
            new = None
        if new is None:
            status = FileStatus.DELETED
        elif old is None:
            status = FileStatus.ADDED
        elif block.copy_from is not None:
            status = FileStatus.COPIED
        elif old != new:
            status = FileStatus.RENAMED
        else:
            status = FileStatus.MODIFIED
        path = new if new is not None else old
        assert path is not None
        old_mode = block.old_mode or block.deleted_file_mode
        new_mode = block.new_mode or block.new_file_mode
        if block.index_mode is not None:
            old_mode = old_mode or (block.index_mode if old is not None else None)
            new_mode = new_mode or (block.index_mode if new is not None else None)
        return FileDiff(
            path=path,
            old_path=old,
            status=status,
            is_binary=block.binary,
            old_mode=old_mode,
            new_mode=new_mode,
        )

    def _same_path(self, block: _Block) -> str:
        """The one path of a git block without rename/copy lines: both halves of
        `diff --git` (and both ---/+++ names, when not /dev/null) name it."""
        assert block.git_rest is not None
        rest = block.git_rest
        old_tok = _name_token(block.old_raw) if block.old_raw is not None else None
        new_tok = _name_token(block.new_raw) if block.new_raw is not None else None
        pairs: list[tuple[str, str]]
        if old_tok is not None and new_tok is not None and DEV_NULL not in (old_tok, new_tok):
            pairs = [(old_tok, new_tok)]
        elif new_tok is not None and new_tok != DEV_NULL and rest.endswith(f" {new_tok}"):
            pairs = [(rest[: -len(new_tok) - 1], new_tok)]
        elif old_tok is not None and old_tok != DEV_NULL and rest.startswith(f"{old_tok} "):
            pairs = [(old_tok, rest[len(old_tok) + 1 :])]
        else:
            pairs = _git_line_splits(rest)
        readings = []
        for old_half, new_half in pairs:
            shared = _shared_path(unquote_git_path(old_half), unquote_git_path(new_half))
            if shared is not None:
                readings.append(shared)
        if not readings:
            raise DiffParseError(
                f"line {block.line_no}: cannot tell the path in `diff --git {rest[:60]}`"
            )
        known = [r for r in readings if (r[1], r[2]) == self.prefixes]
        if known:
            path = known[0][0]
        else:
            # git's own prefix pairs (a/ b/, mnemonic, none) are of equal length: prefer them.
            middle = [r for r in readings if len(r[1]) == len(r[2])]
            path, p1, p2 = max(middle or readings, key=lambda r: len(r[0]))
            self.prefixes = (p1, p2)
        return path


def _git_line_splits(rest: str) -> list[tuple[str, str]]:
    """The ways `diff --git <old> <new>` can split into two names."""
    if rest.startswith('"'):
        match = _QUOTED.match(rest)
        if match and rest[match.end() : match.end() + 1] == " ":
            return [(match.group(), rest[match.end() + 1 :])]
        return []
    if rest.endswith('"'):
        match = re.match(r'(.*?) ("(?:[^"\\]|\\.)*")$', rest)
        return [(match.group(1), match.group(2))] if match else []
    return [(rest[:cut], rest[cut + 1 :]) for cut, ch in enumerate(rest) if ch == " "]


def _plain_file(block: _Block, hunks: list[Hunk]) -> FileDiff:
    """A file of a plain `diff -u`/`diff -ruN` (no git header lines)."""
    old = _plain_name(block.old_raw)
    new = _plain_name(block.new_raw)
    if old is not None and new is not None and old != new:
        # `diff -ru old new` names old/x and new/x: the file is x (as `patch -p1` sees it).
        old_tail, new_tail = old.partition("/")[2], new.partition("/")[2]
        if old_tail and old_tail == new_tail:
            old = new = old_tail
    elif old is None and new is not None:
        new = _PREFIX.sub("", new, count=1)
    elif new is None and old is not None:
        old = _PREFIX.sub("", old, count=1)
    # `diff -N` shows a missing side as an empty file rather than /dev/null: then the hunk
    # shape is all a plain diff tells.
    only = hunks[0] if len(hunks) == 1 else None
    if new is None or (only is not None and only.new_start == only.new_count == 0):
        status = FileStatus.DELETED
    elif old is None or (only is not None and only.old_start == only.old_count == 0):
        status = FileStatus.ADDED
    else:
        status = FileStatus.MODIFIED
    path = new if new is not None else old
    if path is None:
        raise DiffParseError(f"line {block.line_no}: a file in the diff has no path")
    return FileDiff(
        path=path,
        old_path=None if status is FileStatus.ADDED else (old or path),
        status=status,
        is_binary=block.binary,
        hunks=hunks,
    )


def _plain_name(raw: str | None) -> str | None:
    if raw is None:
        return None
    name = unquote_git_path(_name_token(raw))
    return None if name == DEV_NULL else name


def _hunks(patched: PatchedFile, crlf: bool) -> list[Hunk]:
    """unidiff's hunks of one file as the model's (values lose their line end)."""
    out = []
    # The hot loop of a large diff: lines are built as plain tuples of the DiffLine type,
    # skipping the NamedTuple constructor's Python frame.
    make, line_type, kinds = tuple.__new__, DiffLine, _KINDS
    for h in patched:
        hunk = Hunk(
            h.source_start,
            h.source_length,
            h.target_start,
            h.target_length,
            h.section_header.rstrip("\r"),
        )
        hunk.lines = [
            make(
                line_type,
                (kinds[ln.line_type], ln.source_line_no, ln.target_line_no, ln.value[:-1]),
            )
            for ln in h
            if ln.line_type != "\\"  # a `\ No newline at end of file` marker
        ]
        if crlf:
            hunk.lines = [
                ln._replace(text=ln.text[:-1]) if ln.text.endswith("\r") else ln
                for ln in hunk.lines
            ]
        out.append(hunk)
    return out


def read_files(lines: list[str], crlf: bool) -> list[FileDiff]:
    """The files of a diff's lines (each ending in "\\n"); `crlf`: some may end in "\\r\\n"."""
    reader = _Reader(lines)
    reader.read()
    hunked = [block for block in reader.blocks if block.hunks]
    hunks: dict[int, list[Hunk]] = {}
    # unidiff gets the files a batch at a time: its objects for one batch are all that live
    # next to the model (it makes several per diff line, the model one).
    start = 0
    while start < len(hunked):
        stop = start + 1
        while stop < len(hunked) and hunked[stop].feed_at - hunked[start].feed_at < _BATCH:
            stop += 1
        end = hunked[stop].feed_at if stop < len(hunked) else len(reader.feed)
        patches = _patch_set(reader.feed[hunked[start].feed_at : end])
        if len(patches) != stop - start:
            raise DiffParseError("unidiff read a different number of files than the headers name")
        for block, patched in zip(hunked[start:stop], patches, strict=True):
            hunks[id(block)] = _hunks(patched, crlf)
        del patches
        start = stop
    files = []
    for block in reader.blocks:
        file_hunks = hunks.get(id(block), [])
        if block.git_rest is None:
            files.append(_plain_file(block, file_hunks))
        else:
            file = reader.git_file(block)
            file.hunks = file_hunks
            files.append(file)
    return files


def _patch_set(feed: list[str]) -> PatchSet:
    try:
        return PatchSet(feed)
    except UnidiffParseError as exc:  # the hunks were checked by the reader: not expected
        raise DiffParseError(f"unidiff: {str(exc).strip()[:100]}") from None
