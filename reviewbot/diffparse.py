"""Parse unified diffs (git's, or a plain `diff -u`) into the typed diff model.

unidiff reads the hunks and lines; `reviewbot.unidiff_adapter` reads each file's paths and
status from git's header lines, which unidiff gets wrong (see that module).
"""

from __future__ import annotations

import gc
import io
import re
from collections.abc import Iterator
from contextlib import contextmanager

from reviewbot.diffmodel import Diff, DiffLine, FileDiff, FileStatus, Hunk, LineKind
from reviewbot.unidiff_adapter import DiffParseError, read_files, unquote_git_path

__all__ = ["DiffParseError", "file_as_diff", "gc_paused", "parse_diff", "unquote_git_path"]

_COLOR = re.compile(r"\x1b\[[0-9;]*m")


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
    if not text.endswith("\n"):
        text += "\n"
    # Lines end at "\n" only, as git's do (str.splitlines() also breaks at form feeds).
    lines = io.StringIO(text).readlines()
    with gc_paused():
        files = read_files(lines, crlf="\r" in text)
    if not files:
        raise DiffParseError("input is not a unified diff (no `diff --git` or ---/+++ headers)")
    return Diff(files=files)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a diff becomes objects (or chunks).

    Parsing makes a few objects per diff line and no reference cycles, yet every few hundred
    of them the collector would walk the young objects, and now and then the whole growing
    heap: about 40% of the time of parsing a large diff. Nested use is fine.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


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
