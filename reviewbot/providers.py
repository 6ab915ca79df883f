"""Presets for OpenAI-compatible providers: where they live, which env var holds the key."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

OPENAI_HOST = "api.openai.com"

ResponseMode = Literal["json_schema", "json_object", "none"]
MODES: tuple[ResponseMode, ...] = ("json_schema", "json_object", "none")


@dataclass(frozen=True)
class Provider:
    name: str
    base_url: str | None
    key_env: str | None
    default_model: str | None
    # The strongest structured-output mode the provider documents; we start there.
    first_mode: ResponseMode = "json_schema"
    needs_key: bool = True
    context_tokens: int = 128_000


PROVIDERS: dict[str, Provider] = {
    p.name: p
    for p in (
        Provider("openai", "https://api.openai.com/v1", "OPENAI_API_KEY", "gpt-4o-mini"),
        Provider(
            "deepseek",
            "https://api.deepseek.com",
            "DEEPSEEK_API_KEY",
            "deepseek-chat",
            first_mode="json_object",
            context_tokens=64_000,
        ),
        Provider(
            "qwen",
            "https://dashscope.aliyuncs.com/compatible-mode/v1",
            "DASHSCOPE_API_KEY",
            "qwen-plus",
            first_mode="json_object",
        ),
        Provider(
            "siliconflow",
            "https://api.siliconflow.cn/v1",
            "SILICONFLOW_API_KEY",
            "deepseek-ai/DeepSeek-V3",
            first_mode="json_object",
            context_tokens=64_000,
        ),
        Provider(
            "siliconflow-intl",
            "https://api.siliconflow.com/v1",
            "SILICONFLOW_API_KEY",
            "deepseek-ai/DeepSeek-V3",
            first_mode="json_object",
            context_tokens=64_000,
        ),
        Provider(
            "ark",
            "https://ark.cn-beijing.volces.com/api/v3",
            "ARK_API_KEY",
            None,
            first_mode="json_object",
        ),
        Provider(
            "lingyiwanwu",
            "https://api.lingyiwanwu.com/v1",
            "YI_API_KEY",
            "yi-lightning",
            first_mode="json_object",
            context_tokens=16_000,
        ),
        Provider(
            "openrouter", "https://openrouter.ai/api/v1", "OPENROUTER_API_KEY", "openai/gpt-4o-mini"
        ),
        Provider(
            "ollama",
            "http://localhost:11434/v1",
            None,
            "qwen2.5-coder",
            needs_key=False,
            context_tokens=32_000,
        ),
        Provider("vllm", None, None, None, needs_key=False, context_tokens=32_000),
        Provider("llamacpp", None, None, None, needs_key=False, context_tokens=32_000),
        Provider("generic", None, None, None, context_tokens=32_000),
    )
}
ALIASES = {
    "dashscope": "qwen",
    "doubao": "ark",
    "volcengine": "ark",
    "yi": "lingyiwanwu",
    "01ai": "lingyiwanwu",
    "llama.cpp": "llamacpp",
    "custom": "generic",
}

# Context windows of common models (prompt + answer), for the default chunk budget.
MODEL_CONTEXT = {
    "gpt-4o": 128_000,
    "gpt-4.1": 1_000_000,
    "gpt-5": 400_000,
    "o3": 200_000,
    "o4-mini": 200_000,
    "deepseek-chat": 64_000,
    "deepseek-reasoner": 64_000,
    "qwen-plus": 128_000,
    "qwen-max": 32_000,
    "qwen-turbo": 1_000_000,
    "qwen2.5-coder": 32_000,
    "yi-lightning": 16_000,
    "doubao": 128_000,
}

# Models that think before answering: streaming keeps the connection busy while they do.
_REASONING_HINTS = ("reasoner", "-r1", "/r1", "qwq", "thinking", "deepseek-r", "qwen3")


def get_provider(name: str | None) -> Provider | None:
    if name is None:
        return None
    key = ALIASES.get(name.strip().lower(), name.strip().lower())
    return PROVIDERS.get(key)


def context_for(model: str, provider: Provider | None) -> int:
    lowered = model.lower()
    for prefix in sorted(MODEL_CONTEXT, key=len, reverse=True):
        if prefix in lowered:
            return MODEL_CONTEXT[prefix]
    return provider.context_tokens if provider else 32_000


def is_openai_api(provider: Provider | None, base_url: str | None) -> bool:
    """True for OpenAI's own API: the `openai` preset whatever its base URL, or no preset and
    the SDK's default base URL. Only there do `max_completion_tokens` and strict schemas go
    out from the first request; other providers document `max_tokens` and plain schemas."""
    if provider is not None:
        return provider.name == "openai"
    if base_url is None:
        return True
    return urlsplit(base_url).hostname == OPENAI_HOST


def is_reasoning_model(model: str) -> bool:
    lowered = model.lower()
    return any(hint in lowered for hint in _REASONING_HINTS)


def default_chunk_budget(context_tokens: int, answer_tokens: int) -> int:
    """Diff tokens a chunk may hold: a quarter of the context, 2k to 12k, leaving room to answer.

    Smaller chunks keep the model's attention on each line and let chunks run in parallel;
    beyond ~12k tokens, review quality drops faster than the per-request overhead does.
    """
    room = context_tokens - answer_tokens - 2_000
    return max(1_000, min(12_000, context_tokens // 4, room))
