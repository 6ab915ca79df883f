"""Per-repository settings: `.reviewbot.toml` on the pull request's base branch, read through
the contents API, over the server's own REVIEWBOT_* environment.

The model endpoint, its key, prices, prompts and caching are the server's: a repository can
change how it is reviewed, never where its code (or the server's key) is sent.
"""

from __future__ import annotations

import tomllib
from typing import Any

from github import Github, GithubException
from pydantic import ValidationError

from reviewbot.config import ConfigError, Settings
from reviewbot.github.connection import GitHubError, explain

CONFIG_FILE = ".reviewbot.toml"
SERVER_ONLY = frozenset(
    {
        "provider",
        "base_url",
        "api_key",
        "model",
        "prompt_dir",
        "cache",
        "cache_dir",
        "price_input",
        "price_output",
        "prices",
        "token_encoding",
        "request_timeout",
        "concurrency",
        "github_write_interval",
    }
)


def read_repo_config(gh: Github, repo: str, ref: str) -> str | None:
    """The text of `.reviewbot.toml` at `ref`, or None when there is none."""
    try:
        content = gh.get_repo(repo).get_contents(CONFIG_FILE, ref=ref)
    except GithubException as exc:
        if exc.status == 404:
            return None
        raise GitHubError(explain(exc, f"reading {CONFIG_FILE} of {repo}@{ref}")) from None
    if isinstance(content, list):  # a directory of that name
        return None
    return content.decoded_content.decode("utf-8", errors="replace")


def repo_settings(text: str | None, origin: str) -> tuple[Settings, list[str]]:
    """Settings for one repository, and the keys it tried to set that only the server may."""
    values: dict[str, Any] = {}
    if text is not None:
        try:
            values = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{origin} is not valid TOML: {exc}") from None
    ignored = sorted(key for key in values if key in SERVER_ONLY)
    kept = {key: value for key, value in values.items() if key not in SERVER_ONLY}
    try:
        return Settings(**kept), ignored
    except ValidationError as exc:
        problems = "; ".join(
            f"unknown key '{'.'.join(map(str, e['loc']))}'"
            if e["type"] == "extra_forbidden"
            else f"{'.'.join(map(str, e['loc']))}: {e['msg']}"
            for e in exc.errors(include_url=False)
        )
        raise ConfigError(f"invalid configuration ({origin}): {problems}") from None
