"""A PyGithub client configured for a bot: bounded retries that never repeat a POST, and the
headers GitHub documents (media type, API version, a User-Agent naming reviewbot)."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from github import Auth, Github, GithubException, GithubRetry

from reviewbot import __version__
from reviewbot.errors import UserError
from reviewbot.exitcodes import EXIT_ENDPOINT
from reviewbot.redact import redact, register_secret

PUBLIC_API = "https://api.github.com"
# https://docs.github.com/en/rest/using-the-rest-api/getting-started-with-the-rest-api
MEDIA_TYPE = "application/vnd.github+json"
API_VERSION = "2022-11-28"
USER_AGENT = f"reviewbot/{__version__}"
ACTIONS_BOT = "github-actions[bot]"
# urllib3's idempotent methods: a POST that timed out may have been carried out, so it is
# never retried blindly (publish.py checks the PR before posting again).
RETRIED_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
_URL = re.compile(r"^https?://(?P<host>[^/]+)/(?P<owner>[^/]+)/(?P<repo>[^/]+)/pulls?/(?P<n>\d+)")
_SHORT = re.compile(r"^(?P<owner>[\w.-]+)/(?P<repo>[\w.-]+)#(?P<n>\d+)$")


class _BotHeaders(Auth.Auth):
    """The token, if any, and GitHub's recommended media type on every request.

    PyGithub has no setting for default headers and lets requests send `Accept: */*`; the auth
    hook is the one place every request passes, after a call has set its own media type (such
    as a diff), which is kept.
    """

    def __init__(self, token: str | None) -> None:
        self._token = token

    @property
    def token_type(self) -> str:
        return "token"

    @property
    def token(self) -> str:
        return self._token or ""

    def authentication(self, headers: dict[str, Any]) -> None:
        if self._token:
            super().authentication(headers)
        headers.setdefault("Accept", MEDIA_TYPE)

    def mask_authentication(self, headers: dict[str, Any]) -> None:
        if self._token:
            headers["Authorization"] = "token (removed)"


class GitHubError(UserError):
    """GitHub refused or failed a request; the message says what to fix."""


class GitHubUnreachable(GitHubError):
    """The network failed between us and GitHub (refused, unresolvable, timed out, TLS)."""

    exit_code = EXIT_ENDPOINT


def network_reason(exc: BaseException) -> str:
    """The innermost cause in words ("Connection refused", "timed out"), not a pool's repr."""
    reason: str | None = None
    current: BaseException | None = exc
    seen: set[int] = set()
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and isinstance(current.strerror, str):
            reason = current.strerror
        elif isinstance(current, TimeoutError) or "timed out" in str(current).lower():
            reason = reason or "timed out"
        current = current.__cause__ or current.__context__
    if reason is None and isinstance(exc, requests.Timeout):
        reason = "timed out"
    return redact(reason or str(exc))[:200]


@contextmanager
def reaching(api_url: str) -> Iterator[None]:
    """Turns a network failure under PyGithub into GitHubUnreachable naming the host."""
    try:
        yield
    except requests.exceptions.RequestException as exc:
        host = urlsplit(api_url).netloc.rpartition("@")[2] or api_url
        raise GitHubUnreachable(f"could not reach {host}: {network_reason(exc)}") from None


@dataclass(frozen=True)
class PullRef:
    repo: str
    number: int
    api_url: str | None = None  # derived from the URL's host; None = GITHUB_API_URL or public


def parse_pull_ref(text: str) -> PullRef:
    """`https://github.com/o/r/pull/12`, a GitHub Enterprise URL, or `o/r#12`."""
    text = text.strip()
    short = _SHORT.match(text)
    if short:
        return PullRef(f"{short['owner']}/{short['repo']}", int(short["n"]))
    url = _URL.match(text)
    if not url:
        raise GitHubError(
            f"not a pull request reference: {text!r} (use https://github.com/OWNER/REPO/pull/N "
            "or OWNER/REPO#N)"
        )
    host = url["host"]
    api = PUBLIC_API if host in ("github.com", "www.github.com") else f"https://{host}/api/v3"
    return PullRef(f"{url['owner']}/{url['repo']}", int(url["n"]), api)


def api_url_for(ref: PullRef) -> str:
    return os.environ.get("GITHUB_API_URL") or ref.api_url or PUBLIC_API


def connect(
    token: str | None,
    api_url: str,
    *,
    write_interval: float,
    retries: int = 3,
    timeout: int = 30,
) -> Github:
    """`write_interval`: seconds between writes (Settings.github_write_interval)."""
    register_secret(token)
    # PyGithub logs every failed request as a warning; ours are reported once, with a fix.
    logging.getLogger("github").setLevel(logging.ERROR)
    retry = GithubRetry(total=retries, allowed_methods=RETRIED_METHODS, backoff_factor=0.5)
    return Github(
        base_url=api_url.rstrip("/"),
        auth=_BotHeaders(token),
        user_agent=USER_AGENT,
        api_version=API_VERSION,
        retry=retry,
        timeout=timeout,
        per_page=100,
        seconds_between_requests=None,
        # GitHub asks integrations to space out writes to stay clear of secondary limits.
        seconds_between_writes=write_interval,
    )


def bot_login(gh: Github) -> str | None:
    """Whose comments are ours, or None when the token can't say (installation tokens, such as
    an Actions GITHUB_TOKEN, get 403 on /user)."""
    try:
        return gh.get_user().login
    except GithubException:
        return None


def explain(exc: GithubException, what: str) -> str:
    """One line naming the likely fix, with GitHub's own message."""
    message = exc.message or (exc.data.get("message") if isinstance(exc.data, dict) else None)
    detail = f" ({message})" if message else ""
    hints = {
        401: "the GitHub token was rejected: check GITHUB_TOKEN",
        403: "the GitHub token may not do this: check its permissions "
        "(pull-requests: write to post)",
        404: "not found: check the repository, the pull request number and that the token "
        "can see the repository",
    }
    hint = hints.get(exc.status, f"GitHub answered {exc.status}")
    return f"{what}: {hint}{detail}"
