"""The arguments of one chat request, and how they adapt when a provider refuses them.

The structured-output mode steps down once per run (json_schema → json_object → plain) when
a provider refuses it; sampling parameters some models reject are dropped; `max_tokens`
becomes `max_completion_tokens` for models that want that name. OpenAI's own API gets
`max_completion_tokens` (its reasoning models refuse `max_tokens`, which it documents as
deprecated) and a `"strict": true` schema from the first request. Shared by every thread of a
run, so one refusal fixes the requests that follow.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from reviewbot.answer import answer_json_schema
from reviewbot.providers import MODES, ResponseMode

DROPPABLE = ("temperature", "top_p", "seed", "stream_options", "max_tokens")


@dataclass(frozen=True)
class Sampling:
    temperature: float | None
    top_p: float | None
    max_answer_tokens: int | None
    seed: int | None


def rejected_param(text: str) -> str | None:
    """The request parameter an error message says the provider refused, if it names one."""
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
    for name in DROPPABLE:
        if name in lowered:
            return name
    return None


# The name and JSON schema sent with response_format json_schema: a review answer by default.
Schema = tuple[str, dict[str, Any]]


class RequestShape:
    def __init__(
        self,
        model: str,
        sampling: Sampling,
        *,
        stream: bool,
        first_mode: ResponseMode,
        schema: Schema | None = None,
        openai_api: bool = False,
    ) -> None:
        self.model = model
        self.schema = schema or ("code_review", answer_json_schema())
        self.sampling = sampling
        self.stream = stream
        self.strict = openai_api
        self._lock = threading.Lock()
        self._mode: ResponseMode = first_mode
        self._dropped: set[str] = set()
        self._use_max_completion_tokens = openai_api

    @property
    def mode(self) -> ResponseMode:
        return self._mode

    def step_down(self, failed: ResponseMode) -> bool:
        """Move to the next weaker mode, once per run; False when nothing weaker is left."""
        with self._lock:
            if self._mode != failed:
                return True  # another request already stepped down
            index = MODES.index(failed)
            if index + 1 >= len(MODES):
                return False
            self._mode = MODES[index + 1]
            return True

    def drop(self, name: str) -> bool:
        """Stop sending `name` (or rename max_tokens); False when that was done already."""
        with self._lock:
            if name == "max_tokens" and not self._use_max_completion_tokens:
                self._use_max_completion_tokens = True
                return True
            if name in self._dropped:
                return False
            self._dropped.add(name)
            return True

    def args(self, messages: list[dict[str, str]], mode: ResponseMode) -> dict[str, Any]:
        args: dict[str, Any] = {"model": self.model, "messages": messages}
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
            spec: dict[str, Any] = {"name": self.schema[0], "schema": self.schema[1]}
            if self.strict:
                spec["strict"] = True
            args["response_format"] = {"type": "json_schema", "json_schema": spec}
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
