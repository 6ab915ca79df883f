"""Errors in words a user understands: what a new user sees when something is wrong."""

from __future__ import annotations

from pathlib import Path

from cli_run import run
from fake_openai import FakeOpenAI, Reply


def test_every_chunk_failing_prints_the_failure_not_an_empty_review(
    endpoint_env: FakeOpenAI, app_py: Path
) -> None:
    endpoint_env.responder = lambda request: Reply(status=503)
    result = run("app.py", "--max-retries", "0")
    assert result.exit_code == 3
    assert "No findings" not in result.stdout and "Score: n/a   Findings" not in result.stdout
    assert result.stdout.startswith("Review failed: no chunk could be reviewed (server error 503")


def test_a_prompt_dir_that_does_not_exist_is_a_usage_error(
    endpoint_env: FakeOpenAI, app_py: Path
) -> None:
    result = run("app.py", "--prompt-dir", "no-such-prompts")
    assert result.exit_code == 2
    assert result.stderr == (
        "reviewbot: prompt directory no-such-prompts does not exist (--prompt-dir)\n"
    )
    assert endpoint_env.requests == []
    app_py.with_name("a-file").write_text("x")
    result = run("app.py", "--prompt-dir", "a-file", "--dry-run")
    assert result.exit_code == 2 and "a-file is not a directory" in result.stderr
