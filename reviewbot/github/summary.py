"""The review's summary: the one body per pull request that re-runs update in place.

Made to triage from: the score and why, every finding as a row (severity, title, a link to its
lines, whether it is commented inline and why not) grouped most severe first, what was fixed
since the last review, the text of the findings that have no inline comment, the files not
reviewed, and one plain line of usage. Model text goes through `safe_text`; the only links are
the ones built here, to the pull request's own files.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import quote

from reviewbot.findings import FailedChunk, Finding, ReviewResult, Severity
from reviewbot.github.comments import CommentPlan, safe_text
from reviewbot.github.pullsource import PullInfo
from reviewbot.i18n import _, ngettext, pgettext
from reviewbot.reporters.labels import (
    SEVERITIES,
    changed_note,
    cost_text,
    filtered_line,
    last_line,
    list_sep,
    one_line,
    ordered,
    severity_name,
)
from reviewbot.reporters.markdown import (
    ICON,
    code_span,
    details,
    fold,
    neutralise,
)

SUMMARY_MARKER = "<!-- reviewbot:summary -->"
MAX_SUMMARY = 60_000
MAX_ITEM_BODY = 4_000
# Severities whose rows start folded.
FOLDED = frozenset({Severity.LOW})


@dataclass(frozen=True)
class Resolved:
    """A finding an earlier review raised that this one no longer does, on code since changed."""

    severity: Severity
    title: str  # as the earlier comment showed it (our own, already neutralised, Markdown)
    url: str | None  # its thread
    commit: str  # the head commit that no longer has it


@dataclass(frozen=True)
class SummaryContext:
    pull: PullInfo
    plan: CommentPlan
    inline_refused: str | None = None  # GitHub's reason when inline comments had to move here
    resolved: Sequence[Resolved] = field(default_factory=tuple)
    scope_line: str | None = None  # what this run looked at: "reviewed abc1234…def5678: ..."
    record: str = ""  # the hidden run record (runrecord.py) the next run builds on


def severity_heading(severity: Severity) -> str:
    names = {
        Severity.CRITICAL: pgettext("heading", "Critical"),
        Severity.HIGH: pgettext("heading", "High"),
        Severity.MEDIUM: pgettext("heading", "Medium"),
        Severity.LOW: pgettext("heading", "Low"),
    }
    return names[severity]


def _cell(text: str) -> str:
    """Table cells end at an unescaped pipe, even inside code spans."""
    return text.replace("|", "\\|")


def _diff_anchor(path: str) -> str:
    return "diff-" + hashlib.sha256(path.encode("utf-8")).hexdigest()


def where(pull: PullInfo, plan: CommentPlan, finding: Finding) -> str:
    """`path#L12-L14`, linked into the pull request's diff when the line is shown there, else
    to the file at the head commit; empty for a finding about the change as a whole."""
    path = finding.path
    if path is None:
        return ""
    line = finding.line if finding.line is not None else finding.cited_line
    end = last_line(finding) if finding.line is not None else None
    label, blob = path, f"{pull.repo_html_url}/blob/{pull.head_sha}/{quote(path)}"
    if line is None:
        return f"[{code_span(label)}]({blob})"
    label += f"#L{line}" + (f"-L{end}" if end else "")
    if plan.anchors is not None and line in plan.anchors.lines(path):
        url = f"{pull.html_url}/files#{_diff_anchor(path)}R{line}" + (f"-R{end}" if end else "")
    else:
        url = f"{blob}#L{line}" + (f"-L{end}" if end else "")
    return f"[{code_span(label)}]({url})"


def not_inline_reason(finding: Finding, ctx: SummaryContext) -> str | None:
    """Why a finding has no inline comment; None when it has one (now or from an earlier run)."""
    plan = ctx.plan
    if any(finding is c.finding for c in plan.inline):
        if ctx.inline_refused:
            return _("GitHub refused the inline comments")
        return None
    if any(finding is f for f in plan.already_posted):
        return None
    if any(finding is f for f in plan.overflow):
        return _("over the limit of inline comments (max-comments)")
    if finding.path is None:
        return _("about the change as a whole, or a file outside the diff")
    if finding.anchor == "file":
        if finding.cited_line is not None:
            return _("line {line} is outside the diff").format(line=finding.cited_line)
        return _("no line of the diff given")
    return _("GitHub cannot comment on these lines")


def _comment_cell(finding: Finding, ctx: SummaryContext) -> str:
    if any(finding is f for f in ctx.plan.already_posted):
        return _("inline, since an earlier commit")
    reason = not_inline_reason(finding, ctx)
    if reason is None:
        return _("inline")
    return _("below: {reason}").format(reason=reason)


def _title(finding: Finding) -> str:
    return safe_text(one_line(finding.title)) or _("(untitled)")


def _table(findings: list[Finding], ctx: SummaryContext) -> str:
    head = [_("Finding"), _("Where"), _("Comment")]
    rows = [
        "| " + " | ".join(head) + " |",
        "| --- | --- | --- |",
    ]
    for finding in findings:
        link = where(ctx.pull, ctx.plan, finding) or "—"
        cells = [_title(finding), link, _comment_cell(finding, ctx)]
        rows.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(rows)


def _severity_group(severity: Severity, findings: list[Finding], ctx: SummaryContext) -> str:
    heading = f"{ICON[severity]} {severity_heading(severity)} · {len(findings)}"
    table = _table(findings, ctx)
    if severity in FOLDED:
        return details(heading, table)
    return f"### {heading}\n\n{table}"


def _score_line(result: ReviewResult) -> str:
    score = _("n/a") if result.score is None else f"{result.score}/10"
    line = "**" + _("Score: {score}").format(score=score) + "**"
    tally = {sev: sum(1 for f in result.findings if f.severity is sev) for sev in SEVERITIES}
    if not result.findings:
        return line + " — " + _("no findings")
    counts = list_sep().join(
        pgettext("count of one severity", "{count} {severity}").format(
            count=n, severity=severity_name(sev)
        )
        for sev, n in tally.items()
        if n
    )
    total = ngettext("{n} finding", "{n} findings", len(result.findings))
    return line + " — " + total.format(n=len(result.findings)) + pgettext("colon", ": ") + counts


def _context_line(result: ReviewResult, ctx: SummaryContext) -> str:
    parts = [_("commit {sha}").format(sha=code_span(ctx.pull.head_sha[:7]))]
    if result.model:
        parts.append(_("model {name}").format(name=code_span(one_line(result.model))))
    inline = 0 if ctx.inline_refused else len(ctx.plan.inline)
    parts.append(ngettext("{n} inline comment", "{n} inline comments", inline).format(n=inline))
    if ctx.plan.overflow:
        over = len(ctx.plan.overflow)
        parts.append(_("{n} over the limit of inline comments").format(n=over))
    if ctx.plan.already_posted:
        earlier = len(ctx.plan.already_posted)
        parts.append(
            ngettext(
                "{n} finding commented on earlier, not repeated",
                "{n} findings commented on earlier, not repeated",
                earlier,
            ).format(n=earlier)
        )
    return " · ".join(parts)


def _not_inline_item(finding: Finding, reason: str, ctx: SummaryContext) -> str:
    head = f"{ICON[finding.severity]} **{_title(finding)}**"
    link = where(ctx.pull, ctx.plan, finding)
    if link:
        head += f" · {link}"
    head += f" — {reason}"
    text = finding.body.strip()
    if len(text) > MAX_ITEM_BODY:
        text = text[:MAX_ITEM_BODY].rstrip() + "…"
    body = safe_text(text)  # after the cut, so a fence the cut opened is closed
    return f"{head}\n\n{fold(body)}" if body else head


def _resolved_item(item: Resolved) -> str:
    title = neutralise(one_line(item.title)) or _("(untitled)")
    shown = f"[{title}]({item.url})" if item.url else title
    fixed = _("addressed in {sha}").format(sha=code_span(item.commit[:7]))
    return f"- {ICON[item.severity]} {severity_name(item.severity)} · {shown} — {fixed}"


def _failed_item(failed: FailedChunk) -> str:
    paths = list_sep().join(code_span(p) for p in failed.paths) or "—"
    reason = neutralise(one_line(failed.reason))
    why = (
        _("left out by the token budget (--max-tokens)")
        if failed.unsent
        else _("the model request failed: {reason}").format(reason=reason)
    )
    return f"- {paths} — {why}{changed_note(failed.changed_lines)}"


def _not_reviewed(result: ReviewResult) -> str | None:
    items = [
        f"- {code_span(s.path)} — {neutralise(one_line(s.reason))}" + changed_note(s.changed_lines)
        for s in result.skipped_files
    ]
    items += [_failed_item(f) for f in result.failed_chunks]
    if not items:
        return None
    heading = _("Files not reviewed") + f" · {len(items)}"
    return details(heading, "\n".join(items))


def usage_line(result: ReviewResult) -> str:
    """One plain line: what was reviewed and what it used."""
    stats = result.stats
    parts = [
        ngettext("reviewed {n} file", "reviewed {n} files", stats.reviewed_files).format(
            n=stats.reviewed_files
        ),
        ngettext("{n} changed line", "{n} changed lines", stats.reviewed_lines).format(
            n=f"{stats.reviewed_lines:,}"
        ),
        _("{prompt} + {completion} tokens").format(
            prompt=f"{stats.prompt_tokens:,}", completion=f"{stats.completion_tokens:,}"
        ),
    ]
    cost = cost_text(result)
    if cost is not None:
        parts.append(_("≈ {cost}").format(cost=cost))
    return pgettext("clause separator", ", ").join(parts)


def render_summary(result: ReviewResult, ctx: SummaryContext) -> str:
    head = [
        SUMMARY_MARKER,
        "## " + _("reviewbot review"),
        _score_line(result) + "  \n" + _context_line(result, ctx),
    ]
    if ctx.scope_line:
        head.append(safe_text(ctx.scope_line))
    if ctx.inline_refused:
        head.append(
            _("GitHub refused the inline comments ({reason}); they are listed below.").format(
                reason=safe_text(one_line(ctx.inline_refused))
            )
        )
    middle: list[str] = []
    findings = ordered(result.findings)
    for severity in SEVERITIES:
        group = [f for f in findings if f.severity is severity]
        if group:
            middle.append(_severity_group(severity, group, ctx))
    if ctx.resolved:
        middle.append("### " + _("Resolved since the last review"))
        middle.append("\n".join(_resolved_item(r) for r in ctx.resolved))
    elsewhere = [
        (f, reason)
        for f in sorted(findings, key=lambda f: -f.severity.rank)
        if (reason := not_inline_reason(f, ctx)) is not None
    ]
    if elsewhere:
        middle.append("### " + _("Not commented inline"))
        middle.extend(_not_inline_item(f, reason, ctx) for f, reason in elsewhere)
    filtered = filtered_line(result)
    filtered_note = safe_text(filtered) + "." if filtered else None
    tail = [part for part in (_not_reviewed(result), filtered_note, usage_line(result)) if part]
    # Whole blocks only, so no table, fence or <details> is cut in half.
    room = MAX_SUMMARY - len(ctx.record) - sum(len(p) + 2 for p in head + tail) - 200
    for index, part in enumerate(middle):
        room -= len(part) + 2
        if room < 0:
            note = _("summary cut short: GitHub limits a review body to 65,536 characters")
            middle[index:] = [f"*({note})*"]
            break
    body = "\n\n".join(head + middle + tail) + "\n"
    return body + (ctx.record + "\n" if ctx.record else "")


def render_followup(result: ReviewResult, ctx: SummaryContext, summary_url: str) -> str:
    """The short review a later run posts with its new inline comments: what they are (severity,
    title, link), what was resolved, and where the full summary is."""
    new = [c.finding for c in ctx.plan.inline]
    count = len(new)
    sha = code_span(ctx.pull.head_sha[:7])
    lines = [
        ngettext(
            "reviewbot: {n} new finding on {sha}", "reviewbot: {n} new findings on {sha}", count
        ).format(n=count, sha=sha)
    ]
    if ctx.inline_refused:
        lines[0] += pgettext("colon", ": ") + _("GitHub refused the inline comments")
    items = [
        f"- {ICON[f.severity]} {severity_name(f.severity)} · **{_title(f)}**"
        + (f" · {link}" if (link := where(ctx.pull, ctx.plan, f)) else "")
        for f in sorted(new, key=lambda f: -f.severity.rank)
    ]
    if ctx.resolved:
        done = len(ctx.resolved)
        items.append(
            "- ✅ "
            + ngettext(
                "{n} earlier finding addressed", "{n} earlier findings addressed", done
            ).format(n=done)
        )
    parts = [lines[0]]
    if items:
        parts.append("\n".join(items))
    parts.append(_("The summary, updated in place: {url}").format(url=summary_url))
    return "\n\n".join(parts)
