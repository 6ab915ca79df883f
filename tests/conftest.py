from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from cli_run import CODE
from fake_openai import FakeOpenAI
from keys import TEST_KEY


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


@pytest.fixture
def model_server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(api_key=TEST_KEY) as server:
        yield server


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
