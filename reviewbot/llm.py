"""One chat request to an OpenAI-compatible endpoint, whatever the provider's quirks.

The SDK retries 408/409/429/5xx, connection errors and timeouts with backoff and jitter,
honouring Retry-After. This layer adds: the structured-output mode stepped down once per run
when a provider refuses it, parameters some models reject dropped, streaming assembly,
and errors sorted into fatal ones (fix your config) and per-request ones (try the next chunk).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx2
import openai

from reviewbot.answer import answer_json_schema
from reviewbot.providers import MODES, ResponseMode
from reviewbot.redact import redact


@dataclass(frozen=True)
class Endpoint:
    base_url: str | None
    api_key: str
    model: str
    provider: str | None = None
    first_mode: ResponseMode = "json_schema"


@dataclass(frozen=True)
class Sampling:
    temperature: float | None = 0.2
    top_p: float | None = None
    max_answer_tokens: int | None = 4096
    seed: int | None = None


@dataclass
class ModelReply:
    content: str | None
    reasoning: str | None
    finish_reason: str | None
    prompt_tokens: int
    completion_tokens: int
    usage_reported: bool = True


class EndpointError(Exception):
    """The endpoint cannot be used at all (auth, permission, wrong URL or model)."""


class RequestFailed(Exception):
    """This request failed after the SDK's retries; other chunks may still succeed."""


def _host(base_url: str | None) -> str:
    return urlsplit(base_url).netloc if base_url else "api.openai.com"


