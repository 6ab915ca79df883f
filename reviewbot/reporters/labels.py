"""Small helpers every reporter shares: order, counts, labels and one-line summaries."""

from __future__ import annotations

from itertools import groupby

from reviewbot.findings import FailedChunk, Finding, ReviewResult, Severity, SkippedFile
from reviewbot.i18n import _, ngettext, pgettext
from reviewbot.pricing import format_money

SEVERITIES = (Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW)


def severity_name(severity: Severity) -> str:
    """The severity in the review's language (the JSON formats keep `severity.value`)."""
    names = {
        Severity.CRITICAL: pgettext("severity", "critical"),
        Severity.HIGH: pgettext("severity", "high"),
        Severity.MEDIUM: pgettext("severity", "medium"),
        Severity.LOW: pgettext("severity", "low"),
    }
    return names[severity]


def list_sep() -> str:
    return pgettext("list separator", ", ")


def ordered(findings: list[Finding]) -> list[Finding]:
    """Files by path (file-level findings first, then by line), general findings last."""
    return sorted(findings, key=Finding.sort_key)


def by_worst_file(findings: list[Finding]) -> list[tuple[str | None, list[Finding]]]:
    """Findings grouped by file, the file with the most severe finding first (ties by path,
    general findings after files); within a file, file-level findings first, then by line."""
    groups = [(path, list(group)) for path, group in groupby(ordered(findings), key=_path)]

    def worst_first(item: tuple[str | None, list[Finding]]) -> tuple[int, int, str]:
        path, group = item
        worst = max(f.severity.rank for f in group)
        return (-worst, 1 if path is None else 0, path or "")

    return sorted(groups, key=worst_first)


def _path(finding: Finding) -> str | None:
    return finding.path


def counts(result: ReviewResult) -> dict[Severity, int]:
    tally = dict.fromkeys(SEVERITIES, 0)
    for finding in result.findings:
        tally[finding.severity] += 1
    return tally


def one_line(text: str) -> str:
    return " ".join(text.split())


def first_line(text: str) -> str:
    return next((one_line(line) for line in text.splitlines() if line.strip()), "")


def last_line(finding: Finding) -> int | None:
    """The end of a multi-line range; None for a single line or no line."""
    if finding.line is None or finding.end_line is None or finding.end_line <= finding.line:
        return None
    return finding.end_line


def line_span(finding: Finding) -> str:
    """ "12" or "12-14"; empty when the finding has no trusted line."""
    if finding.line is None:
        return ""
    end = last_line(finding)
    return f"{finding.line}-{end}" if end else str(finding.line)


def location_label(finding: Finding) -> str:
    if finding.path is None:
        return _("(general)")
    span = line_span(finding)
    return f"{finding.path}:{span}" if span else finding.path


def compact_line(finding: Finding) -> str:
    """`path:line: severity: title — first line of body`, the form editors and pre-commit parse."""
    where = _("(general)") if finding.path is None else finding.path
    if finding.path is not None and finding.line is not None:
        where = f"{finding.path}:{finding.line}"
    mark = _("[context]") + " " if finding.context else ""
    head = f"{where}: {severity_name(finding.severity)}: {mark}{one_line(finding.title)}"
    summary = first_line(finding.body)
    return f"{head} — {summary}" if summary else head


def plural(count: int, word: str, many: str | None = None) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {many or word + 's'}"


def score_label(result: ReviewResult) -> str:
    return _("n/a") if result.score is None else f"{result.score}/10"


def changed_note(lines: int) -> str:
    """ " (12 changed lines)", or nothing when the count is unknown."""
    if not lines:
        return ""
    count = ngettext("{n} changed line", "{n} changed lines", lines).format(n=lines)
    return pgettext("parenthesis", " ({text})").format(text=count)


def skipped_label(skipped: SkippedFile) -> str:
    return f"{skipped.path} — {skipped.reason}{changed_note(skipped.changed_lines)}"


def failed_label(failed: FailedChunk) -> str:
    paths = list_sep().join(failed.paths) or _("no files")
    note = changed_note(failed.changed_lines)
    label = _("chunk {n} ({paths})").format(n=failed.index + 1, paths=paths)
    return f"{label} — {failed.reason}{note}"


def nothing_reviewed(result: ReviewResult) -> bool:
    """True when there were chunks to review and not one came back: the review did not run,
    which must never read like a review that found nothing."""
    return result.stats.chunks > 0 and len(result.failed_chunks) >= result.stats.chunks


def failure_summary(result: ReviewResult) -> str:
    """ "review failed: no chunk could be reviewed (timeout after 3 retries)"."""
    reasons = list(dict.fromkeys(one_line(f.reason) for f in result.failed_chunks))
    shown = "; ".join(reasons[:3]) + ("; ..." if len(reasons) > 3 else "")
    return _("review failed: no chunk could be reviewed ({reasons})").format(reasons=shown)


