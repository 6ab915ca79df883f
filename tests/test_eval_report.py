"""The evaluation report in its three formats."""

from __future__ import annotations

import json
from typing import Any

from reviewbot.evaluate.dataset import Label
from reviewbot.evaluate.matching import match
from reviewbot.evaluate.metrics import CaseScore, summarize
from reviewbot.evaluate.report import render
from reviewbot.findings import Finding, Severity, Stats


def run_report(found_lines: list[int]) -> dict[str, Any]:
    labels = [
        Label(path="a.py", from_line=3, category="bug"),
        Label(path="a.py", from_line=9, category="security"),
    ]
    findings = [
        Finding(path="a.py", line=n, severity=Severity.HIGH, title="t", body="b")
        for n in found_lines
    ]
    score = CaseScore(
        case_id="c1",
        language="Python",
        changed_lines=12,
        findings=findings,
        labels=labels,
        pairs=match(findings, labels, 1),
        stats=Stats(prompt_tokens=900, completion_tokens=100, requests=1),
    )
    out = summarize([score])
    out["skipped"] = [{"id": "c2", "reason": "no clone of acme/x"}]
    return out


def single() -> dict[str, Any]:
    return {"dataset": "cases.jsonl", "tolerance": 1, "judge_model": None, **run_report([3, 20])}


def test_json_has_the_documented_shape() -> None:
    data = json.loads(render(single(), "json"))
    for key in (
        "precision",
        "recall",
        "f1",
        "line_precision",
        "line_recall",
        "noise_rate",
        "generated",
        "expected",
        "matched",
        "prompt_tokens",
        "estimated_cost",
    ):
        assert key in data["overall"]
        assert key in data["by_language"]["Python"]
        assert key in data["by_category"]["bug"]
    assert data["overall"]["precision"] == 0.5
    assert data["skipped"] == [{"id": "c2", "reason": "no clone of acme/x"}]
    assert data["cases"][0]["id"] == "c1"


def test_table_lists_overall_and_every_breakdown() -> None:
    text = render(single(), "table")
    lines = text.splitlines()
    overall = next(line for line in lines if "overall" in line)
    assert "0.500" in overall  # precision and recall
    assert "1000.0" in overall  # tokens per PR
    for row in ("language: Python", "size: 1-20", "category: bug", "category: security"):
        assert any(row in line for line in lines), row
    assert "skipped c2: no clone of acme/x" in text
    assert "tolerance ±1" in text


def test_markdown_table_is_well_formed() -> None:
    text = render(single(), "markdown")
    rows = [line for line in text.splitlines() if line.startswith("|")]
    widths = {line.count("|") - line.count("\\|") for line in rows}
    assert len(widths) == 1  # every row has the header's columns
    assert rows[0].startswith("|  | PRs | Precision | Recall | F1")
    assert "| overall | 1 | 0.500 | 0.500 | 0.500 |" in text
    assert "- `c2`: no clone of acme/x" in text


def test_compare_puts_configurations_side_by_side() -> None:
    report = {
        "dataset": "cases.jsonl",
        "tolerance": 1,
        "judge_model": None,
        "runs": {"verify": run_report([3]), "no-verify": run_report([3, 9, 20, 30])},
    }
    text = render(report, "markdown")
    assert "|  | verify | no-verify |" in text
    assert "| Precision | 1.000 | 0.500 |" in text
    assert "| Recall | 0.500 | 1.000 |" in text
    assert "| Recall · category: security | 0.000 | 1.000 |" in text
    table = render(report, "table")
    header = next(line for line in table.splitlines() if "verify" in line)
    assert header.index("verify") < header.index("no-verify")
    precision = next(line for line in table.splitlines() if "Precision" in line)
    assert precision.index("1.000") < precision.index("0.500")


def test_names_from_the_dataset_are_not_rich_markup() -> None:
    report = single()
    report["by_category"] = {"[bold]x[/bold]": report["by_category"]["bug"]}
    assert "category: [bold]x[/bold]" in render(report, "table")
