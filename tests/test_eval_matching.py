"""The matcher and the metrics, with exact figures."""

from __future__ import annotations

import pytest

from reviewbot.evaluate.dataset import Label
from reviewbot.evaluate.matching import match
from reviewbot.evaluate.metrics import CaseScore, size_bucket, summarize
from reviewbot.findings import Finding, Severity, Stats


def finding(path: str | None, line: int | None, end: int | None = None) -> Finding:
    return Finding(path=path, line=line, end_line=end, severity=Severity.HIGH, title="t", body="b")


def label(path: str, first: int, last: int | None = None, **extra: object) -> Label:
    return Label.model_validate(
        {"path": path, "from_line": first, "to_line": last or first, **extra}
    )


def scored(
    findings: list[Finding],
    labels: list[Label],
    tolerance: int = 1,
    *,
    case_id: str = "c",
    language: str = "Python",
    changed: int = 10,
    stats: Stats | None = None,
) -> CaseScore:
    return CaseScore(
        case_id=case_id,
        language=language,
        changed_lines=changed,
        findings=findings,
        labels=labels,
        pairs=match(findings, labels, tolerance),
        stats=stats or Stats(),
    )


def test_three_of_four_found_plus_two_unrelated() -> None:
    labels = [label("a.py", 3), label("a.py", 10, 12), label("b.py", 5), label("b.py", 40)]
    findings = [
        finding("a.py", 3),
        finding("a.py", 11),
        finding("b.py", 5, 6),
        finding("a.py", 30),  # unrelated line
        finding("c.py", 5),  # unrelated file
    ]
    overall = summarize([scored(findings, labels)])["overall"]
    assert overall["generated"] == 5
    assert overall["expected"] == 4
    assert overall["matched"] == 3
    assert overall["precision"] == pytest.approx(3 / 5)
    assert overall["recall"] == pytest.approx(3 / 4)
    assert overall["f1"] == pytest.approx(2 * (3 / 5) * (3 / 4) / (3 / 5 + 3 / 4))
    assert overall["line_precision"] == pytest.approx(3 / 5)
    assert overall["line_recall"] == pytest.approx(3 / 4)
    assert overall["noise_rate"] == pytest.approx(2 / 5)


@pytest.mark.parametrize(
    ("line", "matches"),
    [(8, False), (9, True), (10, True), (12, True), (13, True), (14, False)],
)
def test_tolerance_one_line_in_two_lines_out(line: int, matches: bool) -> None:
    pairs = match([finding("a.py", line)], [label("a.py", 10, 12)], tolerance=1)
    assert bool(pairs) is matches


def test_a_wider_tolerance_reaches_further_and_zero_means_overlap() -> None:
    labels = [label("a.py", 10, 12)]
    assert match([finding("a.py", 14)], labels, tolerance=2)
    assert not match([finding("a.py", 13)], labels, tolerance=0)
    assert match([finding("a.py", 5, 10)], labels, tolerance=0)


def test_two_findings_on_one_label_count_once() -> None:
    labels = [label("a.py", 10)]
    findings = [finding("a.py", 11), finding("a.py", 10)]
    pairs = match(findings, labels, tolerance=1)
    assert [(p.finding, p.label) for p in pairs] == [(1, 0)]  # the closer one wins
    overall = summarize([scored(findings, labels)])["overall"]
    assert (overall["matched"], overall["generated"]) == (1, 2)
    assert overall["precision"] == pytest.approx(1 / 2)
    assert overall["recall"] == pytest.approx(1.0)


def test_closest_first_lets_each_finding_take_its_own_label() -> None:
    # Greedy in finding order would give finding 0 the label at 11 and leave 12 unmatched.
    labels = [label("a.py", 10), label("a.py", 11)]
    findings = [finding("a.py", 10), finding("a.py", 11)]
    pairs = match(findings, labels, tolerance=1)
    assert [(p.finding, p.label, p.distance) for p in pairs] == [(0, 0, 0), (1, 1, 0)]


