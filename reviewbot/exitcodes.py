"""Exit codes, a public contract: 0 ok, 1 findings at --fail-on, 2 usage/input, 3 endpoint."""

from __future__ import annotations

from reviewbot.findings import ReviewResult, Severity

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_ENDPOINT = 3


def reaches(result: ReviewResult, fail_on: str) -> bool:
    if fail_on == "never":
        return False
    threshold = Severity(fail_on).rank
    return any(f.severity.rank >= threshold for f in result.findings)


def every_sent_chunk_failed(result: ReviewResult) -> bool:
    """True when chunks were sent and none came back. Chunks the --max-tokens budget held back
    say nothing about the endpoint."""
    failed = [f for f in result.failed_chunks if not f.unsent]
    sent = result.stats.chunks - (len(result.failed_chunks) - len(failed))
    return sent > 0 and len(failed) == sent


def exit_code_for(result: ReviewResult, fail_on: str, fatal: str | None = None) -> int:
    if fatal is not None or every_sent_chunk_failed(result):
        return EXIT_ENDPOINT
    return EXIT_FINDINGS if reaches(result, fail_on) else EXIT_OK
