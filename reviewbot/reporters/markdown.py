"""A Markdown report for a job summary or a pull request comment.

Titles, bodies, categories and reasons come from the model (or from error messages) and are
untrusted: outside code spans, `<` is escaped so no HTML tag or `<!--` comment survives, and
`@name` gets a zero-width joiner after the `@` so nobody is pinged. Nothing from the model may
load or link remote content: images become code, URLs (bare, `<autolinks>`, `www.`) become code
spans, and brackets are escaped so no link, image or link definition can form. A fenced block
the model left open is closed so it cannot swallow the rest of the report.
"""

from __future__ import annotations

import re
from itertools import groupby

from reviewbot.findings import FailedChunk, Finding, ReviewResult, Severity, SkippedFile
from reviewbot.i18n import _, ngettext
from reviewbot.reporters.base import Reporter
from reviewbot.reporters.labels import (
    SEVERITIES,
    changed_note,
    counts,
    filtered_line,
    line_span,
    list_sep,
    one_line,
    ordered,
    score_label,
    severity_name,
    stats_line,
    suggestion_label,
)

ICON = {
    Severity.CRITICAL: "🔴",
    Severity.HIGH: "🟠",
    Severity.MEDIUM: "🟡",
    Severity.LOW: "🔵",
}
ZWJ = "\u200d"
FOLD_AT = 600
_MENTION = re.compile(r"(?<![\w@/.+-])@(?=[A-Za-z0-9])")
_FENCE = re.compile(r"^( {0,3})(`{3,}|~{3,})(.*)$")


# GFM's autolinks: <scheme:...>, then the extended ones (http://, https://, ftp://, www.).
_AUTOLINK = r"<[A-Za-z][A-Za-z0-9+.-]{1,31}:[^<>\s`]*>"
_IMAGE = r"!\[[^\]\n]*\]\([^)\n]*\)"
_URL = r"(?:(?:https?|ftp)://|www\.)[^\s<>`]+"
_REMOTE = re.compile(f"(?P<auto>{_AUTOLINK})|(?P<image>{_IMAGE})|(?P<url>{_URL})", re.IGNORECASE)
# An unescaped `[`, `]` or backtick (after an even run of backslashes).
_ACTIVE = re.compile(r"(?<!\\)((?:\\\\)*)([\[\]`])")
# Characters GFM drops from the end of an extended autolink.
_URL_TAIL = "?!.,:*_~'\""


def _escape_text(text: str) -> str:
    """Plain model text: no HTML, no pings, no links, images or code spans of its own."""
    text = _ACTIVE.sub(lambda m: f"{m.group(1)}\\{m.group(2)}", text)
    return _MENTION.sub("@" + ZWJ, text.replace("<", "&lt;"))


def _inert_url(url: str) -> str:
    """A URL as a code span (GFM never links inside code), keeping trailing punctuation out."""
    tail = ""
    while url and (url[-1] in _URL_TAIL or (url[-1] == ")" and url.count(")") > url.count("("))):
        tail, url = url[-1] + tail, url[:-1]
    return (code_span(url) if url else "") + _escape_text(tail)


def _escape_plain(text: str) -> str:
    out: list[str] = []
    last = 0
    for match in _REMOTE.finditer(text):
        before = _escape_text(text[last : match.start()])
        if (len(before) - len(before.rstrip("\\"))) % 2:  # would escape our code span's tick
            before += "\\"
        out.append(before)
        if match.group("auto"):
            out.append(code_span(match.group("auto")[1:-1]))
        elif match.group("image"):
            out.append(code_span(match.group("image")))
        else:
            out.append(_inert_url(match.group("url")))
        last = match.end()
    out.append(_escape_text(text[last:]))
    return "".join(out)


def _escape_line(line: str) -> str:
    """Escape one line outside its code spans; a span must open and close on the line."""
    out: list[str] = []
    plain_from = i = 0
    while i < len(line):
        if line[i] != "`":
            i += 1
            continue
        end = i
        while end < len(line) and line[end] == "`":
            end += 1
        escaped = (i - len(line[:i].rstrip("\\"))) % 2 == 1
        close = None if escaped else re.compile(rf"(?<!`)`{{{end - i}}}(?!`)").search(line, end)
        if close is None:
            i = end
            continue
        out.append(_escape_plain(line[plain_from:i]))
        out.append(line[i : close.end()])
        i = plain_from = close.end()
    out.append(_escape_plain(line[plain_from:]))
    return "".join(out)


def neutralise(text: str) -> str:
    """Make untrusted text safe to embed in Markdown.

    Outside code, `<` becomes `&lt;` (no raw HTML, no hidden `<!--` comments) and `@name`
    becomes `@`+ZWJ+`name` (no pings). Code spans and fenced blocks opened at column 0 stay
    verbatim, since Markdown renders them literally; a fence left open is closed at the end.
    """
    out: list[str] = []
    fence: tuple[str, int, bool] | None = None  # (char, length, verbatim)
    for line in text.split("\n"):
        match = _FENCE.match(line)
        if fence is not None:
            char, size, verbatim = fence
            if (
                match
                and match.group(2)[0] == char
                and len(match.group(2)) >= size
                and not match.group(3).strip()
            ):
                fence = None
                out.append(line)
            else:
                out.append(line if verbatim else _escape_line(line))
            continue
        if match and not (match.group(2)[0] == "`" and "`" in match.group(3)):
            verbatim = match.group(1) == ""
            fence = (match.group(2)[0], len(match.group(2)), verbatim)
            out.append(line if verbatim else "".join(match.group(1, 2)) + _escape_line(match[3]))
            continue
        out.append(_escape_line(line))
    if fence is not None:
        out.append(fence[0] * fence[1])
    return "\n".join(out)


