"""The command's local-use details: `--output FILE` beside the terminal report, and hook mode
(what it does under pre-commit, which sets PRE_COMMIT=1), against the local model server."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest
from answers import content, issue, one_issue_per_file, shown_files
from cli_run import CODE, run
from fake_openai import FakeOpenAI, RecordedRequest, Reply
from gitrepo import GitRepo
from keys import TEST_KEY


def severity_answer(severity: str) -> Any:
    """A responder: one issue of `severity` on the first added line of each file shown."""

    def answer(request: RecordedRequest) -> Reply:
        issues = [
            issue(path, lines[0][0], lines[0][1], severity=severity)
            for path, lines in shown_files(request.user or "").items()
            if lines
        ]
        return Reply(content=content(6, issues))

    return answer


def closed_port_url() -> str:
    """A base URL on 127.0.0.1 where nothing listens: connections are refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


# ---------------------------------------------------------------------- --output FILE


def _check_sarif(text: str) -> None:
    data = json.loads(text)
    assert data["version"] == "2.1.0"
    [result] = data["runs"][0]["results"]
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "app.py"
    assert location["region"]["startLine"] == 1


def _check_json(text: str) -> None:
    data = json.loads(text)
    assert [(i["path"], i["line"], i["severity"]) for i in data["issues"]] == [
        ("app.py", 1, "high")
    ]


def _check_rdjson(text: str) -> None:
    [diagnostic] = json.loads(text)["diagnostics"]
    assert diagnostic["location"]["path"] == "app.py"
    assert diagnostic["location"]["range"]["start"]["line"] == 1


def _check_rdjsonl(text: str) -> None:
    [line] = text.splitlines()
    assert json.loads(line)["location"]["path"] == "app.py"


def _check_github(text: str) -> None:
    [line] = [x for x in text.splitlines() if x.startswith("::")]
    assert line.startswith("::error ") and "file=app.py" in line and "line=1" in line


def _check_markdown(text: str) -> None:
    assert text.startswith("## reviewbot review") and "Problem at app.py:1" in text


CHECKS = {
    "sarif": _check_sarif,
    "json": _check_json,
    "rdjson": _check_rdjson,
    "rdjsonl": _check_rdjsonl,
    "github": _check_github,
    "markdown": _check_markdown,
}


@pytest.mark.parametrize("fmt", list(CHECKS))
def test_output_file_gets_the_format_and_the_terminal_the_text_report(
    endpoint_env: FakeOpenAI, app_py: Path, tmp_path: Path, fmt: str
) -> None:
    endpoint_env.responder = one_issue_per_file
    target = tmp_path / f"review.{fmt}"
    result = run("app.py", "--format", fmt, "--output", str(target))
    assert result.exit_code == 0, result.stderr
    CHECKS[fmt](target.read_text(encoding="utf-8"))
    if fmt == "github":  # annotations work on stdout only: they go there too
        assert result.stdout == target.read_text(encoding="utf-8")
        return
    # The terminal report is the human one: code lines and the score footer, not the format.
    assert "Problem at app.py:1" in result.stdout
    assert "Score: 6/10" in result.stdout
    assert "def add(a, b):" in result.stdout
    assert not result.stdout.lstrip().startswith(("{", "::", "##"))
    assert len(endpoint_env.review_requests) == 1


def test_output_file_keeps_the_exit_code_and_has_no_colour(
    endpoint_env: FakeOpenAI, app_py: Path, tmp_path: Path
) -> None:
    endpoint_env.responder = one_issue_per_file
    target = tmp_path / "review.sarif"
    result = run(
        "app.py", "--format", "sarif", "--output", str(target), "--fail-on", "high", "--color"
    )
    assert result.exit_code == 1
    assert "\x1b[" in result.stdout, "the terminal asked for colour"
    assert "\x1b[" not in target.read_text(encoding="utf-8")
    _check_sarif(target.read_text(encoding="utf-8"))


def test_unwritable_output_is_a_usage_error(
    endpoint_env: FakeOpenAI, app_py: Path, tmp_path: Path
) -> None:
    result = run("app.py", "--format", "json", "--output", str(tmp_path / "missing" / "r.json"))
    assert result.exit_code == 2
    assert "does not exist" in result.stderr
    assert endpoint_env.requests == [], "refused before the review is paid for"


# ---------------------------------------------------------------------- hook mode


@pytest.fixture
def hook_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRE_COMMIT", "1")


def test_hook_mode_blocks_on_high_with_one_line_per_finding(
    endpoint_env: FakeOpenAI, app_py: Path, hook_mode: None
) -> None:
    endpoint_env.responder = one_issue_per_file
    result = run("app.py")
    assert result.exit_code == 1, "under pre-commit --fail-on defaults to high"
    lines = result.stdout.splitlines()
    assert lines[0] == "app.py:1: high: Problem at app.py:1 — Explain and fix."
    assert lines[-1].startswith("reviewbot: 1 finding (1 high), score 6/10")
    assert len(lines) == 2
    assert "SKIP=reviewbot git commit" in result.stderr
    assert "\x1b[" not in result.stdout


