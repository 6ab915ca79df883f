"""The review's summary: the one body per pull request that re-runs update in place."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from reviewbot.findings import Finding, ReviewResult
from reviewbot.github.comments import CommentPlan, safe_text
from reviewbot.github.pullsource import PullInfo
from reviewbot.reporters.labels import (
    last_line,
    one_line,
    ordered,
    plural,
    score_label,
    stats_line,
)
from reviewbot.reporters.markdown import (
    ICON,
    code_span,
    failed_item,
    severity_table,
    skipped_item,
)

SUMMARY_MARKER = "<!-- reviewbot:summary -->"
MAX_SUMMARY = 60_000
BODY_PREVIEW = 400


@dataclass(frozen=True)
class SummaryContext:
    pull: PullInfo
    plan: CommentPlan
    inline_refused: str | None = None  # GitHub's reason when inline comments had to move here
    scope_line: str | None = None  # what this run looked at: "reviewed abc1234…def5678: ..."
    record: str = ""  # the hidden run record (runrecord.py) the next run builds on


def blob_link(pull: PullInfo, finding: Finding) -> str:
    assert finding.path is not None
    url = f"{pull.repo_html_url}/blob/{pull.head_sha}/{quote(finding.path)}"
    label = finding.path
    if finding.line is not None:
        end = last_line(finding)
        url += f"#L{finding.line}" + (f"-L{end}" if end and end != finding.line else "")
        label += f":{finding.line}" + (f"-{end}" if end and end != finding.line else "")
    return f"[{code_span(label)}]({url})"


def _finding_item(pull: PullInfo, finding: Finding) -> str:
    where = blob_link(pull, finding) if finding.path else "general"
    title = safe_text(one_line(finding.title)) or "(untitled)"
    line = f"- {ICON[finding.severity]} **{finding.severity.value}** · {where} · {title}"
    body = one_line(finding.body)
    if body:
        if len(body) > BODY_PREVIEW:
            body = body[:BODY_PREVIEW].rstrip() + "…"
        line += f"\n  {safe_text(body)}"
    return line


def render_summary(result: ReviewResult, ctx: SummaryContext) -> str:
    pull, plan = ctx.pull, ctx.plan
    head = (
        f"**Score: {score_label(result)}** · {plural(len(result.findings), 'finding')} · "
        f"commit `{pull.head_sha[:7]}`"
    )
    if result.model:
        head += f" · model {code_span(one_line(result.model))}"
    parts = [SUMMARY_MARKER, "## reviewbot review", head]
    if ctx.scope_line:
        parts.append(safe_text(ctx.scope_line))
    if result.findings:
        parts.append(severity_table(result))
    posted_inline = [] if ctx.inline_refused else plan.inline
    refused_inline = [c.finding for c in plan.inline] if ctx.inline_refused else []
    inline = f"{plural(len(posted_inline), 'inline comment')} on this commit"
    if plan.already_posted:
        inline += (
            f"; {plural(len(plan.already_posted), 'finding')} already commented on earlier "
            "(not repeated)"
        )
    parts.append(inline + ".")
    if ctx.inline_refused:
        parts.append(
            "GitHub refused the inline comments "
            f"({safe_text(one_line(ctx.inline_refused))}); they are listed below instead."
        )
    elsewhere = ordered(refused_inline + plan.unanchored) + ordered(plan.overflow)
    if elsewhere:
        parts.append("### Findings not commented inline")
        if plan.overflow:
            parts.append(
                f"{plural(len(plan.overflow), 'finding')} beyond the inline comment limit "
                "(max-comments): the least severe are listed here."
            )
        parts.append("\n".join(_finding_item(pull, f) for f in elsewhere))
    if result.skipped_files:
        parts.append("### Files not reviewed")
        parts.append("\n".join(skipped_item(s) for s in result.skipped_files))
    if result.failed_chunks:
        parts.append("### Chunks that failed")
        parts.append("\n".join(failed_item(f) for f in result.failed_chunks))
    parts.append(f"<sub>{safe_text(stats_line(result))}</sub>")
    body = "\n\n".join(parts) + "\n"
    room = MAX_SUMMARY - len(ctx.record)
    if len(body) > room:
        cut = body[:room].rsplit("\n- ", 1)[0]
        body = cut + "\n\n*(summary truncated: GitHub limits a review body to 65,536 characters)*\n"
    return body + (ctx.record + "\n" if ctx.record else "")
