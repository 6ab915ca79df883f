"""The numbered text of a hunk as the model sees it: new-side line numbers it can cite."""

from __future__ import annotations

from reviewbot.diffmodel import DiffLine, Hunk, LineKind


def hunk_header(lines: list[DiffLine], section: str = "") -> str:
    old = [ln.old_no for ln in lines if ln.old_no is not None]
    new = [ln.new_no for ln in lines if ln.new_no is not None]
    old_start = old[0] if old else 0
    new_start = new[0] if new else 0
    tail = f" {section}" if section else ""
    return f"@@ -{old_start},{len(old)} +{new_start},{len(new)} @@{tail}"


def format_lines(lines: list[DiffLine], width: int) -> str:
    """`<new number> <marker><code>` a line; removed lines have no new number."""
    blank = " " * width
    # str(kind) is the marker: LineKind is a StrEnum. A list, not a generator: join is faster.
    return "".join(
        [
            f"{blank if new_no is None else str(new_no).rjust(width)} {kind!s}{text}\n"
            for kind, _, new_no, text in lines
        ]
    )


def number_width(hunk: Hunk) -> int:
    return len(str(max(hunk.new_start + hunk.new_count, 1)))


def format_hunk(hunk: Hunk) -> str:
    return hunk.header + "\n" + format_lines(hunk.lines, number_width(hunk))


def is_change(line: DiffLine) -> bool:
    return line.kind is not LineKind.CONTEXT