@pytest.mark.parametrize(
    "severity, args, env, code",
    [
        ("medium", [], {}, 0),
        ("critical", [], {}, 1),
        ("high", ["--fail-on", "critical"], {}, 0),
        ("low", ["--fail-on", "low"], {}, 1),
        ("critical", [], {"REVIEWBOT_FAIL_ON": "never"}, 0),
        ("medium", [], {"REVIEWBOT_FAIL_ON": "medium"}, 1),
    ],
)
def test_hook_mode_threshold_can_be_changed(
    endpoint_env: FakeOpenAI,
    app_py: Path,
    hook_mode: None,
    monkeypatch: pytest.MonkeyPatch,
    severity: str,
    args: list[str],
    env: dict[str, str],
    code: int,
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    endpoint_env.responder = severity_answer(severity)
    result = run("app.py", *args)
    assert result.exit_code == code, result.output
    assert f"app.py:1: {severity}: Problem at app.py:1" in result.stdout


@pytest.mark.parametrize("fail_on, code", [("medium", 1), ("never", 0)])
def test_hook_mode_honours_the_config_file_threshold(
    endpoint_env: FakeOpenAI, app_py: Path, hook_mode: None, fail_on: str, code: int
) -> None:
    (app_py.parent / ".reviewbot.toml").write_text(f'fail_on = "{fail_on}"\n')
    endpoint_env.responder = severity_answer("medium" if fail_on == "medium" else "critical")
    assert run("app.py").exit_code == code


def test_hook_mode_without_a_key_says_how_to_set_it_or_skip(
    model_server: FakeOpenAI, app_py: Path, hook_mode: None
) -> None:
    result = run("app.py", "--base-url", model_server.base_url, "--model", "m")
    assert result.exit_code == 2
    [line] = result.stderr.splitlines()
    assert "no API key: set OPENAI_API_KEY" in line
    assert "SKIP=reviewbot git commit" in line
    assert model_server.requests == []


def test_outside_hook_mode_errors_carry_no_skip_hint(
    model_server: FakeOpenAI, app_py: Path
) -> None:
    result = run("app.py", "--base-url", model_server.base_url, "--model", "m")
    assert result.exit_code == 2
    assert "no API key" in result.stderr and "SKIP=" not in result.stderr


@pytest.mark.parametrize("hooked", [True, False])
def test_endpoint_down_fails_by_default_and_says_so(
    app_py: Path, monkeypatch: pytest.MonkeyPatch, hooked: bool
) -> None:
    if hooked:
        monkeypatch.setenv("PRE_COMMIT", "1")
    url = closed_port_url()
    # Default retries: refused connections are retried with backoff (a few seconds), then fail.
    args = [] if hooked else ["--max-retries", "0"]
    result = run("app.py", "--api-key", TEST_KEY, "--base-url", url, "--model", "m", *args)
    assert result.exit_code == 3
    last = result.stderr.splitlines()[-1]
    assert last.startswith("reviewbot: endpoint unusable") and "could not reach" in last
    assert ("--on-error, pass" in last) is hooked
    assert ("SKIP=reviewbot git commit" in last) is hooked
    assert TEST_KEY not in result.output


@pytest.mark.parametrize("how", ["flag", "env"])
def test_endpoint_down_passes_with_on_error_pass(
    app_py: Path, monkeypatch: pytest.MonkeyPatch, hook_mode: None, how: str
) -> None:
    url = closed_port_url()
    args = ["app.py", "--api-key", TEST_KEY, "--base-url", url, "--model", "m"]
    args += ["--max-retries", "0"]
    if how == "flag":
        args += ["--on-error", "pass"]
    else:
        monkeypatch.setenv("REVIEWBOT_ON_ERROR", "pass")
    result = run(*args)
    assert result.exit_code == 0
    assert "endpoint unusable" in result.stderr and "--on-error pass" in result.stderr


def test_staged_review_sends_only_staged_lines_of_the_named_files(
    endpoint_env: FakeOpenAI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hook_mode: None
) -> None:
    repo = GitRepo(tmp_path / "repo")
    repo.write("app.py", CODE)
    repo.write("other.py", "x = 1\n")
    repo.write("third.py", "y = 1\n")
    repo.commit("base")
    repo.write("app.py", CODE + "\n\ndef staged_line():\n    pass\n")
    repo.write("third.py", "y = 'staged but not named'\n")
    repo.run("add", "app.py", "third.py")
    repo.write("app.py", CODE + "\n\ndef staged_line():\n    pass\n\nUNSTAGED_EDIT = 1\n")
    repo.write("other.py", "x = 'unstaged only'\n")
    monkeypatch.chdir(repo.root)

    result = run("--staged", "app.py", "other.py")
    assert result.exit_code == 0, result.output
    [request] = endpoint_env.review_requests
    user = request.user or ""
    assert [code for _, code in shown_files(user)["app.py"]] == [
        "",
        "",
        "def staged_line():",
        "    pass",
    ]
    assert "UNSTAGED_EDIT" not in user and "unstaged only" not in user
    assert "staged but not named" not in user


def test_hook_finding_on_an_unstaged_file_is_pinned_by_its_quote(
    endpoint_env: FakeOpenAI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hook_mode: None
) -> None:
    """The model names a file that is not staged but quotes a staged line verbatim: the finding
    lands on that line, not as a general finding."""
    repo = GitRepo(tmp_path / "repo")
    repo.write("app.py", CODE)
    repo.write("other.py", "x = 1\n")
    repo.commit("base")
    repo.write("app.py", CODE + "\nTOKEN = 'ghp_example_not_real'\n")
    repo.run("add", "app.py")
    monkeypatch.chdir(repo.root)
    wrong_file = issue("other.py", 1, "TOKEN = 'ghp_example_not_real'", severity="medium")
    endpoint_env.script(Reply(content=content(7, [wrong_file])))

    result = run("--staged")
    assert result.exit_code == 0, result.output
    first = result.stdout.splitlines()[0]
    assert first == "app.py:8: medium: Problem at other.py:1 — Explain and fix."
    assert "(general)" not in result.stdout
