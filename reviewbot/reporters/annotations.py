"""GitHub Actions workflow commands: one annotation a finding.

`::error file=F,line=L,endLine=E,title=T::message`; critical and high → error, medium →
warning, low → notice; file-level findings have no line, general findings no file. Data is
escaped (`%`, CR, LF) and property values also (`:`, `,`), so nothing in model text can end the
line and start a second workflow command.

GitHub shows only 10 annotations of each level per step (the rest appear only in the log), so
findings come most severe first, then failed chunks (warnings) and skipped files (notices).
When a level overflows, a notice gives the totals. It is the last line unless there are ten or
more notices already, in which case it becomes the tenth notice so that it is still shown.
"""

from __future__ import annotations

from reviewbot.findings import Finding, ReviewResult, Severity
from reviewbot.i18n import _
from reviewbot.reporters.base import Reporter
from reviewbot.reporters.labels import (
    failed_label,
    last_line,
    one_line,
    ordered,
    severity_name,
    suggestion_label,
    summary_line,
)

LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "notice",
}
SHOWN_PER_LEVEL = 10


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(level: str, message: str, properties: dict[str, str | int | None]) -> str:
    fields = ",".join(
        f"{key}={escape_property(str(value))}"
        for key, value in properties.items()
        if value is not None
    )
    return f"::{level}{' ' + fields if fields else ''}::{escape_data(message)}"


def _annotation(finding: Finding) -> str:
    message = finding.body.strip() or one_line(finding.title)
    if finding.suggestion is not None:
        replacement = finding.suggestion or _("(delete these lines)")
        message += "\n\n" + suggestion_label(finding) + "\n" + replacement
    located = finding.path is not None
    return command(
        LEVEL[finding.severity],
        message,
        {
            "file": finding.path,
            "line": finding.line if located else None,
            "endLine": last_line(finding) if located else None,
            "title": f"{severity_name(finding.severity)}: {one_line(finding.title)}",
        },
    )


class AnnotationsReporter(Reporter):
    name = "github"

    def render(self, result: ReviewResult) -> str:
        findings = sorted(ordered(result.findings), key=lambda f: -f.severity.rank)
        lines = [(LEVEL[f.severity], _annotation(f)) for f in findings]
        for failed in result.failed_chunks:
            title = "reviewbot: " + _("a chunk was not reviewed")
            lines.append(("warning", command("warning", failed_label(failed), {"title": title})))
        for skipped in result.skipped_files:
            props: dict[str, str | int | None] = {
                "file": skipped.path,
                "title": "reviewbot: " + _("file not reviewed"),
            }
            lines.append(("notice", command("notice", skipped.reason, props)))

        levels = [level for level, _ in lines]
        if any(levels.count(level) > SHOWN_PER_LEVEL for level in set(levels)):
            limit = _(
                "GitHub shows only {n} annotations of each level per step; "
                "the job log has them all."
            ).format(n=SHOWN_PER_LEVEL)
            message = f"reviewbot: {summary_line(result)}. {limit}"
            notices = [i for i, level in enumerate(levels) if level == "notice"]
            at = notices[SHOWN_PER_LEVEL - 1] if len(notices) >= SHOWN_PER_LEVEL else len(lines)
            lines.insert(at, ("notice", command("notice", message, {"title": "reviewbot"})))
        return "".join(line + "\n" for _, line in lines)
