"""What a diff source hands the planner: the diff, and the files it could not turn into one.

Every source (a diff file or stdin, git, whole files, a pull request) is a `DiffSource`: the
command line picks one by its flags, and anything new (an incremental review since the last
reviewed commit, the evaluation command's cases) plugs in as one more.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from reviewbot.diffmodel import Diff
from reviewbot.findings import SkippedFile
from reviewbot.rules import Reader


@dataclass
class Change:
    diff: Diff
    # Files the source saw but could not put in the diff (binary, no patch from GitHub, ...).
    skipped: list[SkippedFile] = field(default_factory=list)
    # Files as they are on each side, where the source can read them: `base` is where the
    # owners' rules (AGENTS.md) are read, never the change itself; `head` is the new side, to
    # check that a suggestion leaves a file parsing.
    base: Reader | None = None
    head: Reader | None = None

    @property
    def empty(self) -> bool:
        return not self.diff.files and not self.skipped


class DiffSource(Protocol):
    def read(self) -> Change:
        """The change, or a UserError saying why it cannot be read."""
        ...
