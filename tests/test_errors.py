"""The one error handler every face reports through: user errors, internal errors, debug."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from reviewbot.config import ConfigError
from reviewbot.diffparse import DiffParseError
from reviewbot.errors import UnusableEndpoint, UserError, error_handler
from reviewbot.exitcodes import EXIT_ENDPOINT, EXIT_INTERNAL, EXIT_USAGE
from reviewbot.github.connection import GitHubError
from reviewbot.github.publish import PostingForbidden
from reviewbot.llm import EndpointError
from reviewbot.prompts import PromptError
from reviewbot.redact import register_secret
from reviewbot.sources import SourceError

SECRET = "sk-errors-test-0123456789abcdef"


def handled(exc: BaseException, hint: str = "") -> tuple[int, list[str]]:
    lines: list[str] = []
    with pytest.raises(SystemExit) as done, error_handler(lines.append, hint=hint):
        raise exc
    assert isinstance(done.value.code, int)
    return done.value.code, lines


@pytest.mark.parametrize(
    "cls", [ConfigError, SourceError, DiffParseError, PromptError, GitHubError, PostingForbidden]
)
def test_every_message_for_the_user_is_a_user_error_with_the_usage_code(
    cls: type[UserError],
) -> None:
    assert issubclass(cls, UserError)
    code, lines = handled(cls("bad thing: fix it"), hint=" (hint)")
    assert (code, lines) == (EXIT_USAGE, ["bad thing: fix it (hint)"])


def test_missing_api_key_is_a_config_error() -> None:
    from reviewbot.app import MissingApiKey

    assert issubclass(MissingApiKey, ConfigError)


def test_an_unusable_endpoint_exits_3() -> None:
    assert issubclass(EndpointError, UnusableEndpoint)
    assert handled(EndpointError("the key was rejected")) == (
        EXIT_ENDPOINT,
        ["the key was rejected"],
    )


def test_internal_error_has_its_own_code_and_no_traceback(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, lines = handled(KeyError("boom"))
    assert code == EXIT_INTERNAL and code not in (0, 1, 2, 3)
    assert lines == ["internal error: KeyError: 'boom' (set REVIEWBOT_DEBUG=1 for the traceback)"]
    assert "Traceback" not in capsys.readouterr().err


def test_debug_adds_the_traceback_with_secrets_masked(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REVIEWBOT_DEBUG", "1")
    register_secret(SECRET)
    code, lines = handled(RuntimeError(f"leaked {SECRET}"))
    err = capsys.readouterr().err
    assert code == EXIT_INTERNAL and lines == [f"internal error: RuntimeError: leaked {SECRET}"]
    assert "Traceback (most recent call last)" in err and "RuntimeError: leaked" in err
    assert SECRET not in err


def test_user_error_traceback_only_with_debug(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    handled(ConfigError("nope"))
    assert "Traceback" not in capsys.readouterr().err
    monkeypatch.setenv("REVIEWBOT_DEBUG", "1")
    assert handled(ConfigError("nope")) == (EXIT_USAGE, ["nope"])
    assert "ConfigError: nope" in capsys.readouterr().err


def test_interrupt_exits_130() -> None:
    assert handled(KeyboardInterrupt()) == (130, ["interrupted"])


def test_a_closed_stdout_is_left_to_the_caller() -> None:
    with pytest.raises(BrokenPipeError), error_handler(lambda _: None):
        raise BrokenPipeError


def _crash_cli(tmp_path: Path, debug: bool) -> subprocess.CompletedProcess[str]:
    """The real console entry point with a bug planted in it (a sitecustomize patch)."""
    (tmp_path / "sitecustomize.py").write_text(
        "import reviewbot.cli\n"
        "def _boom(*a, **k):\n"
        "    raise ZeroDivisionError('planted bug')\n"
        "reviewbot.cli.load_settings = _boom\n"
    )
    (tmp_path / "app.py").write_text("x = 1\n")
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tmp_path), "HOME": str(tmp_path)}
    if debug:
        env["REVIEWBOT_DEBUG"] = "1"
    return subprocess.run(
        [sys.executable, "-c", "from reviewbot.cli import main; main()", "app.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        check=False,
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.parametrize("debug", [False, True])
def test_cli_internal_error_exits_4(tmp_path: Path, debug: bool) -> None:
    done = _crash_cli(tmp_path, debug)
    assert done.returncode == EXIT_INTERNAL, done.stderr
    assert ("Traceback" in done.stderr) is debug
    assert (
        done.stderr.strip()
        .splitlines()[-1]
        .startswith("reviewbot: internal error: ZeroDivisionError: planted bug")
    )


def test_action_reports_errors_as_workflow_commands(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from reviewbot import action

    def user_error() -> int:
        raise GitHubError("reading pull request o/r#1: not found")

    def bug() -> int:
        raise IndexError("planted")

    for run, code, line in (
        (user_error, EXIT_USAGE, "::error::reviewbot: reading pull request o/r#1: not found"),
        (bug, EXIT_INTERNAL, "::error::reviewbot: internal error: IndexError: planted"),
    ):
        monkeypatch.setattr(action, "run", run)
        with pytest.raises(SystemExit) as done:
            action.main()
        assert done.value.code == code
        assert capsys.readouterr().out.startswith(line)
