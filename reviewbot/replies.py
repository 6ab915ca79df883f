"""Assemble the SDK's answer, whole or streamed, into one ModelReply."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from reviewbot.chat import ModelReply, RequestFailed


def cached_prompt_tokens(usage: Any) -> int:
    """Prompt tokens the provider served from its prompt cache (billed at its cache-hit price):
    OpenAI, Qwen and others report usage.prompt_tokens_details.cached_tokens, DeepSeek
    usage.prompt_cache_hit_tokens."""
    if usage is None:
        return 0
    details = getattr(usage, "prompt_tokens_details", None)
    value = getattr(details, "cached_tokens", None) if details is not None else None
    if not isinstance(value, int):
        value = getattr(usage, "prompt_cache_hit_tokens", None)
    return value if isinstance(value, int) and value > 0 else 0


def read_completion(completion: Any) -> ModelReply:
    if not completion.choices:
        raise RequestFailed("the endpoint answered with no choices")
    choice = completion.choices[0]
    message = choice.message
    reasoning = getattr(message, "reasoning_content", None)
    usage = completion.usage
    return ModelReply(
        content=message.content,
        reasoning=reasoning if isinstance(reasoning, str) else None,
        finish_reason=choice.finish_reason,
        prompt_tokens=usage.prompt_tokens if usage else 0,
        completion_tokens=usage.completion_tokens if usage else 0,
        usage_reported=usage is not None,
        cached_tokens=cached_prompt_tokens(usage),
    )


def read_stream(stream: Any, stopped: Callable[[], bool]) -> ModelReply:
    """The streamed answer; `stopped` is asked before every event (cancel or deadline)."""
    content: list[str] = []
    reasoning: list[str] = []
    finish: str | None = None
    usage = None
    try:
        for event in stream:
            if stopped():
                raise RequestFailed("the review's --timeout was reached mid-answer")
            if getattr(event, "usage", None):
                usage = event.usage
            for choice in event.choices or []:
                delta = choice.delta
                if delta is not None:
                    if delta.content:
                        content.append(delta.content)
                    thought = getattr(delta, "reasoning_content", None)
                    if isinstance(thought, str):
                        reasoning.append(thought)
                if choice.finish_reason:
                    finish = choice.finish_reason
    finally:
        stream.close()
    return ModelReply(
        content="".join(content) if content else None,
        reasoning="".join(reasoning) if reasoning else None,
        finish_reason=finish,
        prompt_tokens=usage.prompt_tokens if usage else 0,
        completion_tokens=usage.completion_tokens if usage else 0,
        usage_reported=usage is not None,
        cached_tokens=cached_prompt_tokens(usage),
    )
