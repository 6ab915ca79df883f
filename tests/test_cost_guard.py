"""--max-tokens: a per-run token budget that stops sending chunks and says what went unreviewed."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from answers import one_issue_per_file
from cli_run import run
from fake_openai import FakeOpenAI

FILES = ["g0.py", "g1.py", "g2.py", "g3.py"]


@pytest.fixture
def four_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.chdir(tmp_path)
    for n, name in enumerate(FILES):
        (tmp_path / name).write_text(
            "\n".join(f"w{n}_{i} = compute({n}, {i})" for i in range(300)) + "\n"
        )
    return [*FILES, "--max-chunk-tokens", "1500"]


def budget_args(budget: int, concurrency: int = 1) -> list[str]:
    # The budget's own rules; how the self-check shares the budget: tests/test_selfcheck.py.
    return [
        "--max-tokens",
        str(budget),
        "--concurrency",
        str(concurrency),
        "--no-cache",
        "--no-verify",
    ]


def test_budget_stops_sending_and_the_report_names_what_was_not_reviewed(
    endpoint_env: FakeOpenAI, four_files: list[str]
) -> None:
    endpoint_env.responder = one_issue_per_file
    full = json.loads(run(*four_files, "--format", "json", "--no-cache", "--no-verify").stdout)
    chunks = full["stats"]["chunks"]
    assert chunks >= 8 and len(endpoint_env.requests) == chunks
    endpoint_env.reset_log()

    data = json.loads(run(*four_files, "--format", "json", *budget_args(4000)).stdout)
    sent = len(endpoint_env.requests)
    assert 1 <= sent < chunks
    assert data["stats"]["requests"] == sent
    assert data["stats"]["prompt_tokens"] + data["stats"]["completion_tokens"] <= 4000
    failed = data["failed_chunks"]
    assert len(failed) == chunks - sent
    assert all("--max-tokens budget (4,000 tokens) is spent" in f["reason"] for f in failed)
    # Sending stops at the first chunk that does not fit: the rest of the run is unsent.
    assert [f["index"] for f in failed] == list(range(sent, chunks))
    unreviewed = {p for f in failed for p in f["paths"]}
    assert {"g2.py", "g3.py"} <= unreviewed
    assert data["stats"]["reviewed_lines"] + sum(f["changed_lines"] for f in failed) == 1200

    endpoint_env.reset_log()
    text = run(*four_files, *budget_args(4000))
    assert text.exit_code == 0, text.stderr
    assert len(endpoint_env.requests) == sent
    assert f"Failed chunks ({chunks - sent})" in text.stdout
    named = re.findall(r"chunk \d+ \(([^)]*)\) — not sent", text.stdout)
    assert len(named) == chunks - sent and any("g3.py" in n for n in named)
    markdown = run(*four_files, "--format", "markdown", *budget_args(4000)).stdout
    assert "`g3.py`" in markdown and "--max-tokens" in markdown


def test_budget_holds_with_concurrent_requests(
    endpoint_env: FakeOpenAI, four_files: list[str]
) -> None:
    endpoint_env.latency = lambda body: 0.1
    data = json.loads(run(*four_files, "--format", "json", *budget_args(5000, 4)).stdout)
    sent = len(endpoint_env.requests)
    assert 1 <= sent < data["stats"]["chunks"]
    assert data["stats"]["prompt_tokens"] + data["stats"]["completion_tokens"] <= 5000
    assert data["stats"]["failed_chunks"] == data["stats"]["chunks"] - sent


def test_budget_below_one_chunk_sends_nothing(
    endpoint_env: FakeOpenAI, four_files: list[str]
) -> None:
    result = run(*four_files, "--format", "json", *budget_args(100))
    assert endpoint_env.requests == []
    data = json.loads(result.stdout)
    assert data["stats"]["failed_chunks"] == data["stats"]["chunks"]
    assert data["stats"]["reviewed_lines"] == 0
    assert all(chunk["unsent"] for chunk in data["failed_chunks"])
    # The budget is the user's choice, not an endpoint failure (exit 3): exit 0, said loudly.
    assert result.exit_code == 0
    assert "not sent" in result.stderr and "--max-tokens" in result.stderr


def test_cached_chunks_cost_nothing_from_the_budget(
    endpoint_env: FakeOpenAI, four_files: list[str]
) -> None:
    run(*four_files)  # fills the cache
    count = len(endpoint_env.requests)
    data = json.loads(run(*four_files, "--format", "json", "--max-tokens", "100").stdout)
    assert len(endpoint_env.requests) == count
    assert data["stats"]["failed_chunks"] == 0
    assert data["stats"]["cached_chunks"] == data["stats"]["chunks"]
