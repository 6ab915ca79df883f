"""Model requests as the providers' published API descriptions ask: OpenAI's own API gets
`max_completion_tokens` and a strict schema from the first request, other providers
`max_tokens` and a plain schema, and every request names reviewbot in its User-Agent."""

from __future__ import annotations

import json
from pathlib import Path

import openai
import pytest
from cli_run import run
from fake_openai import FakeOpenAI, strict_schema_error
from keys import TEST_KEY

from reviewbot import __version__
from reviewbot.answer import answer_json_schema
from reviewbot.app import resolve_endpoint
from reviewbot.config import load_settings


def openai_preset(server: FakeOpenAI, model: str, *extra: str) -> list[str]:
    """The `openai` preset, pointed at the local server as a proxy or a test would."""
    return ["--provider", "openai", "--base-url", server.base_url, "--model", model, *extra]


def test_the_answer_schema_is_strict_compatible() -> None:
    assert strict_schema_error(answer_json_schema()) is None


def test_openai_reasoning_model_gets_max_completion_tokens_from_the_first_request(
    model_server: FakeOpenAI, app_py: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
    result = run("app.py", *openai_preset(model_server, "o3-mini"))
    assert result.exit_code == 0, result.output
    [request] = model_server.requests  # nothing refused, nothing retried
    assert "max_tokens" not in request.body
    assert request.body["max_completion_tokens"] == 4096


def test_openai_preset_sends_the_schema_strict_and_the_server_accepts_it(
    model_server: FakeOpenAI, app_py: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
    result = run("app.py", *openai_preset(model_server, "gpt-4o-mini"))
    assert result.exit_code == 0, result.output
    [request] = model_server.requests
    spec = request.body["response_format"]["json_schema"]
    assert spec["strict"] is True and spec["schema"] == answer_json_schema()


def test_openai_preset_still_steps_down_when_structured_output_is_refused(
    model_server: FakeOpenAI, app_py: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
    model_server.accept_formats = {"text"}
    result = run("app.py", *openai_preset(model_server, "gpt-4o-mini"), "--format", "json")
    assert result.exit_code == 0, result.output
    kinds = [r.response_format_type for r in model_server.requests]
    assert kinds == ["json_schema", "json_object", None]
    assert json.loads(result.stdout)["score"] == 8


def test_other_providers_get_max_tokens_and_a_plain_schema(
    endpoint_env: FakeOpenAI, app_py: Path
) -> None:
    result = run("app.py")
    assert result.exit_code == 0, result.output
    [request] = endpoint_env.requests
    assert request.body["max_tokens"] == 4096 and "max_completion_tokens" not in request.body
    assert "strict" not in request.body["response_format"]["json_schema"]


def test_elsewhere_a_refused_max_tokens_is_renamed_once(
    endpoint_env: FakeOpenAI, app_py: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A proxy serving an OpenAI reasoning model under a generic URL: the step-down remains."""
    monkeypatch.setenv("REVIEWBOT_MODEL", "o3-mini")
    result = run("app.py")
    assert result.exit_code == 0, result.output
    sent = [
        ("max_tokens" in r.body, "max_completion_tokens" in r.body) for r in endpoint_env.requests
    ]
    assert sent == [(True, False), (False, True)]


@pytest.mark.parametrize(
    "provider, base_url, expected",
    [
        ("openai", None, True),
        ("openai", "https://proxy.example.com/v1", True),
        (None, None, True),
        (None, "https://api.openai.com/v1", True),
        (None, "https://api.deepseek.com", False),
        ("deepseek", None, False),
        ("openrouter", None, False),
    ],
)
def test_which_endpoints_count_as_openai(
    provider: str | None, base_url: str | None, expected: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
    monkeypatch.setenv("DEEPSEEK_API_KEY", TEST_KEY)
    monkeypatch.setenv("OPENROUTER_API_KEY", TEST_KEY)
    settings = load_settings({"provider": provider, "base_url": base_url, "model": "m"})
    assert resolve_endpoint(settings).openai_api is expected


def test_model_requests_name_reviewbot_in_the_user_agent(
    endpoint_env: FakeOpenAI, app_py: Path
) -> None:
    result = run("app.py")
    assert result.exit_code == 0, result.output
    [request] = endpoint_env.requests
    assert request.headers["user-agent"] == (
        f"reviewbot/{__version__} OpenAI/Python {openai.__version__}"
    )
