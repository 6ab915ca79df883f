"""The App face's parts in-process: webhook signatures, App authentication against the fake
GitHub's JWT-checking endpoints, and per-repository settings read through the contents API."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fake_github import FakeGitHub
from server_harness import APP_ID, rsa_key_pair

from reviewbot.config import ConfigError
from reviewbot.github.connection import GitHubError, connect
from reviewbot.server.appauth import InstallationTokens
from reviewbot.server.reposettings import read_repo_config, repo_settings
from reviewbot.server.signature import sign, verify

REPO = "acme/api"


@pytest.fixture(scope="module")
def keys() -> tuple[str, str]:
    return rsa_key_pair()


@pytest.fixture
def app_github(keys: tuple[str, str]) -> Iterator[FakeGitHub]:
    with FakeGitHub(tokens={}) as server:
        server.enable_app(APP_ID, keys[1], {31: [REPO]})
        yield server


def test_signature_is_hmac_sha256_of_the_exact_body() -> None:
    body = b'{"zen": "Design for failure."}'
    header = sign(b"s3cret", body)
    assert header.startswith("sha256=") and len(header) == 71
    assert verify(b"s3cret", body, header)
    assert not verify(b"other", body, header)
    assert not verify(b"s3cret", body + b" ", header)
    assert not verify(b"s3cret", body, header.upper())
    assert not verify(b"s3cret", body, None)
    assert not verify(b"s3cret", body, header.replace("sha256=", "sha1="))


def test_installation_token_from_a_signed_jwt_is_cached(
    app_github: FakeGitHub, keys: tuple[str, str]
) -> None:
    tokens = InstallationTokens(APP_ID, keys[0], app_github.api_url)
    first = tokens.token(31)
    assert first.startswith("ghs_") and tokens.token(31) == first
    assert app_github.app is not None and len(app_github.app.issued) == 1
    assert tokens.installation_for(REPO) == 31
    # The token works for the installation's repository, as the App's bot.
    gh = connect(first, app_github.api_url, write_interval=0)
    assert gh.get_repo(REPO).full_name == REPO
    assert app_github.token_users[first] == "reviewbot[bot]"


def test_a_jwt_signed_with_another_key_is_refused(
    app_github: FakeGitHub, keys: tuple[str, str]
) -> None:
    wrong, _ = rsa_key_pair()
    tokens = InstallationTokens(APP_ID, wrong, app_github.api_url)
    with pytest.raises(GitHubError, match="installation 31: GitHub refused the App's JWT"):
        tokens.token(31)
    assert app_github.app is not None and app_github.app.rejected_jwts == 1
    right = InstallationTokens("999", wrong, app_github.api_url)  # wrong issuer too
    with pytest.raises(GitHubError):
        right.token(31)
    with pytest.raises(GitHubError, match="not found"):
        InstallationTokens(APP_ID, keys[0], app_github.api_url).installation_for("nobody/else")


def test_repo_settings_come_from_the_base_branch_under_server_only_keys(
    app_github: FakeGitHub, keys: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REVIEWBOT_LANGUAGE", "fr")
    monkeypatch.setenv("REVIEWBOT_MODEL", "server-model")
    app_github.set_file(
        REPO,
        ".reviewbot.toml",
        'language = "de"\nfail_on = "high"\nmodel = "repo-model"\n'
        'base_url = "https://attacker.example/v1"\n',
        ref="main",
    )
    app_github.set_file(REPO, ".reviewbot.toml", 'language = "ja"\n', ref="feature")
    token = InstallationTokens(APP_ID, keys[0], app_github.api_url).token(31)
    gh = connect(token, app_github.api_url, write_interval=0)
    text = read_repo_config(gh, REPO, "main")
    settings, ignored = repo_settings(text, "acme/api@main")
    assert (settings.language, settings.fail_on) == ("de", "high")
    assert settings.model == "server-model" and settings.base_url is None
    assert ignored == ["base_url", "model"]
    assert read_repo_config(gh, REPO, "release") is None  # no file on that branch
    assert repo_settings(None, "none")[0].language == "fr"  # the server's default
    with pytest.raises(ConfigError, match="unknown key 'colour'"):
        repo_settings('colour = "blue"\n', "acme/api@main")
    with pytest.raises(ConfigError, match="not valid TOML"):
        repo_settings("language = \n", "acme/api@main")


def test_compose_file_runs_the_console_scripts_with_known_settings() -> None:
    import tomllib
    from pathlib import Path

    import yaml

    from reviewbot.config import Settings
    from reviewbot.server.settings import ServerSettings

    root = Path(__file__).parents[1]
    compose = yaml.safe_load((root / "compose.yaml").read_text())
    scripts = tomllib.loads((root / "pyproject.toml").read_text())["project"]["scripts"]
    services = compose["services"]
    assert set(services) == {"redis", "server", "worker"}
    assert services["server"]["command"][0] == "reviewbot-server" in scripts
    assert services["worker"]["command"][0] == "reviewbot-worker" in scripts
    assert "[server]" in services["server"]["build"]["dockerfile_inline"]
    known = set(ServerSettings.model_fields) | set(Settings.model_fields)
    for service in ("server", "worker"):
        env = services[service]["environment"]
        names = [n.removeprefix("REVIEWBOT_").lower() for n in env if n.startswith("REVIEWBOT_")]
        assert names and set(names) <= known, set(names) - known
