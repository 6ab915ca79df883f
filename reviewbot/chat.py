"""What the review engine needs from a chat model: one answer per call, and a way to stop.

`llm.ModelClient` is the real one (an OpenAI-compatible endpoint through the SDK); anything
with the same shape can drive the engine, e.g. a scripted fake in the tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from reviewbot.errors import UnusableEndpoint


@dataclass
class ModelReply:
    content: str | None
    reasoning: str | None
    finish_reason: str | None
    prompt_tokens: int
    completion_tokens: int
    usage_reported: bool = True
    cached_tokens: int = 0  # of prompt_tokens, served from the provider's prompt cache


class EndpointError(UnusableEndpoint):
    """The endpoint cannot be used at all (auth, permission, wrong URL or model)."""


class RequestFailed(Exception):
    """This request failed after the SDK's retries; other chunks may still succeed."""


class ChatClient(Protocol):
    """`complete` returns one reply or raises EndpointError (stop the run) or RequestFailed
    (this request only); it is called from several threads at once."""

    @property
    def model(self) -> str: ...

    @property
    def http_attempts(self) -> int:
        """HTTP requests sent so far, retries included."""
        ...

    @property
    def retries(self) -> int: ...

    def complete(self, messages: list[dict[str, str]], deadline: float | None = None) -> ModelReply:
        """One answer; `deadline` (a time.monotonic() value) bounds every attempt and wait."""
        ...

    def cancel(self) -> None:
        """Stop every request in flight at its next retry or stream read."""
        ...
