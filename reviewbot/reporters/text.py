"""The report for people: a one-line summary, findings grouped by file with their code (the
files with the worst findings first), then the full statistics.
"""

from __future__ import annotations

import re
from io import StringIO

from rich.console import Console
from rich.padding import Padding
from rich.text import Text

from reviewbot.findings import Finding, ReviewResult, Severity
from reviewbot.i18n import _, ngettext, pgettext
from reviewbot.reporters.base import Reporter
from reviewbot.reporters.labels import (
    SEVERITIES,
    by_worst_file,
    compact_line,
    counts,
    failed_label,
    failure_summary,
    filtered_line,
    location_label,
    nothing_reviewed,
    one_line,
    ordered,
    score_label,
    severity_name,
    skipped_label,
    suggestion_label,
    summary_line,
    token_line,
    work_line,
)

_STYLE = {
    Severity.CRITICAL: "bold white on red",
    Severity.HIGH: "bold red",
    Severity.MEDIUM: "bold yellow",
    Severity.LOW: "bold cyan",
}
# Terminal control characters other than newline and tab; rich only strips a few of them,
# and an ESC from model text could rewrite the user's terminal.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _indent(text: Text, spaces: int) -> Padding:
    return Padding(text, (0, 0, 0, spaces), expand=False)


def _clean(text: str) -> str:
    text = text.replace("\r\n", "\n")
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


