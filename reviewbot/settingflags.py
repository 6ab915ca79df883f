"""The command line's setting options, built from `Settings`: its field descriptions are the
help, its Literal types and the registries are the choices, its defaults are shown from the
field. The options' values arrive as `SettingFlags`, keyed by Settings field names."""

from __future__ import annotations

import types
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypedDict, TypeVar, Union, get_args, get_origin

import click
from pydantic_core import PydanticUndefined

from reviewbot.config import Settings
from reviewbot.providers import PROVIDERS

F = TypeVar("F", bound=Callable[..., Any])


class SettingFlags(TypedDict):
    """What the setting options hand the command (None = not given)."""

    provider: str | None
    base_url: str | None
    api_key: str | None
    model: str | None
    language: str | None
    instructions: str | None
    prompt_dir: Path | None
    include: tuple[str, ...]
    exclude: tuple[str, ...]
    default_excludes: bool | None
    max_chunk_tokens: int | None
    max_answer_tokens: int | None
    temperature: float | None
    top_p: float | None
    seed: int | None
    stream: bool | None
    response_format: str | None
    concurrency: int | None
    max_reasks: int | None
    max_retries: int | None
    request_timeout: float | None
    timeout: float | None
    max_tokens: int | None
    max_cost: float | None
    max_diff_mb: float | None
    price_input: float | None
    price_output: float | None
    fail_on: str | None
    on_error: str | None
    cache: bool | None
    cache_dir: Path | None
    max_comments: int | None
    request_changes: bool | None
    incremental: bool | None
    verify: bool | None
    verify_model: str | None
    min_severity: str | None
    repo_rules: bool | None


@dataclass(frozen=True)
class Flag:
    decl: str  # "--concurrency", or "--cache/--no-cache" for a switch
    setting: str  # the Settings field it sets
    choices: tuple[str, ...] = ()  # shown in the help; not enforced (the setting says why)
    note: str = ""  # what only the command line adds, e.g. "repeatable"
    kwargs: dict[str, Any] = field(default_factory=dict)


FLAGS: tuple[Flag, ...] = (
    Flag("--provider", "provider", choices=tuple(PROVIDERS)),
    Flag("--base-url", "base_url"),
    Flag("--api-key", "api_key"),
    Flag("--model", "model"),
    Flag("--language", "language"),
    Flag("--instructions", "instructions", note="text, or @file"),
    Flag("--prompt-dir", "prompt_dir"),
    Flag("--include", "include", note="repeatable"),
    Flag("--exclude", "exclude", note="repeatable"),
    Flag("--default-excludes/--no-default-excludes", "default_excludes"),
    Flag("--max-chunk-tokens", "max_chunk_tokens"),
    Flag("--max-answer-tokens", "max_answer_tokens"),
    Flag("--temperature", "temperature"),
    Flag("--top-p", "top_p"),
    Flag("--seed", "seed"),
    Flag("--stream/--no-stream", "stream"),
    Flag("--response-format", "response_format"),
    Flag("--concurrency", "concurrency"),
    Flag("--max-reasks", "max_reasks"),
    Flag("--max-retries", "max_retries"),
    Flag("--request-timeout", "request_timeout"),
    Flag("--timeout", "timeout"),
    Flag("--max-tokens", "max_tokens"),
    Flag("--max-cost", "max_cost"),
    Flag("--max-diff-mb", "max_diff_mb"),
    Flag("--price-input", "price_input"),
    Flag("--price-output", "price_output"),
    Flag("--fail-on", "fail_on"),
    Flag("--on-error", "on_error"),
    Flag("--cache/--no-cache", "cache"),
    Flag("--cache-dir", "cache_dir"),
    Flag("--max-comments", "max_comments"),
    Flag("--request-changes", "request_changes", kwargs={"is_flag": True}),
    Flag("--incremental/--full", "incremental"),
    Flag("--verify/--no-verify", "verify"),
    Flag("--verify-model", "verify_model"),
    Flag("--min-severity", "min_severity"),
    Flag("--repo-rules/--no-repo-rules", "repo_rules"),
)


def _shown(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def help_for(setting: str, choices: tuple[str, ...] = (), note: str = "") -> str:
    """The field's description, then the choices, the note and the default (unless the
    description already says what the default is)."""
    info = Settings.model_fields[setting]
    text = info.description or ""
    if choices:
        text += ": " + ", ".join(choices)
    if note:
        text += f" ({note})"
    default = info.default
    shown = default not in (None, PydanticUndefined) and not isinstance(default, bool)
    if shown and "default" not in text:
        text += f" (default {_shown(default)})"
    return text + "."


def _value_type(setting: str) -> tuple[Any, bool]:
    """The click type of a setting, and whether it takes a list."""
    annotation = Settings.model_fields[setting].annotation
    if get_origin(annotation) in (Union, types.UnionType):
        annotation = next(a for a in get_args(annotation) if a is not type(None))
    if get_origin(annotation) is Literal:
        return click.Choice(get_args(annotation)), False
    if get_origin(annotation) is list:
        return str, True
    if annotation is Path:
        return click.Path(path_type=Path), False
    if annotation in (int, float):
        return annotation, False
    return str, False


def setting_options(command: F) -> F:
    """Add an option for every entry of FLAGS to a click command."""
    return setting_options_without()(command)


def setting_options_without(*settings: str) -> Callable[[F], F]:
    """Like setting_options, minus the named settings (a face whose flag of that name means
    something else, or that has no use for it)."""
    unknown = set(settings) - {flag.setting for flag in FLAGS}
    if unknown:
        raise ValueError(f"no flag for settings {sorted(unknown)}")
    return lambda command: _add_options(command, [f for f in FLAGS if f.setting not in settings])


def _add_options(command: F, flags: list[Flag]) -> F:
    for flag in reversed(flags):
        kwargs: dict[str, Any] = {"help": help_for(flag.setting, flag.choices, flag.note)}
        if "/" in flag.decl or flag.kwargs.get("is_flag"):
            kwargs["default"] = None
        else:
            value_type, many = _value_type(flag.setting)
            kwargs.update(type=value_type, multiple=many)
        kwargs.update(flag.kwargs)
        command = click.option(flag.decl, flag.setting, **kwargs)(command)
    return command


def overrides(flags: SettingFlags) -> dict[str, Any]:
    """Settings overrides from the options: not-given ones (None, no repeats) left out."""
    given: dict[str, Any] = {}
    for name, value in flags.items():
        if isinstance(value, tuple):
            value = list(value) or None
        if value is not None:
            given[name] = value
    return given
