"""--min-severity: findings below it are neither shown nor posted, only counted."""

from __future__ import annotations

from reviewbot.findings import Finding, Severity

MIN_SEVERITY_VALUES = ("low", "medium", "high", "critical")


def split_by_severity(
    findings: list[Finding], minimum: Severity | str
) -> tuple[list[Finding], list[Finding]]:
    """(findings at or above `minimum`, findings below it), each in the given order."""
    floor = Severity(minimum).rank
    kept = [f for f in findings if f.severity.rank >= floor]
    below = [f for f in findings if f.severity.rank < floor]
    return kept, below
