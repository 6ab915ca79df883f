"""One chat request to an OpenAI-compatible endpoint, whatever the provider's quirks.

Retries are ours, not the SDK's, so they can respect the review's deadline: 408/409/429/5xx,
timeouts, dropped connections and errors reported mid-stream are retried with exponential
backoff and jitter, honouring Retry-After, but a wait that would end past the deadline is not
started and a cancelled client stops at once. Errors are sorted into fatal ones (fix your
config) and per-request ones (try the next chunk). The request's arguments and how they adapt
to a provider's refusals live in `requestargs`, the assembly of answers in `replies`.
"""

from __future__ import annotations

import email.utils
import math
import random
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    import httpx2
    import openai

from reviewbot import __version__
from reviewbot.chat import EndpointError, ModelReply, RequestFailed
from reviewbot.providers import MODES, ResponseMode
from reviewbot.redact import redact
from reviewbot.replies import read_completion, read_stream
from reviewbot.requestargs import DROPPABLE, RequestShape, Sampling, Schema, rejected_param


@dataclass(frozen=True)
class Endpoint:
    base_url: str | None
    api_key: str
    model: str
    provider: str | None = None
    first_mode: ResponseMode = "json_schema"
    # OpenAI's own API: max_completion_tokens and strict schemas from the first request.
    openai_api: bool = False


@dataclass(frozen=True)
class Backoff:
    """Waits between retries: `base` doubling up to `cap`, less up to 25% jitter.

    A Retry-After (or retry-after-ms) header is honoured up to `max_retry_after` seconds; a
    longer one fails the request rather than stall the run.
    """

    base: float = 0.5
    cap: float = 8.0
    max_retry_after: float = 120.0

    def wait(self, retry: int, retry_after: float | None) -> float:
        if retry_after is not None and retry_after > 0:
            return retry_after
        return min(self.base * 2.0**retry, self.cap) * (1 - 0.25 * random.random())


def retry_after_seconds(headers: Mapping[str, str] | None) -> float | None:
    """Seconds the server asks us to wait (retry-after-ms, retry-after seconds or date)."""
    if headers is None:
        return None
    for name, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            seconds = float(value) / divisor
        except ValueError:
            continue
        return seconds if math.isfinite(seconds) else math.inf
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return max(0.0, when.timestamp() - time.time())


def user_agent(sdk_version: str) -> str:
    """Names reviewbot first, as providers ask integrations to, then the SDK underneath."""
    return f"reviewbot/{__version__} OpenAI/Python {sdk_version}"


def _host(base_url: str | None) -> str:
    """host[:port] of the endpoint, for messages: never the user:password of a URL."""
    if not base_url:
        return "api.openai.com"
    return urlsplit(base_url).netloc.rpartition("@")[2] or base_url


def shown_url(base_url: str | None) -> str:
    """The base URL for messages, without credentials or query string."""
    if not base_url:
        return "the OpenAI API"
    parts = urlsplit(base_url)
    return f"{parts.scheme}://{_host(base_url)}{parts.path}" if parts.scheme else _host(base_url)