def test_path_side_and_missing_lines_never_match() -> None:
    labels = [label("a.py", 10), label("b.py", 10, side="left"), label("./c.py", 4)]
    findings = [
        finding("x/a.py", 10),
        finding("b.py", 10),
        finding(None, None),
        finding("a.py", None),
        finding("c.py", 4),
    ]
    pairs = match(findings, labels, tolerance=1)
    assert [(p.finding, p.label) for p in pairs] == [(4, 2)]


def test_reversed_label_range_is_read_in_order() -> None:
    assert label("a.py", 20, 15).span == (15, 20)
    assert match([finding("a.py", 17)], [label("a.py", 20, 15)], tolerance=0)


def test_rates_with_nothing_to_divide_by_are_null() -> None:
    overall = summarize([scored([], [])])["overall"]
    assert overall["precision"] is None and overall["recall"] is None
    assert overall["f1"] is None and overall["noise_rate"] is None
    quiet = summarize([scored([], [label("a.py", 1)])])["overall"]
    assert quiet["recall"] == 0.0 and quiet["precision"] is None


def test_judge_verdicts_make_precision_stricter_but_keep_line_figures() -> None:
    labels = [label("a.py", 3), label("a.py", 10)]
    findings = [finding("a.py", 3), finding("a.py", 10), finding("a.py", 50)]
    score = scored(findings, labels)
    score.confirmed = {0: True, 1: False}
    overall = summarize([score])["overall"]
    assert overall["matched"] == 1 and overall["line_matched"] == 2
    assert overall["precision"] == pytest.approx(1 / 3)
    assert overall["line_precision"] == pytest.approx(2 / 3)
    assert overall["recall"] == pytest.approx(1 / 2)
    assert overall["line_recall"] == pytest.approx(1.0)
    assert overall["noise_rate"] == pytest.approx(2 / 3)


def test_breakdowns_by_language_size_and_category() -> None:
    py = scored(
        [finding("a.py", 3), finding("a.py", 9)],
        [label("a.py", 3, category="bug"), label("a.py", 20, category="security")],
        case_id="py",
        changed=12,
        stats=Stats(prompt_tokens=1000, completion_tokens=200, requests=2, estimated_cost=0.01),
    )
    go = scored(
        [finding("m.go", 7)],
        [label("m.go", 7, category="bug")],
        case_id="go",
        language="Go",
        changed=150,
        stats=Stats(prompt_tokens=3000, completion_tokens=100, requests=1, estimated_cost=0.03),
    )
    report = summarize([py, go])
    assert list(report["by_language"]) == ["Go", "Python"]
    assert report["by_language"]["Python"]["precision"] == pytest.approx(1 / 2)
    assert report["by_language"]["Go"]["recall"] == pytest.approx(1.0)
    assert list(report["by_size"]) == ["1-20", "101-500"]
    bug = report["by_category"]["bug"]
    assert (bug["expected"], bug["matched"], bug["recall"]) == (2, 2, 1.0)
    assert bug["generated"] is None and bug["precision"] is None
    assert report["by_category"]["security"]["recall"] == 0.0
    overall = report["overall"]
    assert overall["tokens_per_pr"] == pytest.approx(4300 / 2)
    assert overall["requests_per_pr"] == pytest.approx(1.5)
    assert overall["estimated_cost"] == pytest.approx(0.04)
    assert overall["cost_per_pr"] == pytest.approx(0.02)
    assert [c["id"] for c in report["cases"]] == ["py", "go"]
    detail = report["cases"][0]
    assert [f["label"] for f in detail["findings"]] == [0, None]
    assert detail["missed"] == [
        {"path": "a.py", "from_line": 20, "to_line": 20, "side": "right", "category": "security"}
    ]


def test_size_buckets() -> None:
    assert [size_bucket(n) for n in (1, 20, 21, 100, 101, 500, 1000, 1001)] == [
        "1-20",
        "1-20",
        "21-100",
        "21-100",
        "101-500",
        "101-500",
        "501-1000",
        ">1000",
    ]