def _message(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return redact(str(inner["message"]))[:300]
        if isinstance(inner, str):
            return redact(inner)[:300]
    return redact(str(exc.message))[:300]


_DROPPABLE = ("temperature", "top_p", "seed", "stream_options", "max_tokens")


def _rejected_param(text: str) -> str | None:
    lowered = text.lower()
    if "response_format" in lowered or "json_schema" in lowered or "json_object" in lowered:
        return "response_format"
    if not any(
        w in lowered
        for w in (
            "unsupported",
            "not supported",
            "unrecognized",
            "unknown",
            "not allowed",
            "invalid",
        )
    ):
        return None
    for name in _DROPPABLE:
        if name in lowered:
            return name
    return None


class ModelClient:
    def __init__(
        self,
        endpoint: Endpoint,
        sampling: Sampling,
        *,
        stream: bool = False,
        max_retries: int = 3,
        request_timeout: float = 120.0,
    ) -> None:
        self.endpoint = endpoint
        self.sampling = sampling
        self.stream = stream
        self.max_retries = max_retries
        self.request_timeout = request_timeout
        self._lock = threading.Lock()
        self._mode: ResponseMode = endpoint.first_mode
        self._dropped: set[str] = set()
        self._use_max_completion_tokens = False
        self.http_attempts = 0
        self._client = openai.OpenAI(
            api_key=endpoint.api_key,
            base_url=endpoint.base_url,
            max_retries=max_retries,
            timeout=request_timeout,
            http_client=openai.DefaultHttpxClient(event_hooks={"request": [self._count]}),
        )

    def _count(self, _request: httpx2.Request) -> None:
        with self._lock:
            self.http_attempts += 1

    @property
    def mode(self) -> ResponseMode:
        return self._mode

    def close(self) -> None:
        self._client.close()

    def _step_down(self, failed: ResponseMode) -> bool:
        """Move to the next weaker mode, once per run; False when nothing weaker is left."""
        with self._lock:
            if self._mode != failed:
                return True  # another request already stepped down
            index = MODES.index(failed)
            if index + 1 >= len(MODES):
                return False
            self._mode = MODES[index + 1]
            return True

    def _drop(self, name: str) -> bool:
        with self._lock:
            if name == "max_tokens" and not self._use_max_completion_tokens:
                self._use_max_completion_tokens = True
                return True
            if name in self._dropped:
                return False
            self._dropped.add(name)
            return True

    def _request_args(self, messages: list[dict[str, str]], mode: ResponseMode) -> dict[str, Any]:
        args: dict[str, Any] = {"model": self.endpoint.model, "messages": messages}
        s = self.sampling
        dropped = self._dropped
        if s.temperature is not None and "temperature" not in dropped:
            args["temperature"] = s.temperature
        if s.top_p is not None and "top_p" not in dropped:
            args["top_p"] = s.top_p
        if s.seed is not None and "seed" not in dropped:
            args["seed"] = s.seed
        if s.max_answer_tokens:
            key = "max_completion_tokens" if self._use_max_completion_tokens else "max_tokens"
            args[key] = s.max_answer_tokens
        if mode == "json_schema":
            args["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "code_review", "schema": answer_json_schema()},
            }
        elif mode == "json_object":
            args["response_format"] = {"type": "json_object"}
            if not any("json" in m["content"].lower() for m in messages):
                # DeepSeek, DashScope and OpenAI refuse json_object without the word in the prompt.
                last = dict(messages[-1])
                last["content"] += "\n\nAnswer in JSON."
                args["messages"] = [*messages[:-1], last]
        if self.stream:
            args["stream"] = True
            if "stream_options" not in dropped:
                args["stream_options"] = {"include_usage": True}
        return args

    def complete(self, messages: list[dict[str, str]], timeout: float | None = None) -> ModelReply:
        client = self._client.with_options(timeout=timeout or self.request_timeout)
        for _ in range(len(MODES) + len(_DROPPABLE) + 1):
            mode = self._mode
            try:
                args = self._request_args(messages, mode)
                if self.stream:
                    return self._read_stream(client.chat.completions.create(**args))
                return self._read(client.chat.completions.create(**args))
            except (openai.BadRequestError, openai.UnprocessableEntityError) as exc:
                text = _message(exc)
                rejected = _rejected_param(text)
                if rejected == "response_format" and self._step_down(mode):
                    continue
                if rejected and rejected != "response_format" and self._drop(rejected):
                    continue
                raise RequestFailed(f"request rejected ({exc.status_code}): {text}") from None
            except openai.AuthenticationError as exc:
                raise EndpointError(
                    f"{_host(self.endpoint.base_url)} rejected the API key (401): check "
                    f"--api-key / OPENAI_API_KEY or the provider's key variable ({_message(exc)})"
                ) from None
            except openai.PermissionDeniedError as exc:
                raise EndpointError(
                    f"permission denied (403) by {_host(self.endpoint.base_url)}: "
                    "check the account "
                    f"balance and that this key may use model '{self.endpoint.model}' "
                    f"({_message(exc)})"
                ) from None
            except openai.NotFoundError as exc:
                raise EndpointError(
                    f"not found (404) at {self.endpoint.base_url or 'the OpenAI API'}: check the "
                    f"base URL and the model name '{self.endpoint.model}' ({_message(exc)})"
                ) from None
            except openai.RateLimitError as exc:
                if "insufficient_quota" in str(exc.body) or "quota" in _message(exc).lower():
                    raise EndpointError(
                        f"out of quota (429) at {_host(self.endpoint.base_url)}: check the account "
                        f"balance ({_message(exc)})"
                    ) from None
                raise RequestFailed(
                    f"rate limited (429) after {self.max_retries} retries: {_message(exc)}"
                ) from None
            except openai.APIStatusError as exc:
                if exc.status_code == 402:
                    raise EndpointError(
                        f"payment required (402) by {_host(self.endpoint.base_url)}: top up the "
                        f"account ({_message(exc)})"
                    ) from None
                raise RequestFailed(
                    f"server error {exc.status_code} after {self.max_retries} retries: "
                    f"{_message(exc)}"
                ) from None
            except openai.APITimeoutError:
                raise RequestFailed(
                    f"timed out after {timeout or self.request_timeout:.0f}s "
                    f"({self.max_retries} retries)"
                ) from None
            except openai.APIConnectionError as exc:
                cause = redact(str(exc.__cause__ or exc))[:200]
                raise RequestFailed(
                    f"could not reach {_host(self.endpoint.base_url)} "
                    f"({self.max_retries} retries): {cause}"
                ) from None
        raise RequestFailed("the endpoint refused every request format")

    @staticmethod
    def _read(completion: Any) -> ModelReply:
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
        )

    @staticmethod
    def _read_stream(stream: Any) -> ModelReply:
        content: list[str] = []
        reasoning: list[str] = []
        finish: str | None = None
        usage = None
        try:
            for event in stream:
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
        )
