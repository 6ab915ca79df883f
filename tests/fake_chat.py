"""A scripted, in-process chat client: drives the review engine without HTTP.

It has the shape of `reviewbot.chat.ChatClient`. Each call takes the next entry of the
script (or asks `responder` once the script is empty): a string is the reply's content, a
`ModelReply` is returned as it is, an exception is raised, and `HANG` blocks until the client
is cancelled or the call's deadline passes, as a stalled request would.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from reviewbot.chat import ModelReply, RequestFailed

Messages = list[dict[str, str]]


class _Hang:
    pass


HANG = _Hang()
Entry = str | ModelReply | Exception | _Hang


@dataclass
class Call:
    messages: Messages
    deadline: float | None

    @property
    def user(self) -> str:
        return self.messages[1]["content"]


def reply(
    content: str | None,
    *,
    reasoning: str | None = None,
    finish_reason: str = "stop",
    prompt_tokens: int = 100,
    completion_tokens: int = 20,
    usage_reported: bool = True,
) -> ModelReply:
    return ModelReply(
        content, reasoning, finish_reason, prompt_tokens, completion_tokens, usage_reported
    )


class ScriptedChat:
    def __init__(
        self,
        script: list[Entry] | None = None,
        responder: Callable[[Messages], Entry] | None = None,
        model: str = "scripted-model",
    ) -> None:
        self.script = list(script or [])
        self.responder = responder
        self._model = model
        self.calls: list[Call] = []
        self.cancelled = threading.Event()
        self._lock = threading.Lock()

    @property
    def model(self) -> str:
        return self._model

    @property
    def http_attempts(self) -> int:
        return len(self.calls)

    @property
    def retries(self) -> int:
        return 0

    def complete(self, messages: Messages, deadline: float | None = None) -> ModelReply:
        with self._lock:
            self.calls.append(Call(messages, deadline))
            if self.script:
                entry = self.script.pop(0)
            elif self.responder is not None:
                entry = self.responder(messages)
            else:
                raise AssertionError(f"unscripted call #{len(self.calls)}")
        if isinstance(entry, _Hang):
            wait = None if deadline is None else max(0.0, deadline - time.monotonic()) + 5
            self.cancelled.wait(wait)
            raise RequestFailed("stopped: the review's --timeout was reached")
        if isinstance(entry, Exception):
            raise entry
        if isinstance(entry, ModelReply):
            return entry
        return reply(entry)

    def cancel(self) -> None:
        self.cancelled.set()
