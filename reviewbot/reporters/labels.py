"""Small helpers every reporter shares: order, counts, labels and one-line summaries."""

from __future__ import annotations

from reviewbot.findings import FailedChunk, Finding, ReviewResult, Severity, SkippedFile

SEVERITIES = (Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW)


def ordered(findings: list[Finding]) -> list[Finding]:
    """Files by path (file-level findings first, then by line), general findings last."""
    return sorted(findings, key=Finding.sort_key)


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
    head = f"{where}: {finding.severity.value}: {one_line(finding.title)}"
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


def summary_line(result: ReviewResult) -> str:
    """One line: findings by severity, score, skipped files and failed chunks."""
    tally = counts(result)
    total = len(result.findings)
    if total:
        parts = ", ".join(f"{n} {sev.value}" for sev, n in tally.items() if n)
        text = f"{plural(total, 'finding')} ({parts})"
    else:
        text = "no findings"
    text += f", score {score_label(result)}"
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
    if stats.estimated_cost is not None:
        line += f", estimated cost {stats.estimated_cost:.4f}"
    return line


def stats_line(result: ReviewResult) -> str:
    return f"{work_line(result)}, {token_line(result)}"
