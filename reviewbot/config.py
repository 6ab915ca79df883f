"""Settings: flags > env (REVIEWBOT_*) > .reviewbot.toml or [tool.reviewbot] > defaults."""

from __future__ import annotations

import difflib
import os
import tomllib
from pathlib import Path
from typing import Any, Literal, get_args

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from reviewbot.errors import UserError
from reviewbot.rules import PathRule

FailOn = Literal["never", "low", "medium", "high", "critical"]
FAIL_ON_VALUES: tuple[str, ...] = get_args(FailOn)
MinSeverity = Literal["low", "medium", "high", "critical"]


class ConfigError(UserError):
    """Configuration that cannot work; the message is one line for the user."""


class ModelPrice(BaseModel):
    model_config = ConfigDict(extra="forbid")
    input: float = Field(ge=0)
    output: float = Field(ge=0)
    currency: Literal["USD", "CNY"] | None = None  # default: the provider's billing currency


def _user_cache_dir() -> Path:
    return Path(platformdirs.user_cache_dir("reviewbot", appauthor=False))


class Settings(BaseSettings):
    """Every setting, its default, its allowed values and its help: the command line's options
    (see settingflags.py) are built from these fields."""

    model_config = SettingsConfigDict(
        env_prefix="REVIEWBOT_", extra="forbid", validate_default=True, env_ignore_empty=True
    )

    provider: str | None = Field(None, description="Preset")
    base_url: str | None = Field(
        None, description="OpenAI-compatible base URL (default: provider's, OPENAI_BASE_URL)"
    )
    api_key: SecretStr | None = Field(
        None, description="API key (prefer the env var: OPENAI_API_KEY or the provider's)"
    )
    model: str | None = Field(None, description="Model name")

    language: str = Field("en", description="Review language: en, zh, ja, ...")
    instructions: str | None = Field(None, description="Project rules for the reviewer")
    prompt_dir: Path | None = Field(
        None, description="Directory overriding system.j2 / user.j2 / reask.j2 / verify.j2"
    )
    max_issues_per_chunk: int = Field(
        10, ge=1, le=50, description="Findings the model may report per chunk"
    )

    include: list[str] = Field(
        default_factory=list, description="Only review paths matching these globs"
    )
    exclude: list[str] = Field(default_factory=list, description="Skip paths matching these globs")
    default_excludes: bool = Field(
        True, description="Skip lock, minified and generated files (on by default)"
    )

    max_chunk_tokens: int | None = Field(
        None, ge=200, description="Diff tokens per request (default from model)"
    )
    max_answer_tokens: int = Field(4096, ge=256, description="max_tokens for each answer")
    temperature: float | None = Field(0.2, ge=0, le=2, description="Sampling temperature")
    top_p: float | None = Field(None, gt=0, le=1, description="Nucleus sampling top_p")
    seed: int | None = Field(None, description="Sampling seed, where the provider supports it")
    stream: bool | None = Field(
        None, description="Stream answers (default: on for reasoning models)"
    )
    response_format: Literal["auto", "json_schema", "json_object", "none"] = Field(
        "auto", description="Structured output mode to start with"
    )
    token_encoding: Literal["auto", "o200k_base", "cl100k_base", "estimate"] = Field(
        "auto", description="Tokenizer for counting prompt tokens"
    )

    concurrency: int = Field(4, ge=1, le=64, description="Requests in flight at once")
    max_reasks: int = Field(2, ge=0, le=5, description="Re-asks after an invalid answer")
    max_retries: int = Field(3, ge=0, le=10, description="Retries of 429/5xx/timeouts")
    request_timeout: float = Field(180.0, gt=0, description="Seconds per request")
    timeout: float | None = Field(
        None, gt=0, description="Deadline for the whole review, in seconds"
    )
    max_tokens: int | None = Field(
        None, ge=1, description="Token budget for the run; stops sending when spent"
    )
    max_cost: float | None = Field(
        None,
        ge=0,
        description="Money budget for the run, in the price's currency (USD or CNY); stops "
        "sending when the next request would pass it",
    )
    max_diff_mb: float = Field(32.0, gt=0, description="Largest diff read, in MB")

    fail_on: FailOn = Field(
        "never",
        description="Exit 1 when a finding is at or above this severity (default never; high "
        "under pre-commit)",
    )
    on_error: Literal["pass", "fail"] = Field(
        "fail", description="When the endpoint is unusable: exit 3 (fail, default) or 0 (pass)"
    )

    price_input: float | None = Field(
        None, ge=0, description="Price per million input tokens, for the estimate"
    )
    price_output: float | None = Field(None, ge=0, description="Price per million output tokens")
    prices: dict[str, ModelPrice] = Field(
        default_factory=dict, description="Prices per model: {input, output} per million tokens"
    )

    cache: bool = Field(True, description="Read and write the review cache (on by default)")
    cache_dir: Path = Field(
        default_factory=_user_cache_dir,
        description="Cache directory (default: the user cache directory)",
    )

    max_comments: int = Field(25, ge=0, description="With --post: inline comments at most")
    incremental: bool = Field(
        True,
        description="With --post: review only what changed since the last reviewed commit "
        "(on by default; --full reviews the whole pull request)",
    )
    request_changes: bool = Field(
        False, description="With --post: request changes when findings reach --fail-on"
    )
    github_write_interval: float = Field(
        1.0, ge=0, description="Seconds between GitHub writes (GitHub's secondary rate limits)"
    )

    verify: bool = Field(
        True, description="Self-check: ask the model to re-examine its findings (on by default)"
    )
    verify_model: str | None = Field(
        None, description="Model for the self-check, on the same endpoint (default: --model)"
    )
    min_severity: MinSeverity = Field(
        "low", description="Show and post only findings at or above this severity"
    )
    repo_rules: bool = Field(
        True,
        description="Read the repository's AGENTS.md (or .github/copilot-instructions.md) from "
        "the base side (on by default)",
    )
    rules: list[PathRule] = Field(
        default_factory=list, description="Path-scoped rules: [[rules]] with paths and text"
    )


