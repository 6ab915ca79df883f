"""Small helpers every reporter shares: order, counts, labels and one-line summaries."""

from __future__ import annotations

from itertools import groupby

from reviewbot.findings import FailedChunk, Finding, ReviewResult, Severity, SkippedFile
from reviewbot.pricing import format_money

SEVERITIES = (Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW)


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
        return "(general)"
    span = line_span(finding)
    return f"{finding.path}:{span}" if span else finding.path


def compact_line(finding: Finding) -> str:
    """`path:line: severity: title — first line of body`, the form editors and pre-commit parse."""
    where = "(general)" if finding.path is None else finding.path
    if finding.path is not None and finding.line is not None:
        where = f"{finding.path}:{finding.line}"
    mark = "[context] " if finding.context else ""
    head = f"{where}: {finding.severity.value}: {mark}{one_line(finding.title)}"
    summary = first_line(finding.body)
    return f"{head} — {summary}" if summary else head


def plural(count: int, word: str, many: str | None = None) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {many or word + 's'}"


def score_label(result: ReviewResult) -> str:
    return "n/a" if result.score is None else f"{result.score}/10"


def changed_note(lines: int) -> str:
    """ " (12 changed lines)", or nothing when the count is unknown."""
    return f" ({plural(lines, 'changed line')})" if lines else ""


def skipped_label(skipped: SkippedFile) -> str:
    return f"{skipped.path} — {skipped.reason}{changed_note(skipped.changed_lines)}"


def failed_label(failed: FailedChunk) -> str:
    paths = ", ".join(failed.paths) or "no files"
    note = changed_note(failed.changed_lines)
    return f"chunk {failed.index + 1} ({paths}) — {failed.reason}{note}"


def nothing_reviewed(result: ReviewResult) -> bool:
    """True when there were chunks to review and not one came back: the review did not run,
    which must never read like a review that found nothing."""
    return result.stats.chunks > 0 and len(result.failed_chunks) >= result.stats.chunks


def failure_summary(result: ReviewResult) -> str:
    """ "review failed: no chunk could be reviewed (timeout after 3 retries)"."""
    reasons = list(dict.fromkeys(one_line(f.reason) for f in result.failed_chunks))
    shown = "; ".join(reasons[:3]) + ("; ..." if len(reasons) > 3 else "")
    return f"review failed: no chunk could be reviewed ({shown})"


def summary_line(result: ReviewResult) -> str:
    """One line: findings by severity, score, skipped files and failed chunks."""
    tally = counts(result)
    total = len(result.findings)
    if total:
        parts = ", ".join(f"{n} {sev.value}" for sev, n in tally.items() if n)
        text = f"{plural(total, 'finding')} ({parts}), score {score_label(result)}"
    elif nothing_reviewed(result):
        text = failure_summary(result)
    else:
        text = f"no findings, score {score_label(result)}"
    if result.skipped_files:
        text += f", {plural(len(result.skipped_files), 'file')} skipped"
    if result.failed_chunks:
        text += f", {plural(len(result.failed_chunks), 'chunk')} failed"
    return text


def work_line(result: ReviewResult) -> str:
    """Chunks, requests (with retries, re-asks and cache hits) and elapsed time."""
    stats = result.stats
    requests = plural(stats.requests, "request")
    extra = []
    if stats.retries:
        extra.append(plural(stats.retries, "retry", "retries"))
    if stats.reasks:
        extra.append(plural(stats.reasks, "re-ask"))
    if stats.cached_chunks:
        extra.append(f"{stats.cached_chunks} cached")
    if extra:
        requests += f" ({', '.join(extra)})"
    return f"{plural(stats.chunks, 'chunk')}, {requests}, {stats.elapsed_seconds:.1f} s"


def token_line(result: ReviewResult) -> str:
    stats = result.stats
    line = f"{stats.prompt_tokens:,} prompt + {stats.completion_tokens:,} completion tokens"
    if stats.verify_requests:
        line += (
            f" (self-check: {stats.verify_prompt_tokens:,} + "
            f"{stats.verify_completion_tokens:,} more)"
        )
    cost = cost_text(result)
    if cost is not None:
        line += f", estimated cost {cost}"
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
    return f"{work_line(result)}, {token_line(result)}"


TEXT_ONLY = "Suggested change (apply by hand: it does not fit the lines as they stand):"


def filtered_line(result: ReviewResult) -> str | None:
    """What the self-check and --min-severity left out; None when they left out nothing."""
    stats = result.stats
    parts = []
    if stats.rejected:
        parts.append(f"the self-check dropped {plural(stats.rejected, 'finding')}")
    if stats.unverified:
        parts.append(f"{plural(stats.unverified, 'finding')} kept unverified")
    if stats.below_threshold:
        parts.append(f"{plural(stats.below_threshold, 'finding')} below min-severity not shown")
    if not parts:
        return None
    text = "; ".join(parts)
    return text[0].upper() + text[1:]