class TextReporter(Reporter):
    """Rich text for a terminal; model text is never parsed as rich markup."""

    name = "text"

    def render(self, result: ReviewResult) -> str:
        buffer = StringIO()
        console = Console(
            file=buffer,
            force_terminal=self.options.color,
            no_color=not self.options.color,
            width=self.options.width,
            highlight=False,
            emoji=False,
        )
        if self.options.compact:
            self._compact(console, result)
        else:
            self._full(console, result)
        # rich pads every line of a block to the block's width; nobody wants that whitespace.
        return "\n".join(line.rstrip(" ") for line in buffer.getvalue().split("\n"))

    def _compact(self, console: Console, result: ReviewResult) -> None:
        for finding in ordered(result.findings):
            console.print(Text(_clean(compact_line(finding))), soft_wrap=True)
        for skipped in result.skipped_files:
            line = f"{skipped.path}: " + _("skipped: {reason}").format(
                reason=one_line(skipped.reason)
            )
            console.print(Text(_clean(line)), soft_wrap=True)
        for failed in result.failed_chunks:
            line = f"reviewbot: {one_line(failed_label(failed))}"
            console.print(Text(_clean(line)), soft_wrap=True)
        console.print(Text(f"reviewbot: {summary_line(result)}"), soft_wrap=True)

    def _full(self, console: Console, result: ReviewResult) -> None:
        if result.findings:
            console.print(self._headline(result))
            console.print()
        for path, group in by_worst_file(result.findings):
            header = _("General") if path is None else path
            console.print(Text(_clean(header), style="bold underline"))
            console.print()
            for finding in group:
                self._finding(console, finding)
        if not result.findings:
            console.print(self._no_findings(result))
            console.print()
        self._footer(console, result)

    def _no_findings(self, result: ReviewResult) -> Text:
        if nothing_reviewed(result):
            failed = _clean(failure_summary(result))
            return Text(failed[0].upper() + failed[1:] + ".", style="bold red")
        if result.failed_chunks:
            n = len(result.failed_chunks)
            text = ngettext(
                "No findings in the chunks reviewed; {n} chunk of {total} failed.",
                "No findings in the chunks reviewed; {n} chunks of {total} failed.",
                n,
            ).format(n=n, total=result.stats.chunks)
            return Text(text, style="bold yellow")
        return Text(_("No findings."), style="bold green")

    def _headline(self, result: ReviewResult) -> Text:
        """Score and counts before the findings, so a long report starts with its verdict."""
        line = Text()
        line.append(_("Score {score}").format(score=score_label(result)), style="bold")
        line.append(" · ")
        line.append(self._tally(result))
        if result.skipped_files:
            n = len(result.skipped_files)
            line.append(" · " + ngettext("{n} file skipped", "{n} files skipped", n).format(n=n))
        if result.failed_chunks:
            n = len(result.failed_chunks)
            failed = ngettext("{n} chunk failed", "{n} chunks failed", n).format(n=n)
            line.append(" · " + failed, style="yellow")
        return line

    def _tally(self, result: ReviewResult) -> Text:
        """ "5 findings (1 critical, 2 low)" with each severity in its colour."""
        n = len(result.findings)
        text = Text(ngettext("{n} finding", "{n} findings", n).format(n=n))
        if result.findings:
            text.append(" (").append_text(self._by_severity(result)).append(")")
        return text

    def _by_severity(self, result: ReviewResult) -> Text:
        tally = counts(result)
        text = Text()
        shown = [sev for sev in SEVERITIES if tally[sev]]
        for i, sev in enumerate(shown):
            shown_count = pgettext("count of one severity", "{count} {severity}")
            text.append(
                shown_count.format(count=tally[sev], severity=severity_name(sev)),
                style=_STYLE[sev],
            )
            if i < len(shown) - 1:
                text.append(", ")
        return text

    def _finding(self, console: Console, finding: Finding) -> None:
        head = Text()
        head.append(f" {severity_name(finding.severity).upper()} ", style=_STYLE[finding.severity])
        head.append(" ")
        head.append(_clean(one_line(finding.title)), style="bold")
        console.print(head)
        where = Text(_clean(location_label(finding)), style="dim")
        if finding.context:
            where.append("  [context]", style="yellow")
        if finding.category:
            where.append(f"  [{_clean(one_line(finding.category))}]", style="dim")
        console.print(_indent(where, 2))
        if finding.body.strip():
            console.print(_indent(Text(_clean(finding.body.strip("\n"))), 2))
        if finding.code:
            console.print(_indent(self._code(finding), 2))
        if finding.suggestion is not None:
            console.print(_indent(Text(suggestion_label(finding), style="green"), 2))
            suggestion = Text()
            lines = finding.suggestion.split("\n") if finding.suggestion else []
            for line in lines or [_("(delete these lines)")]:
                suggestion.append("+ ", style="green")
                suggestion.append(_clean(line.rstrip("\r")) + "\n", style="green")
            suggestion.rstrip()
            console.print(_indent(suggestion, 4))
        console.print()

    def _code(self, finding: Finding) -> Text:
        first = finding.line
        width = len(str(first + len(finding.code) - 1)) if first is not None else 0
        code = Text()
        for offset, line in enumerate(finding.code):
            number = f"{first + offset:>{width}}" if first is not None else ""
            code.append(f"{number} │ ", style="dim")
            code.append(_clean(line.rstrip("\r\n")) + "\n")
        code.rstrip()
        return code

    def _footer(self, console: Console, result: ReviewResult) -> None:
        line = Text()
        line.append(_("Score: {score}").format(score=score_label(result)), style="bold")
        if nothing_reviewed(result) and not result.findings:
            line.append("   " + _("Review failed"), style="bold red")
        else:
            line.append("   " + _("Findings: {n}").format(n=len(result.findings)))
        if result.findings:
            line.append(" (").append_text(self._by_severity(result)).append(")")
        console.print(line)
        if result.model:
            console.print(Text(_("Model: {name}").format(name=_clean(result.model))))
        console.print(Text(_("Stats: {line}").format(line=work_line(result))))
        console.print(Text(_("Tokens: {line}").format(line=token_line(result))))
        filtered = filtered_line(result)
        if filtered:
            console.print(Text(_("Filtered: {line}").format(line=filtered)))
        stats = result.stats
        if stats.changed_lines:
            coverage = _("Reviewed {reviewed} of {changed} changed lines").format(
                reviewed=f"{stats.reviewed_lines:,}", changed=f"{stats.changed_lines:,}"
            )
            if stats.skipped_lines:
                skipped = _("{n} skipped").format(n=f"{stats.skipped_lines:,}")
                coverage += pgettext("parenthesis", " ({text})").format(text=skipped)
            console.print(Text(coverage))
        self._problems(
            console, _("Skipped files"), [skipped_label(s) for s in result.skipped_files]
        )
        self._problems(console, _("Failed chunks"), [failed_label(f) for f in result.failed_chunks])

    def _problems(self, console: Console, title: str, lines: list[str]) -> None:
        if not lines:
            return
        heading = _("{title} ({n}):").format(title=title, n=len(lines))
        console.print(Text(heading, style="bold yellow"))
        for line in lines:
            console.print(_indent(Text(_clean(line)), 2))
