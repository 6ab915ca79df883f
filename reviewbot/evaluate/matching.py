"""Pair findings with expected labels by location: one-to-one, closest first.

A finding matches a label when both name the same file and the finding's lines
[line, end_line] overlap the label's [from_line, to_line] widened by `tolerance` lines on
each side. Among all such pairs, the closest are taken first and each finding and each
label is used at most once, so two findings on one label count once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from reviewbot.evaluate.dataset import Label
from reviewbot.findings import Finding


@dataclass(frozen=True)
class Pair:
    finding: int  # index into the findings
    label: int  # index into the labels
    distance: int  # lines between the two ranges; 0 when they overlap


def _norm(path: str) -> str:
    return path.strip().removeprefix("./")


def finding_span(finding: Finding) -> tuple[int, int] | None:
    if finding.path is None or finding.line is None:
        return None  # a file-level or general finding has no lines to match
    end = finding.end_line if finding.end_line is not None else finding.line
    return min(finding.line, end), max(finding.line, end)


def gap(a: tuple[int, int], b: tuple[int, int]) -> int:
    """How far apart two line ranges are: 0 when they overlap, 1 when adjacent, ..."""
    return max(0, b[0] - a[1], a[0] - b[1])


def match(findings: Sequence[Finding], labels: Sequence[Label], tolerance: int) -> list[Pair]:
    candidates: list[tuple[int, int, int, int]] = []
    for fi, finding in enumerate(findings):
        span = finding_span(finding)
        if span is None or finding.path is None:
            continue
        for li, label in enumerate(labels):
            wanted = label.span
            # Findings sit on the new side; a label on the old side cannot be located there.
            if wanted is None or label.side != "right":
                continue
            if _norm(label.path) != _norm(finding.path):
                continue
            distance = gap(span, wanted)
            if distance <= tolerance:
                candidates.append((distance, abs(span[0] - wanted[0]), fi, li))
    candidates.sort()
    used_findings: set[int] = set()
    used_labels: set[int] = set()
    pairs = []
    for distance, _, fi, li in candidates:
        if fi in used_findings or li in used_labels:
            continue
        used_findings.add(fi)
        used_labels.add(li)
        pairs.append(Pair(fi, li, distance))
    return sorted(pairs, key=lambda p: p.finding)
