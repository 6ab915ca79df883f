"""Settings is the one source of the command line's defaults, choices and help."""

from __future__ import annotations

from pathlib import Path
from typing import Any, get_args

import click
import platformdirs
import pytest
from cli_run import run

from reviewbot.cli import command
from reviewbot.config import FAIL_ON_VALUES, FailOn, Settings, load_settings
from reviewbot.providers import PROVIDERS
from reviewbot.reporters import FORMATS, REPORTERS, reporter_class
from reviewbot.settingflags import FLAGS, SettingFlags, help_for, overrides


def options() -> dict[str, click.Option]:
    return {p.name: p for p in command.params if isinstance(p, click.Option) and p.name is not None}


def params(*args: str) -> dict[str, Any]:
    return command.make_context("reviewbot", list(args)).params


def test_every_setting_has_a_description() -> None:
    missing = [name for name, info in Settings.model_fields.items() if not info.description]
    assert missing == []


def test_the_flags_are_keyed_by_settings_fields() -> None:
    names = {flag.setting for flag in FLAGS}
    assert names == set(SettingFlags.__annotations__)
    assert names <= set(Settings.model_fields)
    assert names <= set(options())


def test_help_text_is_the_settings_description() -> None:
    shown = options()
    for flag in FLAGS:
        description = Settings.model_fields[flag.setting].description
        assert description is not None
        help_text = shown[flag.setting].help
        assert help_text == help_for(flag.setting, flag.choices, flag.note)
        assert help_text is not None and help_text.startswith(description)
    assert shown["concurrency"].help == "Requests in flight at once (default 4)."
    assert shown["request_timeout"].help == "Seconds per request (default 180)."
    assert shown["max_chunk_tokens"].help == "Diff tokens per request (default from model)."


def test_provider_help_lists_every_preset() -> None:
    result = run("--help")
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    for name in PROVIDERS:
        assert f" {name}," in text or f" {name}." in text, name
    assert "siliconflow-intl" in text


def test_choices_come_from_the_types_and_the_registry() -> None:
    shown = options()
    assert FAIL_ON_VALUES == get_args(FailOn) == ("never", "low", "medium", "high", "critical")
    assert isinstance(shown["fail_on"].type, click.Choice)
    assert tuple(shown["fail_on"].type.choices) == FAIL_ON_VALUES
    response_format = Settings.model_fields["response_format"].annotation
    assert isinstance(shown["response_format"].type, click.Choice)
    assert tuple(shown["response_format"].type.choices) == get_args(response_format)
    assert isinstance(shown["fmt"].type, click.Choice)
    assert tuple(shown["fmt"].type.choices) == FORMATS == tuple(REPORTERS)
    assert all(reporter_class(name).name == name for name in FORMATS)


def test_switches_keep_their_old_spelling() -> None:
    assert params()["cache"] is None and params()["default_excludes"] is None
    given = params("--no-cache", "--no-default-excludes", "--include", "a/*", "--include", "b")
    assert given["cache"] is False and given["default_excludes"] is False
    flags = {k: v for k, v in given.items() if k in SettingFlags.__annotations__}
    settings = load_settings(overrides(flags))  # type: ignore[arg-type]
    assert settings.cache is False and settings.default_excludes is False
    assert settings.include == ["a/*", "b"] and settings.exclude == []
    assert params("--request-changes")["request_changes"] is True


def test_cache_dir_and_github_write_interval_are_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("REVIEWBOT_CACHE_DIR", str(tmp_path / "c"))
    monkeypatch.setenv("REVIEWBOT_GITHUB_WRITE_INTERVAL", "0")
    settings = load_settings({}, cwd=tmp_path)
    assert settings.cache_dir == tmp_path / "c" and settings.github_write_interval == 0
    monkeypatch.delenv("REVIEWBOT_CACHE_DIR")
    monkeypatch.delenv("REVIEWBOT_GITHUB_WRITE_INTERVAL")
    settings = load_settings({}, cwd=tmp_path)
    assert settings.cache_dir == Path(platformdirs.user_cache_dir("reviewbot", appauthor=False))
    assert settings.github_write_interval == 1.0
