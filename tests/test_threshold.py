from __future__ import annotations

import pytest

from reviewbot.findings import Finding, Severity
from reviewbot.threshold import MIN_SEVERITY_VALUES, split_by_severity


def make(severity: str) -> Finding:
    return Finding(path="a.py", line=1, severity=Severity(severity), title=severity, body="")


ALL = [make(s) for s in ("low", "critical", "medium", "high", "low")]


@pytest.mark.parametrize(
    ("minimum", "kept"),
    [
        ("low", ["low", "critical", "medium", "high", "low"]),
        ("medium", ["critical", "medium", "high"]),
        ("high", ["critical", "high"]),
        (Severity.CRITICAL, ["critical"]),
    ],
)
def test_split(minimum: str, kept: list[str]) -> None:
    above, below = split_by_severity(ALL, minimum)
    assert [f.title for f in above] == kept
    assert len(above) + len(below) == len(ALL)
    assert all(f.severity.rank < Severity(minimum).rank for f in below)


def test_values_are_the_severities() -> None:
    assert set(MIN_SEVERITY_VALUES) == {s.value for s in Severity}
    with pytest.raises(ValueError):
        split_by_severity(ALL, "never")