def summary_line(result: ReviewResult) -> str:
    """One line: findings by severity, score, skipped files and failed chunks."""
    tally = counts(result)
    total = len(result.findings)
    if total:
        parts = list_sep().join(
            pgettext("count of one severity", "{count} {severity}").format(
                count=n, severity=severity_name(sev)
            )
            for sev, n in tally.items()
            if n
        )
        found = ngettext("{n} finding", "{n} findings", total).format(n=total)
        text = pgettext("parenthesis", "{text} ({inner})").format(text=found, inner=parts)
    else:
        text = _("no findings")
    pieces = [text, _("score {score}").format(score=score_label(result))]
    if not total and nothing_reviewed(result):
        pieces = [failure_summary(result)]  # never a score beside a review that did not run
    if result.skipped_files:
        n = len(result.skipped_files)
        pieces.append(ngettext("{n} file skipped", "{n} files skipped", n).format(n=n))
    if result.failed_chunks:
        n = len(result.failed_chunks)
        pieces.append(ngettext("{n} chunk failed", "{n} chunks failed", n).format(n=n))
    return pgettext("clause separator", ", ").join(pieces)


def work_line(result: ReviewResult) -> str:
    """Chunks, requests (with retries, re-asks and cache hits) and elapsed time."""
    stats = result.stats
    requests = ngettext("{n} request", "{n} requests", stats.requests).format(n=stats.requests)
    extra = []
    if stats.retries:
        extra.append(ngettext("{n} retry", "{n} retries", stats.retries).format(n=stats.retries))
    if stats.reasks:
        extra.append(ngettext("{n} re-ask", "{n} re-asks", stats.reasks).format(n=stats.reasks))
    if stats.cached_chunks:
        extra.append(_("{n} cached").format(n=stats.cached_chunks))
    if extra:
        requests = pgettext("parenthesis", "{text} ({inner})").format(
            text=requests, inner=list_sep().join(extra)
        )
    chunks = ngettext("{n} chunk", "{n} chunks", stats.chunks).format(n=stats.chunks)
    seconds = _("{seconds} s").format(seconds=f"{stats.elapsed_seconds:.1f}")
    return pgettext("clause separator", ", ").join([chunks, requests, seconds])


def token_line(result: ReviewResult) -> str:
    stats = result.stats
    line = _("{prompt} prompt + {completion} completion tokens").format(
        prompt=f"{stats.prompt_tokens:,}", completion=f"{stats.completion_tokens:,}"
    )
    if stats.verify_requests:
        line += " " + _("(self-check: {prompt} + {completion} more)").format(
            prompt=f"{stats.verify_prompt_tokens:,}",
            completion=f"{stats.verify_completion_tokens:,}",
        )
    cost = cost_text(result)
    if cost is not None:
        estimate = _("estimated cost {cost}").format(cost=cost)
        line = pgettext("clause separator", ", ").join([line, estimate])
    return line


def cost_text(result: ReviewResult) -> str | None:
    """The run's estimated cost with its currency: ¥0.012, $0.0040."""
    stats = result.stats
    if stats.estimated_cost is None:
        return None
    if stats.currency is None:
        return f"{stats.estimated_cost:.2g}"
    return format_money(stats.estimated_cost, stats.currency)


def stats_line(result: ReviewResult) -> str:
    return pgettext("clause separator", ", ").join([work_line(result), token_line(result)])


def text_only_label() -> str:
    return _("Suggested change (apply by hand: it does not fit the lines as they stand):")


def suggestion_label(finding: Finding) -> str:
    """The heading of a suggestion: committable as it stands, or text to apply by hand."""
    return _("Suggested replacement:") if finding.suggestion_committable else text_only_label()


def filtered_line(result: ReviewResult) -> str | None:
    """What the self-check and --min-severity left out; None when they left out nothing."""
    stats = result.stats
    parts = []
    if stats.rejected:
        parts.append(
            ngettext(
                "the self-check dropped {n} finding",
                "the self-check dropped {n} findings",
                stats.rejected,
            ).format(n=stats.rejected)
        )
    if stats.unverified:
        parts.append(
            ngettext(
                "{n} finding kept unverified", "{n} findings kept unverified", stats.unverified
            ).format(n=stats.unverified)
        )
    if stats.below_threshold:
        parts.append(
            ngettext(
                "{n} finding below min-severity not shown",
                "{n} findings below min-severity not shown",
                stats.below_threshold,
            ).format(n=stats.below_threshold)
        )
    if not parts:
        return None
    text = pgettext("list separator", "; ").join(parts)
    return text[0].upper() + text[1:]
