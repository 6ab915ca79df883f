from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from cli_run import CODE
from fake_github import FakeGitHub
from fake_openai import FakeOpenAI
from github_env import READ_TOKEN, TOKEN
from keys import TEST_KEY

from reviewbot.i18n import set_language


@pytest.fixture(autouse=True)
def clean_env(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """No developer settings leak in; every test gets its own cache directory."""
    for name in list(os.environ):
        if (
            name.startswith(("REVIEWBOT_", "OPENAI_", "GITHUB_", "INPUT_"))
            or name.endswith("_API_KEY")
            or name == "PRE_COMMIT"
        ):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("REVIEWBOT_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    yield
    set_language("en")  # an in-process CLI run sets the language for the process


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The test's own empty directory, made the working directory."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def model_server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(api_key=TEST_KEY) as server:
        yield server


@pytest.fixture
def other_server() -> Iterator[FakeOpenAI]:
    """A second model server, for tests that need two endpoints."""
    with FakeOpenAI(api_key=TEST_KEY) as server:
        yield server


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    """A fake GitHub that knows a write token (TOKEN) and a read-only one (READ_TOKEN)."""
    with FakeGitHub(tokens={TOKEN: "write", READ_TOKEN: "read"}) as server:
        yield server
    assert server.server_errors == []


@pytest.fixture
def endpoint_env(model_server: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> FakeOpenAI:
    monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", model_server.base_url)
    monkeypatch.setenv("REVIEWBOT_MODEL", "test-model")
    return model_server


@pytest.fixture
def app_py(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "app.py").write_text(CODE)
    return tmp_path / "app.py"


@pytest.fixture(scope="session")
def redis_server() -> Iterator[object]:
    """A real redis-server on 127.0.0.1 for the GitHub App server tests (tests/server_harness)."""
    from server_harness import REDIS_SERVER, RedisServer

    if REDIS_SERVER is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is not installed (.ci/run installs it)")
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    server = RedisServer()
    yield server
    server.stop()