def find_config_file(start: Path) -> Path | None:
    """.reviewbot.toml, or a pyproject.toml with [tool.reviewbot], in start or its parents."""
    for folder in (start, *start.parents):
        candidate = folder / ".reviewbot.toml"
        if candidate.is_file():
            return candidate
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and _has_tool_table(pyproject):
            return pyproject
        if (folder / ".git").exists():
            break
    return None


def _has_tool_table(pyproject: Path) -> bool:
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data.get("tool"), dict) and "reviewbot" in data["tool"]


def _file_source(settings_cls: type[BaseSettings], path: Path) -> PydanticBaseSettingsSource:
    header: tuple[str, ...] = ("tool", "reviewbot") if path.name == "pyproject.toml" else ()
    return TomlConfigSettingsSource(settings_cls, toml_file=path, toml_table_header=header)


def _did_you_mean(loc: tuple[int | str, ...]) -> str:
    """ " (did you mean 'language'?)" for a misspelt key, or nothing when none is close."""
    known: list[str] = []
    if len(loc) == 1:
        known = list(Settings.model_fields)
    elif len(loc) == 3 and loc[0] == "prices":
        known = list(ModelPrice.model_fields)
    close = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _one_line(exc: ValidationError, origin: str) -> str:
    problems = []
    for err in exc.errors(include_url=False):
        where = ".".join(str(p) for p in err["loc"]) or "settings"
        if err["type"] == "extra_forbidden":
            problems.append(f"unknown key '{where}'{_did_you_mean(err['loc'])}")
        else:
            problems.append(f"{where}: {err['msg']}")
    return f"invalid configuration ({origin}): " + "; ".join(problems)


def load_settings(
    overrides: dict[str, Any], config_file: Path | None = None, cwd: Path | None = None
) -> Settings:
    """Settings from flags (`overrides`, None values ignored), env, a config file, defaults."""
    path = config_file or find_config_file((cwd or Path.cwd()).resolve())
    if config_file is not None and not config_file.is_file():
        raise ConfigError(f"config file not found: {config_file}")
    if path is not None:
        try:
            tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read config file {path}: {exc.__class__.__name__}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None

    class _Bound(Settings):
        @classmethod
        def settings_customise_sources(
            cls,
            settings_cls: type[BaseSettings],
            init_settings: PydanticBaseSettingsSource,
            env_settings: PydanticBaseSettingsSource,
            dotenv_settings: PydanticBaseSettingsSource,
            file_secret_settings: PydanticBaseSettingsSource,
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            files = (_file_source(settings_cls, path),) if path is not None else ()
            return (init_settings, env_settings, *files)

    given = {k: v for k, v in overrides.items() if v is not None}
    origin = f"flags, REVIEWBOT_* env or {path}" if path else "flags or REVIEWBOT_* env"
    try:
        return _Bound(**given)
    except ValidationError as exc:
        raise ConfigError(_one_line(exc, origin)) from None
    except (KeyError, ValueError) as exc:
        raise ConfigError(f"invalid configuration ({origin}): {exc}") from None


def env(name: str) -> str | None:
    value = os.environ.get(name, "").strip()
    return value or None
