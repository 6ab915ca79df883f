"""Make a model's suggestion safe to commit as it stands, or say it is text only.

A suggestion replaces lines `line..end_line` of the new file. Models drop or change the
indentation, copy diff markers, line numbers and code fences around the code, repeat the lines
unchanged, or write a replacement for a different range than the one they cite. One accepted
click on such a block breaks the file, so every reporter gets the text from here: cleaned,
re-indented to the lines it replaces, and marked committable only when it fits them.
"""

from __future__ import annotations

import ast
import itertools
import json
import re
import tomllib
import warnings
from collections.abc import Callable
from dataclasses import dataclass

_FENCE_OPEN = re.compile(r"^\s*(`{3,}|~{3,})[\w+#.-]*\s*$")
# `<new line number> <marker><code>` as the review prompt shows lines. The number ends at a
# space or a marker, so code that starts with a number (`1,`) is not taken for a gutter.
_NUMBERED = re.compile(r"^\s*(\d+)(?: ([+\- ])|([+\-])|(?=\s)|$)(.*)$")


@dataclass(frozen=True)
class Suggestion:
    """The suggestion to show: `text` is None when it was dropped (nothing to suggest)."""

    text: str | None
    committable: bool
    note: str | None = None  # why it is text only or dropped, for logs and tests


def _lines(text: str) -> list[str]:
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _strip_fences(lines: list[str]) -> list[str]:
    while lines and not lines[0].strip():
        lines = lines[1:]
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    if len(lines) >= 2:
        opened = _FENCE_OPEN.match(lines[0])
        if opened and lines[-1].strip() == opened.group(1)[0] * len(opened.group(1)):
            return lines[1:-1]
    return lines


def _strip_line_numbers(lines: list[str], first: int, count: int) -> list[str]:
    """Drop a `12 +code` gutter copied from the prompt: consecutive numbers near the range."""
    body = [ln for ln in lines if ln.strip()]
    matches = [_NUMBERED.match(ln) for ln in body]
    if not body or not all(matches):
        return lines
    numbers = [int(m.group(1)) for m in matches if m]
    consecutive = all(b == a + 1 for a, b in itertools.pairwise(numbers))
    if not consecutive or not first - 3 <= numbers[0] <= first + count:
        return lines
    out = []
    for ln in lines:
        m = _NUMBERED.match(ln) if ln.strip() else None
        if m is None:
            out.append(ln)
        elif (m.group(2) or m.group(3)) != "-":  # a removed line is not in the replacement
            out.append(m.group(4))
    return out


def _strip_diff_gutter(lines: list[str]) -> list[str]:
    """Drop `+`/`-` markers copied from a diff: `-` lines go, `+` and context lose a column."""
    body = [ln for ln in lines if ln.strip()]
    if not body or not any(ln.startswith("+") for ln in body):
        return lines
    if any(ln.startswith(("+++", "---")) for ln in body):
        return lines
    all_marked = all(ln.startswith(("+", "-")) for ln in body)
    # Context lines (a leading space) only count as a gutter in a real diff: both + and -.
    diff_like = any(ln.startswith("-") for ln in body) and all(
        ln.startswith(("+", "-", " ")) for ln in body
    )
    if not (all_marked or diff_like):
        return lines
    return [ln[1:] for ln in lines if not ln.startswith("-")]


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t"))]


def _unit(indents: list[str], default: int = 4) -> int:
    """The indentation step in spaces: the smallest positive difference between levels."""
    widths = sorted({len(i.expandtabs(default)) for i in indents})
    steps = [b - a for a, b in itertools.pairwise(widths) if b > a]
    step = min(steps) if steps else (widths[0] if widths and widths[0] else default)
    return step if 1 < step <= 8 else default


def _columns(indent: str, tab: int) -> int:
    return len(indent.expandtabs(tab))


