"""Exit codes, a public contract: 0 ok, 1 findings at --fail-on, 2 usage/input, 3 endpoint,
4 internal error (a bug in reviewbot)."""

from __future__ import annotations

from reviewbot.findings import ReviewResult, Severity

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_ENDPOINT = 3
EXIT_INTERNAL = 4


def reaches(result: ReviewResult, fail_on: str) -> bool:
    if fail_on == "never":
        return False
    threshold = Severity(fail_on).rank
    return any(f.severity.rank >= threshold for f in result.findings)


def every_sent_chunk_failed(result: ReviewResult) -> bool:
    """True when chunks were sent and none came back. Chunks the --max-tokens budget held back
    say nothing about the endpoint."""
    unsent = sum(f.unsent for f in result.failed_chunks)
    sent = result.stats.chunks - unsent
    return sent > 0 and len(result.failed_chunks) - unsent == sent


def exit_code_for(result: ReviewResult, fail_on: str) -> int:
    if result.fatal is not None or every_sent_chunk_failed(result):
        return EXIT_ENDPOINT
    return EXIT_FINDINGS if reaches(result, fail_on) else EXIT_OK


def failure_reason(result: ReviewResult) -> str:
    """Why the endpoint counts as unusable, for the one line that says so."""
    if result.fatal is not None:
        return result.fatal
    reasons = sorted({failed.reason for failed in result.failed_chunks if not failed.unsent})
    return "every chunk failed: " + "; ".join(reasons[:3])


def final_exit(result: ReviewResult, fail_on: str, on_error: str) -> tuple[int, str | None]:
    """The exit code once --on-error has had its say, and why the endpoint was unusable (None
    when it was fine). Every face reports the reason its own way."""
    code = exit_code_for(result, fail_on)
    if code != EXIT_ENDPOINT:
        return code, None
    return (EXIT_OK if on_error == "pass" else EXIT_ENDPOINT), failure_reason(result)
