"""Cost in money without configuration: the price table's estimate in every output, user prices
over the table, and the --max-cost budget (issue 13)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from answers import one_issue_per_file
from cli_run import run
from fake_github import FakeGitHub
from fake_openai import FakeOpenAI
from github_env import REPO, TOKEN, make_change, run_action

from reviewbot.pricing import table_price

FILES = ["g0.py", "g1.py", "g2.py", "g3.py"]


@pytest.fixture
def four_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.chdir(tmp_path)
    for n, name in enumerate(FILES):
        (tmp_path / name).write_text(
            "\n".join(f"w{n}_{i} = compute({n}, {i})" for i in range(300)) + "\n"
        )
    return [*FILES, "--max-chunk-tokens", "1500", "--no-cache", "--concurrency", "1"]


@pytest.fixture
def priced(endpoint_env: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> FakeOpenAI:
    """The fake server, reached with a model the price table knows (OpenAI's, in USD)."""
    monkeypatch.setenv("REVIEWBOT_MODEL", "gpt-4o-mini")
    endpoint_env.responder = one_issue_per_file
    return endpoint_env


def test_dry_run_on_a_preset_shows_the_cost_in_its_currency(app_py: Path) -> None:
    result = run("app.py", "--dry-run", "--provider", "deepseek")
    assert result.exit_code == 0, result.stderr
    m = re.search(
        r"estimated cost ¥(0\.\d+) for ([\d,]+) prompt tokens \+ ~600 answer tokens", result.stdout
    )
    assert m is not None, result.stdout
    prompt = int(m.group(2).replace(",", ""))
    price = table_price("deepseek", "deepseek-chat")
    assert price is not None
    assert price.format(price.cost(prompt, 600)) == f"¥{m.group(1)}"


def test_dry_run_says_once_when_the_model_has_no_price(app_py: Path) -> None:
    result = run("app.py", "--dry-run", "--model", "my-own-model")
    assert result.exit_code == 0, result.stderr
    assert "estimated cost" not in result.stdout
    assert result.stdout.count("no price known for model my-own-model") == 1


def test_json_stats_carry_the_cost_and_its_currency(priced: FakeOpenAI, app_py: Path) -> None:
    result = run("app.py", "--format", "json", "--no-cache")
    assert result.exit_code == 0, result.stderr
    stats = json.loads(result.stdout)["stats"]
    price = table_price("openai", "gpt-4o-mini")
    assert price is not None and stats["currency"] == "USD"
    # the self-check's tokens are paid for too
    expected = price.cost(
        stats["prompt_tokens"] + stats["verify_prompt_tokens"],
        stats["completion_tokens"] + stats["verify_completion_tokens"],
    )
    assert stats["estimated_cost"] == pytest.approx(expected, abs=1e-6)
    assert stats["estimated_cost"] > 0
    assert "no price known" not in result.stderr


def test_text_and_markdown_reports_show_the_currency(priced: FakeOpenAI, app_py: Path) -> None:
    text = run("app.py", "--no-cache")
    assert re.search(r"estimated cost \$0\.\d+", text.stdout), text.stdout
    markdown = run("app.py", "--format", "markdown", "--no-cache")
    assert re.search(r"estimated cost \$0\.\d+", markdown.stdout), markdown.stdout


def test_user_prices_override_the_table_with_their_currency(
    priced: FakeOpenAI, app_py: Path
) -> None:
    (app_py.parent / ".reviewbot.toml").write_text(
        '[prices."gpt-4o-mini"]\ninput = 1000\noutput = 2000\ncurrency = "CNY"\n'
    )
    data = json.loads(run("app.py", "--format", "json", "--no-cache").stdout)
    stats = data["stats"]
    assert stats["currency"] == "CNY"
    prompt = stats["prompt_tokens"] + stats["verify_prompt_tokens"]
    completion = stats["completion_tokens"] + stats["verify_completion_tokens"]
    expected = (prompt * 1000 + completion * 2000) / 1e6
    assert stats["estimated_cost"] == pytest.approx(expected, abs=1e-6)
    text = run("app.py", "--no-cache", "--price-input", "3", "--price-output", "4")
    # the per-model table entry in the config wins over the flat flags for that model
    assert re.search(r"estimated cost ¥\d", text.stdout), text.stdout


def test_unknown_model_gets_no_cost_and_one_note(endpoint_env: FakeOpenAI, app_py: Path) -> None:
    endpoint_env.responder = one_issue_per_file
    result = run("app.py", "--format", "json", "--no-cache")
    assert result.exit_code == 0
    stats = json.loads(result.stdout)["stats"]
    assert stats["estimated_cost"] is None and stats["currency"] is None
    assert result.stderr.count("no price known for model test-model") == 1


def test_max_cost_stops_sending_and_lists_the_unsent_chunks(
    priced: FakeOpenAI, four_files: list[str]
) -> None:
    full = json.loads(run(*four_files, "--format", "json").stdout)
    chunks = full["stats"]["chunks"]
    per_chunk = full["stats"]["estimated_cost"] / chunks
    assert chunks >= 8 and per_chunk > 0
    priced.reset_log()
    budget = f"{per_chunk * 3.5:.8f}"
    result = run(*four_files, "--format", "json", "--max-cost", budget)
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    sent = len(priced.requests)
    assert 1 <= sent < chunks
    assert data["stats"]["estimated_cost"] <= float(budget)
    failed = data["failed_chunks"]
    assert len(failed) == chunks - sent and all(f["unsent"] for f in failed)
    assert all("--max-cost budget ($" in f["reason"] for f in failed)
    assert [f["index"] for f in failed] == list(range(sent, chunks))
    unsent = f"{chunks - sent} chunk{'' if chunks - sent == 1 else 's'} ("
    assert unsent in result.stderr and "--max-cost" in result.stderr


def test_max_cost_needs_a_price(endpoint_env: FakeOpenAI, app_py: Path) -> None:
    result = run("app.py", "--max-cost", "1")
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "--max-cost needs a price" in result.stderr
    assert endpoint_env.requests == []


def test_github_summary_and_job_summary_show_the_cost(
    tmp_path: Path, github: FakeGitHub, model_server: FakeOpenAI
) -> None:
    diff, base = make_change(
        tmp_path / "repo", {"app.py": "x = 1\n"}, {"app.py": "x = 1\ny = 2\nz = 3\n"}
    )
    github.add_pull(REPO, 7, diff, base_sha=base)
    model_server.responder = one_issue_per_file
    done = run_action(tmp_path / "runner", github, model_server, 7, inputs={"model": "gpt-4o"})
    assert done.returncode == 0, done.stdout + done.stderr
    [summary] = [r["body"] for r in github.reviews]
    assert re.search(r"≈ \$0\.\d+", summary), summary
    assert re.search(r"estimated cost \$0\.\d+", done.step_summary), done.step_summary
    assert TOKEN not in summary
