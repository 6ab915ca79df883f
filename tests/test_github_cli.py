"""`reviewbot --pr URL [--post]` against local GitHub and model servers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from answers import one_issue_per_file
from cli_run import run
from fake_github import FakeGitHub
from fake_openai import FakeOpenAI
from github_env import REPO, TOKEN, make_change
from keys import TEST_KEY

from reviewbot import __version__

BASE = {"calc.py": "def add(a, b):\n    return a + b\n", "notes 文件.md": "# notes\n"}
HEAD = {
    "calc.py": BASE["calc.py"] + "\n\ndef div(a, b):\n    return a / b\n",
    "notes 文件.md": "# notes\n\nmore\n",
}


@pytest.fixture
def servers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[FakeGitHub, FakeOpenAI]]:
    with FakeGitHub() as github, FakeOpenAI(api_key=TEST_KEY) as model:
        diff, _ = make_change(tmp_path / "repo", BASE, HEAD)
        github.add_pull(REPO, 12, diff)
        model.responder = one_issue_per_file
        monkeypatch.setenv("GITHUB_API_URL", github.api_url)
        monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
        monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
        monkeypatch.setenv("OPENAI_BASE_URL", model.base_url)
        monkeypatch.setenv("REVIEWBOT_MODEL", "test-model")
        monkeypatch.setenv("REVIEWBOT_GITHUB_WRITE_INTERVAL", "0")
        monkeypatch.chdir(tmp_path)
        yield github, model


def test_pr_url_prints_the_review_without_posting(
    servers: tuple[FakeGitHub, FakeOpenAI],
) -> None:
    github, model = servers
    result = run("--pr", f"https://github.com/{REPO}/pull/12", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert {i["path"] for i in data["issues"]} == {"calc.py", "notes 文件.md"}
    assert github.reviews == [] and len(model.review_requests) == 1
    assert all(r.method == "GET" for r in github.requests)


def test_every_github_request_sends_the_documented_headers(
    servers: tuple[FakeGitHub, FakeOpenAI],
) -> None:
    github, _ = servers
    result = run("--pr", f"{REPO}#12", "--post")
    assert result.exit_code == 0, result.output
    assert {r.method for r in github.requests} >= {"GET", "POST"}
    for request in github.requests:
        assert request.headers["accept"] == "application/vnd.github+json", request.path
        assert request.headers["x-github-api-version"] == "2022-11-28"
        assert request.headers["user-agent"] == f"reviewbot/{__version__}"
        assert request.headers["authorization"] == f"token {TOKEN}"


def test_pr_post_posts_one_review(servers: tuple[FakeGitHub, FakeOpenAI]) -> None:
    github, _ = servers
    result = run("--pr", f"{REPO}#12", "--post")
    assert result.exit_code == 0, result.output
    assert len(github.reviews) == 1 and github.rejected == []
    assert {c["path"] for c in github.review_comments} == {"calc.py", "notes 文件.md"}
    assert "review posted: " in result.stderr


def test_pr_dry_run_needs_no_model(servers: tuple[FakeGitHub, FakeOpenAI]) -> None:
    _, model = servers
    result = run("--pr", f"{REPO}#12", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "calc.py" in result.stdout and model.requests == []


def test_pr_that_does_not_exist_is_a_one_line_error(
    servers: tuple[FakeGitHub, FakeOpenAI],
) -> None:
    result = run("--pr", f"{REPO}#99")
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "not found" in result.stderr


def test_bad_pr_reference_is_a_usage_error(servers: tuple[FakeGitHub, FakeOpenAI]) -> None:
    result = run("--pr", "not a url")
    assert result.exit_code == 2 and "not a pull request reference" in result.stderr


def test_post_without_a_token_says_which_variable(
    servers: tuple[FakeGitHub, FakeOpenAI], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITHUB_TOKEN")
    result = run("--pr", f"{REPO}#12", "--post")
    assert result.exit_code == 2 and "GITHUB_TOKEN" in result.stderr


def test_reading_without_a_token_still_sends_the_documented_headers(
    servers: tuple[FakeGitHub, FakeOpenAI], monkeypatch: pytest.MonkeyPatch
) -> None:
    github, _ = servers
    monkeypatch.delenv("GITHUB_TOKEN")
    result = run("--pr", f"{REPO}#12", "--format", "json")
    # The fake, like GitHub for a private repository, answers 401 to a request without a token.
    assert result.exit_code == 2 and "GITHUB_TOKEN" in result.stderr
    assert github.requests
    for request in github.requests:
        assert "authorization" not in request.headers
        assert request.headers["accept"] == "application/vnd.github+json"
        assert request.headers["x-github-api-version"] == "2022-11-28"