def _message(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return redact(str(inner["message"]))[:300]
        if isinstance(inner, str):
            return redact(inner)[:300]
    return redact(str(exc.message))[:300]


class ModelClient:
    def __init__(
        self,
        endpoint: Endpoint,
        sampling: Sampling,
        *,
        stream: bool,
        max_retries: int,
        request_timeout: float,
        backoff: Backoff | None = None,
        schema: Schema | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.stream = stream
        self.max_retries = max_retries
        self.request_timeout = request_timeout
        self.backoff = backoff or Backoff()
        self.shape = RequestShape(
            endpoint.model,
            sampling,
            stream=stream,
            first_mode=endpoint.first_mode,
            openai_api=endpoint.openai_api,
            schema=schema,
        )
        self._lock = threading.Lock()
        self._cancelled = threading.Event()
        self.http_attempts = 0
        self.retries = 0
        self._client: openai.OpenAI | None = None

    @property
    def client(self) -> openai.OpenAI:
        """The SDK client, made on first use: a run answered from the cache never imports the
        SDK, which is most of the command's start-up time."""
        with self._lock:
            if self._client is None:
                import openai

                self._client = openai.OpenAI(
                    api_key=self.endpoint.api_key,
                    base_url=self.endpoint.base_url,
                    max_retries=0,  # retried here, within the review's deadline
                    timeout=self.request_timeout,
                    default_headers={"User-Agent": user_agent(openai.__version__)},
                    http_client=openai.DefaultHttpxClient(event_hooks={"request": [self._count]}),
                )
            return self._client

    def _count(self, _request: httpx2.Request) -> None:
        with self._lock:
            self.http_attempts += 1

    @property
    def model(self) -> str:
        return self.endpoint.model

    @property
    def mode(self) -> ResponseMode:
        return self.shape.mode

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    def cancel(self) -> None:
        """Stop every request of this client at its next retry or stream read."""
        self._cancelled.set()

    def complete(self, messages: list[dict[str, str]], deadline: float | None = None) -> ModelReply:
        """One answer; `deadline` (a time.monotonic() value) bounds every attempt and wait."""
        import openai

        shape = self.shape
        for _ in range(len(MODES) + len(DROPPABLE) + 1):
            mode = shape.mode
            try:
                return self._send(shape.args(messages, mode), deadline)
            except (openai.BadRequestError, openai.UnprocessableEntityError) as exc:
                text = _message(exc)
                rejected = rejected_param(text)
                if rejected == "response_format" and shape.step_down(mode):
                    continue
                if rejected and rejected != "response_format" and shape.drop(rejected):
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
                    f"not found (404) at {shown_url(self.endpoint.base_url)}: check the "
                    f"base URL and the model name '{self.endpoint.model}' ({_message(exc)})"
                ) from None
            except openai.RateLimitError as exc:  # only quota errors get here
                raise EndpointError(
                    f"out of quota (429) at {_host(self.endpoint.base_url)}: check the account "
                    f"balance ({_message(exc)})"
                ) from None
            except openai.APIStatusError as exc:
                if exc.status_code == 402:
                    raise EndpointError(
                        f"payment required (402) by {_host(self.endpoint.base_url)}: top up the "
                        f"account ({_message(exc)})"
                    ) from None
                raise RequestFailed(
                    f"request refused ({exc.status_code}): {_message(exc)}"
                ) from None
            except openai.APIError as exc:
                raise RequestFailed(
                    f"unusable answer from {_host(self.endpoint.base_url)}: "
                    f"{redact(str(exc.message))[:200]}"
                ) from None
        raise RequestFailed("the endpoint refused every request format")

    def _send(self, args: dict[str, Any], deadline: float | None) -> ModelReply:
        """The request, retried on transient failures while retries and time are left."""
        import openai

        retry = 0
        while True:
            if self._cancelled.is_set():
                raise RequestFailed("stopped: the review's --timeout was reached")
            timeout = self.request_timeout
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise RequestFailed("the review's --timeout was reached")
                timeout = min(timeout, left)
            try:
                client = self.client.with_options(timeout=timeout)
                if self.stream:
                    return read_stream(
                        client.chat.completions.create(**args), lambda: self._stopped(deadline)
                    )
                return read_completion(client.chat.completions.create(**args))
            except openai.APIError as exc:
                transient = self._transient(exc, timeout)
                if transient is None:
                    raise
                problem, retry_after = transient
            tries = "retry" if retry == 1 else "retries"
            done = f"{problem} ({retry} {tries})" if retry else problem
            if retry >= self.max_retries:
                raise RequestFailed(done)
            if retry_after is not None and retry_after > self.backoff.max_retry_after:
                raise RequestFailed(f"{done}; the server asks to wait {retry_after:.0f}s")
            wait = self.backoff.wait(retry, retry_after)
            if deadline is not None and time.monotonic() + wait >= deadline:
                raise RequestFailed(f"{done}; no time left to retry before the review's --timeout")
            retry += 1
            with self._lock:
                self.retries += 1
            if self._cancelled.wait(wait):
                raise RequestFailed(f"{done}; stopped: the review's --timeout was reached")

    def _transient(self, exc: openai.APIError, timeout: float) -> tuple[str, float | None] | None:
        """What went wrong and the server's Retry-After, when a retry may help; else None."""
        import openai

        if isinstance(exc, openai.RateLimitError):
            if "insufficient_quota" in str(exc.body) or "quota" in _message(exc).lower():
                return None
            return f"rate limited (429): {_message(exc)}", retry_after_seconds(exc.response.headers)
        if isinstance(exc, openai.APIStatusError):
            status = exc.status_code
            if status in (408, 409) or status >= 500:
                return f"server error {status}: {_message(exc)}", retry_after_seconds(
                    exc.response.headers
                )
            return None
        if isinstance(exc, openai.APITimeoutError):
            return f"timed out after {timeout:.1f}s", None
        if isinstance(exc, openai.APIConnectionError):
            cause = redact(str(exc.__cause__ or exc))[:200]
            return f"could not reach {_host(self.endpoint.base_url)}: {cause}", None
        if isinstance(exc, openai.APIResponseValidationError):
            return None
        # An error event inside a stream: the provider gave up mid-answer.
        return f"error reported mid-stream: {redact(str(exc.message))[:200]}", None

    def _stopped(self, deadline: float | None) -> bool:
        return self._cancelled.is_set() or (deadline is not None and time.monotonic() > deadline)
