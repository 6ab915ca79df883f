"""AACR-Bench's metrics over scored cases: overall, by language, by category, by PR size.

precision = matched / generated, recall = matched / expected, F1 their harmonic mean,
line precision and recall the same with location matches only, and noise rate
= (generated - matched) / generated. Without a judge, matched is the location match.
A rate whose denominator is 0 is None (JSON null), not 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reviewbot.evaluate.dataset import Label
from reviewbot.evaluate.matching import Pair
from reviewbot.findings import Finding, Stats

# Changed lines (added + removed) of a pull request -> its size bucket.
SIZE_LIMITS = ((20, "1-20"), (100, "21-100"), (500, "101-500"), (1000, "501-1000"))
UNKNOWN = "unknown"
UNCATEGORIZED = "uncategorized"


def size_bucket(changed_lines: int) -> str:
    for limit, name in SIZE_LIMITS:
        if changed_lines <= limit:
            return name
    return f">{SIZE_LIMITS[-1][0]}"


def _rate(numerator: int, denominator: int | None) -> float | None:
    if not denominator:
        return None
    return numerator / denominator


def _f1(precision: float | None, recall: float | None) -> float | None:
    if precision is None or recall is None:
        return None
    if precision + recall == 0:
        return 0.0
    return 2 * precision * recall / (precision + recall)


@dataclass
class Tally:
    """Counts over some cases; `generated` is None where findings cannot be attributed."""

    cases: int = 0
    generated: int | None = 0
    expected: int = 0
    matched: int = 0
    line_matched: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    requests: int = 0
    cost: float | None = None

    def add(self, other: Tally) -> None:
        self.cases += other.cases
        if self.generated is not None and other.generated is not None:
            self.generated += other.generated
        else:
            self.generated = None
        self.expected += other.expected
        self.matched += other.matched
        self.line_matched += other.line_matched
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        self.requests += other.requests
        if other.cost is not None:
            self.cost = (self.cost or 0.0) + other.cost

    def as_dict(self) -> dict[str, Any]:
        generated = self.generated
        precision = _rate(self.matched, generated)
        recall = _rate(self.matched, self.expected)
        line_precision = _rate(self.line_matched, generated)
        line_recall = _rate(self.line_matched, self.expected)
        noise = None if generated is None else _rate(generated - self.matched, generated)
        # By category nothing but the labels is attributable: no tokens, requests or cost.
        per_pr = self.cases if generated is not None and self.cases else None
        tokens = self.prompt_tokens + self.completion_tokens
        usage = generated is not None
        return {
            "precision": precision,
            "recall": recall,
            "f1": _f1(precision, recall),
            "line_precision": line_precision,
            "line_recall": line_recall,
            "noise_rate": noise,
            "generated": generated,
            "expected": self.expected,
            "matched": self.matched,
            "line_matched": self.line_matched,
            "cases": self.cases,
            "prompt_tokens": self.prompt_tokens if usage else None,
            "completion_tokens": self.completion_tokens if usage else None,
            "requests": self.requests if usage else None,
            "estimated_cost": self.cost if usage else None,
            "tokens_per_pr": tokens / per_pr if per_pr else None,
            "requests_per_pr": self.requests / per_pr if per_pr else None,
            "cost_per_pr": self.cost / per_pr if per_pr and self.cost is not None else None,
        }


@dataclass
class CaseScore:
    """One reviewed case, its findings paired with its labels."""

    case_id: str
    language: str
    changed_lines: int
    findings: list[Finding]
    labels: list[Label]
    pairs: list[Pair]
    stats: Stats
    # Per pair (by finding index): did the judge confirm it? None when no judge ran.
    confirmed: dict[int, bool] | None = None
    incomplete: str | None = None  # why part of the diff went unreviewed, if it did
    extra: dict[str, Any] = field(default_factory=dict)

    def _is_matched(self, pair: Pair) -> bool:
        return self.confirmed is None or self.confirmed.get(pair.finding, False)

    @property
    def matched(self) -> int:
        return sum(1 for p in self.pairs if self._is_matched(p))

    @property
    def size(self) -> str:
        return size_bucket(self.changed_lines)

    def tally(self) -> Tally:
        s = self.stats
        return Tally(
            cases=1,
            generated=len(self.findings),
            expected=len(self.labels),
            matched=self.matched,
            line_matched=len(self.pairs),
            prompt_tokens=s.prompt_tokens,
            completion_tokens=s.completion_tokens,
            requests=s.requests,
            cost=s.estimated_cost,
        )

    def by_category(self) -> dict[str, Tally]:
        """Per label category: an unmatched finding has no labelled category, so only the
        recall side is defined (generated is None)."""
        out: dict[str, Tally] = {}
        pair_of = {p.label: p for p in self.pairs}
        for index, label in enumerate(self.labels):
            tally = out.setdefault(label.category or UNCATEGORIZED, Tally(generated=None))
            tally.expected += 1
            pair = pair_of.get(index)
            if pair is not None:
                tally.line_matched += 1
                tally.matched += int(self._is_matched(pair))
        for tally in out.values():
            tally.cases = 1
        return out

    def detail(self) -> dict[str, Any]:
        label_of = {p.finding: p for p in self.pairs}
        findings = []
        for index, finding in enumerate(self.findings):
            pair = label_of.get(index)
            findings.append(
                {
                    "path": finding.path,
                    "line": finding.line,
                    "end_line": finding.end_line,
                    "severity": finding.severity.value,
                    "category": finding.category,
                    "title": finding.title,
                    "label": None if pair is None else pair.label,
                    "confirmed": (
                        None
                        if pair is None or self.confirmed is None
                        else self.confirmed.get(index, False)
                    ),
                }
            )
        matched_labels = {p.label for p in self.pairs}
        missed = [
            label.model_dump(exclude_none=True)
            for index, label in enumerate(self.labels)
            if index not in matched_labels
        ]
        return {
            "id": self.case_id,
            "language": self.language,
            "changed_lines": self.changed_lines,
            "size": self.size,
            **self.tally().as_dict(),
            "incomplete": self.incomplete,
            "findings": findings,
            "missed": missed,
            **self.extra,
        }


def _size_order(name: str) -> int:
    names = [bucket for _, bucket in SIZE_LIMITS]
    return names.index(name) if name in names else len(names)


def _group(scores: list[CaseScore], key: str) -> dict[str, dict[str, Any]]:
    groups: dict[str, Tally] = {}
    for score in scores:
        name = score.language if key == "language" else score.size
        groups.setdefault(name, Tally()).add(score.tally())
    order = sorted(groups, key=_size_order if key == "size" else str.lower)
    return {name: groups[name].as_dict() for name in order}


def summarize(scores: list[CaseScore]) -> dict[str, Any]:
    """`overall`, `by_language`, `by_category`, `by_size` and `cases`."""
    overall = Tally()
    categories: dict[str, Tally] = {}
    for score in scores:
        overall.add(score.tally())
        for name, tally in score.by_category().items():
            categories.setdefault(name, Tally(generated=None)).add(tally)
    return {
        "overall": overall.as_dict(),
        "by_language": _group(scores, "language"),
        "by_category": {name: categories[name].as_dict() for name in sorted(categories)},
        "by_size": _group(scores, "size"),
        "cases": [score.detail() for score in scores],
    }
