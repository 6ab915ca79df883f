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


def exit_code_for(result: ReviewResult, fail_on: str, fatal: str | None = None) -> int:
    all_failed = result.stats.chunks > 0 and result.stats.failed_chunks == result.stats.chunks
    if fatal is not None or all_failed:
        return EXIT_ENDPOINT
    return EXIT_FINDINGS if reaches(result, fail_on) else EXIT_OK
