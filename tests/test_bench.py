"""A smoke run of the benchmark (bench/run.py) at small sizes with a tiny simulated latency."""

from __future__ import annotations

from typing import Any

import pytest

from bench.gen import generate_diff
from bench.live import Latency, added_lines, file_patches, makespan
from bench.measure import cpu_seconds, memory, tasks
from bench.run import Options, cases, run, table, targets


@pytest.fixture(scope="module")
def results() -> dict[str, Any]:
    options = Options(latency=Latency(0.01, 0.001), local=False)
    return run(cases([10, 100], pr50_lines=100), options)


def test_every_added_line_reaches_the_model(results: dict[str, Any]) -> None:
    rows = results["cases"]
    assert [r["case"] for r in rows] == ["10 lines", "100 lines", "50-file PR"]
    for row in rows:
        assert row["coverage_percent"] == 100.0, row["coverage"]
        assert row["coverage"]["repeated"] == 0
        assert row["failed_chunks"] == 0


def test_request_counts(results: dict[str, Any]) -> None:
    for row in results["cases"]:
        assert row["requests"] == row["chunks"] >= 1
        assert row["naive"]["requests"] == row["naive"]["files"] == row["files"]
    assert results["cases"][-1]["naive"]["requests"] == 50


def test_report(results: dict[str, Any]) -> None:
    text = table(results["cases"])
    assert text.count("\n") == 1 + len(results["cases"])
    checked = {t["target"]: t["met"] for t in targets(results["cases"])}
    assert checked["coverage 100% at every size"] is True


def test_generated_diff_has_the_asked_size() -> None:
    diff = generate_diff(100, 4, seed=1)
    assert len(file_patches(diff)) == 4
    assert len(added_lines(diff)) == 100
    assert any("\u4e00" <= ch <= "\u9fff" for ch in diff)  # a CJK comment line


def test_makespan_is_greedy_list_scheduling() -> None:
    assert makespan([1.0, 1.0, 1.0], 2) == 2.0
    assert makespan([3.0, 1.0, 1.0, 1.0], 2) == 3.0
    assert makespan([], 4) == 0.0


def test_local_cost_measurement() -> None:
    diff = generate_diff(50, 3, seed=2)
    jobs = tasks("gpt-4o-mini", diff)
    assert set(cpu_seconds(jobs, diff, repeats=1)) == {"reviewbot", "tokens", "unidiff", "floor"}
    assert memory(jobs["reviewbot"], diff)["traced_peak_mb"] > 0