def _make_indent(columns: int, use_tabs: bool, tab: int) -> str:
    if use_tabs:
        return "\t" * (columns // tab) + " " * (columns % tab)
    return " " * columns


def _reindent(
    lines: list[str], replaced: list[str], context: list[str]
) -> tuple[list[str], bool] | None:
    """The lines moved to the indentation of `replaced`, with tabs where it has tabs.

    The second value is False when a later line steps out of the block the replaced lines live
    in. None when there is nothing to align to (no code in either).
    """
    original = [ln for ln in replaced if ln.strip()]
    body = [ln for ln in lines if ln.strip()]
    if not original or not body:
        return None
    use_tabs = original[0].startswith("\t") or (
        not original[0].startswith(" ") and any(ln.startswith("\t") for ln in original + context)
    )
    file_unit = _unit([_indent(ln) for ln in original + context if ln.strip()])
    # Tabs in the model's text are counted at the file's step; spaces at the model's own step,
    # so a 2-space suggestion for a tab-indented file still lands a tab per level.
    tab = file_unit
    given = [_indent(ln) for ln in body]
    if use_tabs and not any("\t" in i for i in given):
        model_unit = _unit(given, default=file_unit)
        levels = [_columns(i, tab) / model_unit * tab for i in given]
    else:
        levels = [float(_columns(i, tab)) for i in given]
    base = _columns(_indent(original[0]), tab)
    shift = base - levels[0]
    out: list[str] = []
    index = 0
    for ln in lines:
        if not ln.strip():
            out.append("")
            continue
        columns = max(0, round(levels[index] + shift))
        index += 1
        out.append(_make_indent(columns, use_tabs, tab) + ln.lstrip(" \t"))
    # The suggestion may not reach further left than the replaced lines do.
    floor = min(_columns(_indent(ln), tab) for ln in original)
    inside = min(levels) + shift >= floor
    return out, inside


def _parses(path: str | None) -> Callable[[str], bool] | None:
    """A parser check for the file type, where the standard library has one."""
    if path is None:
        return None
    lowered = path.lower()

    def python(text: str) -> bool:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarning on odd escapes is not our business
            try:
                ast.parse(text)
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                return False
        return True

    def json_ok(text: str) -> bool:
        try:
            json.loads(text)
        except (ValueError, RecursionError):
            return False
        return True

    def toml_ok(text: str) -> bool:
        try:
            tomllib.loads(text)
        except (tomllib.TOMLDecodeError, RecursionError):
            return False
        return True

    if lowered.endswith((".py", ".pyi")):
        return python
    if lowered.endswith(".json"):
        return json_ok
    if lowered.endswith(".toml"):
        return toml_ok
    return None


def checkable(path: str) -> bool:
    """Whether a suggestion for `path` is checked by parsing the whole new file."""
    return _parses(path) is not None


def _same_code(line: str, neighbour: str) -> bool:
    """The same statement: a lone `}` or `)` repeated next to the range is normal."""
    return any(c.isalnum() for c in neighbour) and line.split() == neighbour.split()


def normalise(
    suggestion: str | None,
    replaced: list[str],
    *,
    path: str | None = None,
    line: int | None = None,
    new_text: str | None = None,
    known: dict[int, str] | None = None,
) -> Suggestion:
    """The safe form of `suggestion` for lines `line..line+len(replaced)-1` of `path`.

    `replaced` are those lines as the diff shows them (empty for a finding without a line);
    `new_text` is the whole new file when it is at hand; `known` are the new-side lines of the
    file that the diff shows (number -> code), used when the whole file is not.
    """
    if suggestion is None:
        return Suggestion(None, False)
    if not replaced or line is None:
        return Suggestion(suggestion, False, "no lines to replace")
    original = [ln.rstrip() for ln in replaced]
    file_lines = _lines(new_text) if new_text is not None else None
    if (
        file_lines is not None
        and [ln.rstrip() for ln in file_lines[line - 1 : line - 1 + len(replaced)]] != original
    ):
        file_lines = None  # another version of the file than the diff's: don't judge by it
    if file_lines is not None:
        known = {n: text for n, text in enumerate(file_lines, start=1)}
    known = known or {}

    cleaned = _strip_fences(_lines(suggestion))
    cleaned = _strip_line_numbers(cleaned, line, len(replaced))
    cleaned = [ln.rstrip() for ln in _strip_diff_gutter(cleaned)]
    if not any(ln.strip() for ln in cleaned):
        if suggestion.strip():  # only fences or markers: nothing of the model's code is left
            return Suggestion(None, False, "nothing but markup")
        # An empty suggestion deletes the lines; GitHub and SARIF both accept that.
        return Suggestion("", True)
    # A longer suggestion that repeats the line before or after the range was written for a
    # wider range than the finding cites: shown as text, aligned to where it starts.
    body = [ln for ln in cleaned if ln.strip()]
    wider = len(body) > len([ln for ln in original if ln.strip()])
    before = known.get(line - 1, "")
    repeats_before = wider and _same_code(body[0], before)
    repeats_after = wider and _same_code(body[-1], known.get(line + len(replaced), ""))
    aligned = [before, *replaced] if repeats_before else replaced
    placed = _reindent(cleaned, aligned, list(known.values()))
    inside = True
    if placed is not None:
        cleaned, inside = placed
    if cleaned == original:
        return Suggestion(None, False, "identical to the lines it replaces")
    text = "\n".join(cleaned)
    if repeats_before or repeats_after:
        return Suggestion(text, False, "covers lines outside line..end_line")
    if not inside:
        return Suggestion(text, False, "reaches outside the block of the lines it replaces")
    check = _parses(path)
    if file_lines is not None and check is not None and check("\n".join(file_lines)):
        applied = [*file_lines[: line - 1], *cleaned, *file_lines[line - 1 + len(replaced) :]]
        if not check("\n".join(applied)):
            return Suggestion(text, False, "the file would not parse with it")
    return Suggestion(text, True)
