"""Errors in words a user understands: what a new user sees when something is wrong."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from answers import one_issue_per_file
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


@pytest.mark.parametrize("args", [["--staged"], ["--base", "main"]])
def test_git_options_outside_a_repository_say_so_in_one_line(
    endpoint_env: FakeOpenAI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    outside = tmp_path / "not-a-repo"
    outside.mkdir()
    monkeypatch.chdir(outside)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    result = run(*args)
    assert result.exit_code == 2
    [line] = result.stderr.splitlines()
    assert line.startswith("reviewbot: not inside a git repository") and args[0] in line
    assert endpoint_env.requests == []


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.timeout(120)
def test_github_out_of_reach_is_a_network_error_exit_3(
    endpoint_env: FakeOpenAI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = closed_port()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GITHUB_API_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("GITHUB_TOKEN", "ghs_testtoken")
    result = run("--pr", "octo/widgets#1")
    assert result.exit_code == 3
    [line] = result.stderr.splitlines()
    assert line.startswith(f"reviewbot: could not reach 127.0.0.1:{port}: ")
    assert "internal error" not in line and "HTTPConnectionPool" not in line
    assert endpoint_env.requests == []


def test_github_annotations_with_output_go_to_stdout_and_the_file(
    endpoint_env: FakeOpenAI, app_py: Path
) -> None:
    endpoint_env.responder = one_issue_per_file
    result = run("app.py", "--format", "github", "--output", "annotations.txt")
    assert result.exit_code == 0, result.output
    written = app_py.with_name("annotations.txt").read_text(encoding="utf-8")
    assert written.startswith("::error file=app.py,line=1")
    assert result.stdout == written, "the runner reads annotations from stdout only"


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["--output", "no-such-dir/review.json", "--format", "json"],
            "--output no-such-dir/review.json: directory no-such-dir does not exist",
        ),
        (["--output", "."], "--output . is a directory; name a file"),
        (["--cache-dir", "app.py"], "cache directory app.py is not a directory (--cache-dir)"),
    ],
)
def test_path_options_that_cannot_work_are_refused_before_any_request(
    endpoint_env: FakeOpenAI, app_py: Path, args: list[str], message: str
) -> None:
    result = run("app.py", *args)
    assert result.exit_code == 2
    assert result.stderr == f"reviewbot: {message}\n"
    assert endpoint_env.requests == []