def details(summary: str, body: str) -> str:
    """A folded block; the blank lines let GitHub render the Markdown inside it."""
    return f"<details>\n<summary>{summary}</summary>\n\n{body}\n\n</details>"


def fold(text: str, limit: int = FOLD_AT) -> str:
    """Neutralised Markdown over `limit` characters: the first paragraph stays, the rest folds
    into a `<details>` block (neutralised text cannot close it: it has no raw HTML)."""
    if len(text) <= limit:
        return text
    lines = text.split("\n")
    fence: tuple[str, int] | None = None
    for index, line in enumerate(lines):
        match = _FENCE.match(line)
        if fence is not None:
            if match and match.group(2)[0] == fence[0] and len(match.group(2)) >= fence[1]:
                fence = None
            continue
        if match:
            fence = (match.group(2)[0], len(match.group(2)))
        elif not line.strip() and "\n".join(lines[:index]).strip():
            head = "\n".join(lines[:index]).rstrip()
            rest = "\n".join(lines[index:]).strip("\n")
            if not rest.strip():
                return text
            return head + "\n\n" + details(_("Read more"), rest)
    return text


def fence_for(code: str, char: str = "`") -> str:
    """A fence longer than any run of `char` inside `code` (at least three)."""
    longest = max((len(run) for run in re.findall(rf"{re.escape(char)}+", code)), default=0)
    return char * max(3, longest + 1)


def code_span(text: str) -> str:
    """Inline code that survives backticks inside `text`."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def severity_table(result: ReviewResult) -> str:
    tally = counts(result)
    rows = ["| " + _("Severity") + " | " + _("Findings") + " |", "| --- | ---: |"]
    rows += [f"| {ICON[sev]} {severity_name(sev)} | {tally[sev]} |" for sev in SEVERITIES]
    return "\n".join(rows)


def skipped_item(skipped: SkippedFile) -> str:
    reason = neutralise(one_line(skipped.reason))
    return f"- {code_span(skipped.path)} — {reason}{changed_note(skipped.changed_lines)}"


def failed_item(failed: FailedChunk) -> str:
    paths = list_sep().join(code_span(p) for p in failed.paths) or _("no files")
    reason = neutralise(one_line(failed.reason)) + changed_note(failed.changed_lines)
    return "- " + _("chunk {n} ({paths})").format(n=failed.index + 1, paths=paths) + f" — {reason}"


class MarkdownReporter(Reporter):
    name = "markdown"

    def render(self, result: ReviewResult) -> str:
        parts = ["## " + _("reviewbot review"), self._headline(result)]
        if result.findings:
            parts.append(severity_table(result))
        for path, group in groupby(ordered(result.findings), key=lambda f: f.path):
            parts.append("### " + (_("General") if path is None else code_span(path)))
            parts.extend(self._finding(f) for f in group)
        if result.skipped_files:
            parts.append("### " + _("Skipped files"))
            parts.append("\n".join(skipped_item(s) for s in result.skipped_files))
        if result.failed_chunks:
            parts.append("### " + _("Failed chunks"))
            parts.append("\n".join(failed_item(f) for f in result.failed_chunks))
        filtered = filtered_line(result)
        if filtered:
            parts.append(neutralise(filtered) + ".")
        parts.append(f"<sub>{stats_line(result)}</sub>")
        return "\n\n".join(parts) + "\n"

    def _headline(self, result: ReviewResult) -> str:
        score = _("Score: {score}").format(score=score_label(result))
        total = len(result.findings)
        line = f"**{score}** · " + ngettext("{n} finding", "{n} findings", total).format(n=total)
        if result.model:
            line += " · " + _("model {name}").format(name=code_span(one_line(result.model)))
        return line

    def _finding(self, finding: Finding) -> str:
        title = neutralise(one_line(finding.title)) or _("(untitled)")
        blocks = [f"#### {ICON[finding.severity]} {severity_name(finding.severity)} · {title}"]
        where = []
        if finding.path is not None:
            span = line_span(finding)
            where.append(
                _("line {span}").format(span=span.replace("-", "–")) if span else _("whole file")
            )
        if finding.category:
            where.append(code_span(one_line(finding.category)))
        if where:
            blocks.append(" · ".join(where))
        if finding.body.strip():
            blocks.append(fold(neutralise(finding.body.strip())))
        if finding.suggestion == "":
            blocks.append(_("Suggested replacement: delete these lines."))
        elif finding.suggestion is not None:
            code = finding.suggestion.removesuffix("\n")
            fence = fence_for(code)
            blocks.append(suggestion_label(finding) + f"\n\n{fence}\n{code}\n{fence}")
        return "\n\n".join(blocks)
