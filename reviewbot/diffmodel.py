"""The typed diff model every later stage works on: files, hunks and numbered lines."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple


class LineKind(StrEnum):
    ADDED = "+"
    REMOVED = "-"
    CONTEXT = " "


class FileStatus(StrEnum):
    ADDED = "added"
    MODIFIED = "modified"
    DELETED = "deleted"
    RENAMED = "renamed"
    COPIED = "copied"


class DiffLine(NamedTuple):
    """One line of a hunk (a tuple: a large diff makes hundreds of thousands of them)."""

    kind: LineKind
    old_no: int | None
    new_no: int | None
    text: str


@dataclass(slots=True)
class Hunk:
    old_start: int
    old_count: int
    new_start: int
    new_count: int
    section: str = ""
    lines: list[DiffLine] = field(default_factory=list)

    @property
    def changed_count(self) -> int:
        return sum(1 for line in self.lines if line.kind is not LineKind.CONTEXT)

    @property
    def header(self) -> str:
        section = f" {self.section}" if self.section else ""
        return (
            f"@@ -{self.old_start},{self.old_count} +{self.new_start},{self.new_count} @@{section}"
        )


@dataclass(slots=True)
class FileDiff:
    """One file of a diff. `path` is the new path (the old one for a deleted file)."""

    path: str
    old_path: str | None = None
    status: FileStatus = FileStatus.MODIFIED
    is_binary: bool = False
    old_mode: str | None = None
    new_mode: str | None = None
    hunks: list[Hunk] = field(default_factory=list)

    @property
    def changed_count(self) -> int:
        return sum(h.changed_count for h in self.hunks)

    @property
    def added_count(self) -> int:
        return sum(1 for h in self.hunks for ln in h.lines if ln.kind is LineKind.ADDED)

    @property
    def removed_count(self) -> int:
        return sum(1 for h in self.hunks for ln in h.lines if ln.kind is LineKind.REMOVED)

    def new_side_lines(self) -> dict[int, str]:
        """New-side line number -> text, for every added or context line in the hunks."""
        return {ln.new_no: ln.text for h in self.hunks for ln in h.lines if ln.new_no is not None}


@dataclass(slots=True)
class Diff:
    files: list[FileDiff] = field(default_factory=list)

    @property
    def changed_count(self) -> int:
        return sum(f.changed_count for f in self.files)

    def file(self, path: str) -> FileDiff | None:
        """The file at `path`, preferring the entry with new-side content.

        Git prints a symlink <-> file change as two blocks for one path, a deletion and an
        addition; the addition is the one comments can anchor to.
        """
        found = None
        for f in self.files:
            if f.path == path:
                if f.status is not FileStatus.DELETED:
                    return f
                found = found or f
        return found
