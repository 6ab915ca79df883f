"""GitHub App authentication: App id + private key -> JWT -> installation token (PyGithub).

Tokens are cached per installation until shortly before they expire (GitHub gives an hour).
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from github import Auth, GithubException, GithubIntegration, GithubRetry

from reviewbot.github.connection import GitHubError, explain
from reviewbot.redact import register_secret

REFRESH_MARGIN = timedelta(minutes=5)


def _app_error(exc: GithubException, what: str) -> GitHubError:
    if exc.status == 401:
        return GitHubError(
            f"{what}: GitHub refused the App's JWT: check REVIEWBOT_APP_ID and the App's "
            "private key"
        )
    return GitHubError(explain(exc, what))


class InstallationTokens:
    def __init__(self, app_id: str, private_key: str, api_url: str) -> None:
        self._integration = GithubIntegration(
            auth=Auth.AppAuth(app_id, private_key),
            base_url=api_url.rstrip("/"),
            retry=GithubRetry(total=3, backoff_factor=0.5),
            timeout=30,
        )
        self._lock = threading.Lock()
        self._cache: dict[int, tuple[str, datetime]] = {}

    def token(self, installation_id: int) -> str:
        with self._lock:
            cached = self._cache.get(installation_id)
            if cached is not None and cached[1] - datetime.now(UTC) > REFRESH_MARGIN:
                return cached[0]
        try:
            grant = self._integration.get_access_token(installation_id)
        except GithubException as exc:
            raise _app_error(exc, f"getting a token for installation {installation_id}") from None
        register_secret(grant.token)
        expires = grant.expires_at
        if expires.tzinfo is None:
            expires = expires.replace(tzinfo=UTC)
        with self._lock:
            self._cache[installation_id] = (grant.token, expires)
        return grant.token

    def installation_for(self, repo: str) -> int:
        """The installation that covers `repo` (for events that do not name one)."""
        owner, name = repo.split("/", 1)
        try:
            return int(self._integration.get_repo_installation(owner, name).id)
        except GithubException as exc:
            raise _app_error(exc, f"finding the App installation of {repo}") from None
