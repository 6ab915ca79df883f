"""A local OpenAI-compatible chat completions server, for tests and benchmarks.

It speaks real HTTP/1.1 on 127.0.0.1 (keep-alive, Content-Length on every JSON response, chunked
SSE for ``"stream": true``), so the `openai` SDK is exercised end to end: its connection pool,
retries, timeouts and error classes. It rejects requests the way providers do: a wrong key (401,
key masked), an unknown model (404), an unsupported ``response_format`` (400), ``json_object``
without the word "json" in the messages (400), and as OpenAI does, ``max_tokens`` for a
reasoning model (400) and a ``"strict": true`` schema that breaks the strict-mode rules (400).

Answers come from `FakeOpenAI.script` (FIFO), then ``responder``, then a fixed default review.
Nothing here imports `reviewbot`.

Standalone: ``python tests/fake_openai.py --port 8765 [--latency-base 0.5 --latency-per-1k 0.05]
[--api-key K]`` prints its base URL, then serves the default answer until killed.
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import itertools
import json
import math
import random
import re
import signal
import socket
import socketserver
import struct
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType, TracebackType
from typing import Any

Json = dict[str, Any]

DEFAULT_CONTENT = '{"score": 8, "issues": []}'
# How a self-check request is recognised: its system message names the answer's key.
VERIFY_MARK = '"verdicts"'
FORMAT_UNAVAILABLE = "This response_format type is unavailable now"
JSON_WORD_REQUIRED = (
    "'messages' must contain the word 'json' in some form, to use 'response_format' of type "
    "'json_object'."
)
NO_KEY = (
    "You didn't provide an API key. You need to provide your API key in an Authorization header "
    "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with "
    "blank username) if you're accessing the API from your browser and are prompted for a "
    "username and password. You can obtain an API key from "
    "https://platform.openai.com/account/api-keys."
)
KEYS_URL = "https://platform.openai.com/account/api-keys"
# OpenAI's reasoning models (o1, o3, o4-mini, gpt-5, ...) refuse the deprecated max_tokens.
REASONING_MODEL = re.compile(r"^(?:o\d|gpt-5)", re.IGNORECASE)
MAX_TOKENS_UNSUPPORTED = (
    "Unsupported parameter: 'max_tokens' is not supported with this model. "
    "Use 'max_completion_tokens' instead."
)
_SCHEMA_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
STREAM_PIECE_CHARS = 16
CHAT_PATHS = ("/v1/chat/completions", "/chat/completions")
MODELS_PATHS = ("/v1/models", "/models")

# Default bodies for scripted error statuses, as OpenAI words them.
_STATUS_ERRORS: dict[int, tuple[str, str, str | None]] = {
    400: ("Invalid request.", "invalid_request_error", None),
    401: ("Incorrect API key provided.", "invalid_request_error", "invalid_api_key"),
    403: ("You are not allowed to sample from this model", "invalid_request_error", None),
    404: (
        "The model does not exist or you do not have access to it.",
        "invalid_request_error",
        "model_not_found",
    ),
    408: ("Request timed out.", "timeout", None),
    409: ("Conflict.", "invalid_request_error", None),
    422: ("Unprocessable entity.", "invalid_request_error", None),
    429: (
        "Rate limit reached for requests. Please try again in 1s.",
        "requests",
        "rate_limit_exceeded",
    ),
    500: (
        "The server had an error while processing your request. Sorry about that!",
        "server_error",
        None,
    ),
    502: ("Bad gateway.", "server_error", None),
    503: ("The engine is currently overloaded, please try again later.", "server_error", None),
}


@dataclass
class Reply:
    """One answer. A status other than 200 answers with an error body instead of a completion."""

    content: str | None = None
    reasoning_content: str | None = None
    finish_reason: str = "stop"
    status: int = 200
    error_body: Json | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    reset: bool = False  # drop the connection (RST) without a response
    # Send the status line, the headers and this many bytes of the body, then drop the
    # connection: an answer cut off mid-way (works for streamed answers too).
    cut_after: int | None = None
    # In a streamed answer: after the content, an error event with this message instead of
    # the finish (what providers send when they give up mid-answer).
    stream_error: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None


class Headers(dict[str, str]):
    """Request headers; keys are stored lower-cased and looked up case-insensitively."""

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        super().__init__((k.lower(), v) for k, v in items)

    def __getitem__(self, key: str) -> str:
        return super().__getitem__(key.lower())

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and super().__contains__(key.lower())

    def get(self, key: str, default: str | None = None) -> str | None:  # type: ignore[override]
        return super().get(key.lower(), default)


def message_text(content: Any) -> str:
    """The text of a message's ``content``: a string, or the text parts of a parts list."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            part["text"]
            for part in content
            if isinstance(part, dict) and isinstance(part.get("text"), str)
        )
    return ""


def estimate_tokens(text: str) -> int:
    return math.ceil(len(text) / 4)


def prompt_tokens(body: Json) -> int:
    """What the server reports as prompt_tokens: characters of all message contents / 4."""
    messages = body.get("messages")
    if not isinstance(messages, list):
        return 0
    return estimate_tokens(
        "".join(message_text(m.get("content")) for m in messages if isinstance(m, dict))
    )


def linear_latency(base: float, per_1k_prompt_tokens: float) -> Callable[[Json], float]:
    """A latency model: ``base`` seconds plus ``per_1k_prompt_tokens`` per 1,000 prompt tokens."""

    def latency(body: Json) -> float:
        return base + per_1k_prompt_tokens * prompt_tokens(body) / 1000

    return latency


def mask_key(key: str) -> str:
    """The key as OpenAI shows it in errors: ``sk-abcde****...wxyz``; short keys all stars."""
    if len(key) <= 12:
        return "*" * len(key)
    return key[:8] + "*" * (len(key) - 12) + key[-4:]


def error_body(
    message: str,
    type_: str = "invalid_request_error",
    param: str | None = None,
    code: str | None = None,
) -> Json:
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


@dataclass
class RecordedRequest:
    """One request as received. Times are `time.monotonic()`; ``finished`` is 0.0 in flight."""

    path: str
    headers: dict[str, str]
    body: Json
    started: float
    finished: float = 0.0
    method: str = "POST"
    connection: int = 0  # numbers the TCP connections in accept order: equal means reused

    @property
    def messages(self) -> list[Json]:
        messages = self.body.get("messages")
        if not isinstance(messages, list):
            return []
        return [m for m in messages if isinstance(m, dict)]

    def _text_of(self, role: str, last: bool) -> str | None:
        found = [m for m in self.messages if m.get("role") == role]
        if not found:
            return None
        return message_text((found[-1] if last else found[0]).get("content"))

    @property
    def system(self) -> str | None:
        return self._text_of("system", last=False)

    @property
    def user(self) -> str | None:
        return self._text_of("user", last=True)

    @property
    def response_format_type(self) -> str | None:
        response_format = self.body.get("response_format")
        if isinstance(response_format, dict) and isinstance(response_format.get("type"), str):
            return str(response_format["type"])
        return None

    @property
    def stream(self) -> bool:
        return self.body.get("stream") is True

    @property
    def model(self) -> str | None:
        model = self.body.get("model")
        return model if isinstance(model, str) else None

    @property
    def is_verify(self) -> bool:
        """A self-check request (reviewbot's verify.j2): its system message names "verdicts"."""
        return VERIFY_MARK in (self.system or "")

    def verify_findings(self) -> list[Json]:
        """The findings a self-check request lists (its first user message), or []."""
        text = self._text_of("user", last=False) or ""
        _, sep, rest = text.partition("Findings:\n")
        if not sep:
            return []
        listed = rest.split("\n\nCode they cite:", 1)[0]
        try:
            found = json.loads(listed)
        except ValueError:
            return []
        return [f for f in found if isinstance(f, dict)] if isinstance(found, list) else []


Responder = Callable[[RecordedRequest], Reply | str]


def strict_schema_error(schema: Any, context: tuple[str, ...] = ()) -> str | None:
    """Why OpenAI's structured outputs refuse `schema` with ``"strict": true``, or None.

    The rules OpenAI documents for strict mode: every object sets ``additionalProperties:
    false`` and lists every property in ``required`` (an optional field is a nullable type
    instead); the root is an object. Messages follow OpenAI's wording.
    """
    if not isinstance(schema, dict):
        return f"In context={context}, schema must be a JSON Schema of 'type: \"object\"'."
    types = schema.get("type")
    type_list = types if isinstance(types, list) else [types]
    if not context and "object" not in type_list:
        return (
            "In context=(), schema must be a JSON Schema of 'type: \"object\"', got "
            f"'type: \"{types}\"'."
        )
    if "object" in type_list:
        if schema.get("additionalProperties") is not False:
            return (
                f"In context={context}, 'additionalProperties' is required to be supplied "
                "and to be false."
            )
        properties = schema.get("properties") or {}
        required = schema.get("required")
        missing = [k for k in properties if not isinstance(required, list) or k not in required]
        if missing:
            return (
                f"In context={context}, 'required' is required to be supplied and to be an "
                f"array including every key in properties. Missing '{missing[0]}'."
            )
        for name, sub in properties.items():
            found = strict_schema_error(sub, (*context, "properties", name))
            if found:
                return found
    if "array" in type_list and "items" in schema:
        return strict_schema_error(schema["items"], (*context, "items"))
    for i, sub in enumerate(schema.get("anyOf") or []):
        found = strict_schema_error(sub, (*context, "anyOf", str(i)))
        if found:
            return found
    return None


# What `FaultInjector` can do to a reply: transport faults the client should retry, and
# answers it should re-ask.
TRANSPORT_FAULTS = ("429", "429-retry-after", "500", "503", "reset", "cut", "hang")
ANSWER_FAULTS = ("invalid-json", "schema-invalid", "truncated", "empty")
FAULT_KINDS = TRANSPORT_FAULTS + ANSWER_FAULTS


class FaultInjector:
    """A responder that answers with ``answer`` but turns a seeded fraction of replies into faults.

    Reproducible under concurrency: whether a request is faulted, and how, depends only on
    the seed, the request's messages and how many identical requests came before it (a
    retry repeats its body), never on the order requests from parallel clients arrive in.
    ``injected`` counts faults by kind, ``answered`` the replies left alone.

    Kinds: 429 without and with Retry-After (0..``max_retry_after`` s), 500, 503, a reset
    connection, an answer cut off mid-body, a hang of ``hang_seconds`` (past the client's
    timeout) before a valid answer, invalid JSON, JSON failing the answer schema,
    ``finish_reason: "length"`` with half the answer, and empty content.
    """

    def __init__(
        self,
        answer: Responder | None = None,
        *,
        rate: float,
        seed: int = 0,
        kinds: Iterable[str] = FAULT_KINDS,
        hang_seconds: float = 2.0,
        max_retry_after: int = 1,
    ) -> None:
        self.answer = answer
        self.rate = rate
        self.seed = seed
        self.kinds = tuple(kinds)
        unknown = set(self.kinds) - set(FAULT_KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds: {sorted(unknown)}")
        self.hang_seconds = hang_seconds
        self.max_retry_after = max_retry_after
        self.injected: collections.Counter[str] = collections.Counter()
        self.answered = 0
        self._seen: collections.Counter[str] = collections.Counter()
        self._lock = threading.Lock()

    def _rng(self, request: RecordedRequest) -> random.Random:
        body = json.dumps([request.messages, request.stream], sort_keys=True)
        digest = hashlib.sha256(body.encode()).hexdigest()
        with self._lock:
            occurrence = self._seen[digest]
            self._seen[digest] += 1
        seed = hashlib.sha256(f"{self.seed}:{digest}:{occurrence}".encode()).digest()
        return random.Random(int.from_bytes(seed[:8], "big"))

    def _good(self, request: RecordedRequest) -> Reply:
        if self.answer is None:
            return Reply(content=DEFAULT_CONTENT)
        reply = self.answer(request)
        return reply if isinstance(reply, Reply) else Reply(content=reply)

    def __call__(self, request: RecordedRequest) -> Reply:
        rng = self._rng(request)
        faulted = rng.random() < self.rate and bool(self.kinds)
        kind = rng.choice(self.kinds) if faulted else None
        with self._lock:
            if kind is None:
                self.answered += 1
            else:
                self.injected[kind] += 1
        if kind is None:
            return self._good(request)
        return self._fault(kind, rng, request)

    def _fault(self, kind: str, rng: random.Random, request: RecordedRequest) -> Reply:
        if kind == "429":
            return Reply(status=429)
        if kind == "429-retry-after":
            return Reply(
                status=429, headers={"Retry-After": str(rng.randint(0, self.max_retry_after))}
            )
        if kind in ("500", "503"):
            return Reply(status=int(kind))
        if kind == "reset":
            return Reply(reset=True)
        if kind == "invalid-json":
            return Reply(content='{"score": 7, "issues": [{"path": oops')
        if kind == "schema-invalid":
            bad = {"score": 42, "issues": [{"path": "", "line": "two", "severity": "urgent"}]}
            return Reply(content=json.dumps(bad))
        if kind == "empty":
            return Reply(content="")
        good = self._good(request)
        if kind == "cut":
            good.cut_after = rng.randint(1, 80)
        elif kind == "hang":
            good.delay += self.hang_seconds
        else:  # truncated
            text = good.content or DEFAULT_CONTENT
            good.content = text[: max(1, len(text) // 2)]
            good.finish_reason = "length"
        return good


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the default 5 drops connections under benchmark bursts

    def __init__(self, port: int, fake: FakeOpenAI) -> None:
        self.fake = fake
        super().__init__(("127.0.0.1", port), _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host name (getfqdn), which can stall offline.
        socketserver.TCPServer.server_bind(self)
        self.server_name = "127.0.0.1"
        self.server_port = self.server_address[1]

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, OSError):
            return  # the client went away (timeout, reset) or stop() closed the socket
        if error is not None:
            with self.fake._lock:
                self.fake.errors.append(error)
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    connection_number = 0

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two sends; without TCP_NODELAY the body waits for the
        # client's delayed ACK (~40 ms on Linux), a delay no real provider has.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.connection_number = self.server.fake._register(self.connection)
        # Called just before the bytes that complete a response, so a client holding its
        # answer always finds the request marked finished in the log.
        self.mark_done: Callable[[], None] = lambda: None

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.fake._unregister(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        self.server.fake._handle(self)

    do_GET = do_PUT = do_PATCH = do_DELETE = do_POST


class FakeOpenAI:
    """An OpenAI-compatible server on 127.0.0.1. Use as a context manager, or start()/stop().

    Constructor arguments are public attributes, read on every request, so tests may change
    them while the server runs (``server.accept_formats = {"text"}``).

    A chat request is checked in this order: route (404), key (401), body (400), model (404),
    ``max_tokens`` sent to a reasoning model such as o3-mini (400), response_format (400), a
    json_schema's name and, with ``"strict": true``, OpenAI's strict-schema rules (400), the
    word "json" (400); only a request passing all of them takes the
    next scripted reply or calls ``responder``. ``Reply.delay`` applies to every reply;
    ``latency(body)`` is added to replies with status 200. Every request, refused or not, is
    recorded in ``requests``.
    """

    def __init__(
        self,
        *,
        api_key: str | None = "test-key",
        models: set[str] | None = None,
        accept_formats: set[str] | None = None,
        require_json_word: bool = True,
        latency: Callable[[Json], float] | None = None,
        responder: Responder | None = None,
        format_error_message: str = FORMAT_UNAVAILABLE,
        port: int = 0,
    ) -> None:
        self.api_key = api_key
        self.models = models
        self.accept_formats = (
            {"json_schema", "json_object", "text"} if accept_formats is None else accept_formats
        )
        self.require_json_word = require_json_word
        self.latency = latency
        self.responder = responder
        self.format_error_message = format_error_message
        self.requests: list[RecordedRequest] = []
        self.max_concurrent = 0
        # Exceptions raised by the responder, or by the server itself while handling a request.
        self.errors: list[BaseException] = []
        self.base_url = ""
        self.port = port
        self._lock = threading.Lock()
        self._script: collections.deque[Reply] = collections.deque()
        # Self-check requests never take the review script or call `responder`: they take
        # `script_verify` replies, then `verify_responder`, then verdicts from `verdicts`.
        self._verify_script: collections.deque[Reply] = collections.deque()
        self.verify_responder: Responder | None = None
        # finding title -> verdict fields ({"keep": False, "reason": ...}); unnamed: keep
        self.verdicts: dict[str, Json] = {}
        self._in_flight = 0
        self._stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._connection_numbers = itertools.count(1)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> FakeOpenAI:
        if self._server is not None:
            raise RuntimeError("FakeOpenAI is already running")
        self._stopping.clear()
        self._server = _Server(self.port, self)
        self.port = self._server.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.02,), name="fake-openai", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop promptly: sleeping handlers wake up and drop their connections."""
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        with self._lock:
            connections = list(self._connections)
        for sock in connections:  # wakes handler threads parked on idle keep-alive connections
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ------------------------------------------------------------------ scripting and log

    def script(self, *replies: Reply | str) -> None:
        """Queue answers for the next valid chat requests, in order; a str is the content."""
        with self._lock:
            self._script.extend(r if isinstance(r, Reply) else Reply(content=r) for r in replies)

    def script_verify(self, *replies: Reply | str) -> None:
        """Queue answers for the next self-check requests, in order; a str is the content."""
        with self._lock:
            self._verify_script.extend(
                r if isinstance(r, Reply) else Reply(content=r) for r in replies
            )

    @property
    def verify_requests(self) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.is_verify]

    @property
    def review_requests(self) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if not r.is_verify]

    def verdicts_for(self, record: RecordedRequest) -> str:
        """The default self-check answer: a verdict per listed finding, from `verdicts` by title."""
        out = []
        for finding in record.verify_findings():
            verdict: Json = {"id": finding.get("id"), "keep": True, "reason": "real problem"}
            verdict.update(self.verdicts.get(str(finding.get("title")), {}))
            out.append(verdict)
        return json.dumps({"verdicts": out})

    @property
    def pending(self) -> int:
        """Scripted replies not yet used."""
        with self._lock:
            return len(self._script)

    def reset_log(self) -> None:
        """Forget recorded requests, responder errors and the concurrency peak (not the script)."""
        with self._lock:
            self.requests.clear()
            self.errors.clear()
            self.max_concurrent = self._in_flight

    # ------------------------------------------------------------------ connections

    def _register(self, sock: socket.socket) -> int:
        with self._lock:
            self._connections.add(sock)
            return next(self._connection_numbers)

    def _unregister(self, sock: socket.socket) -> None:
        with self._lock:
            self._connections.discard(sock)

    # ------------------------------------------------------------------ request handling

    def _handle(self, handler: _Handler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length > 0 else b""
        body: Json = {}
        parsed_ok = True
        if raw:
            try:
                parsed = json.loads(raw)
            except ValueError:
                parsed_ok = False
            else:
                parsed_ok = isinstance(parsed, dict)
                body = parsed if isinstance(parsed, dict) else {}
        record = RecordedRequest(
            path=handler.path,
            headers=Headers(handler.headers.items()),
            body=body,
            started=time.monotonic(),
            method=handler.command,
            connection=handler.connection_number,
        )
        with self._lock:
            self.requests.append(record)
            self._in_flight += 1
            self.max_concurrent = max(self.max_concurrent, self._in_flight)

        def mark_done() -> None:
            with self._lock:
                if record.finished == 0.0:
                    record.finished = time.monotonic()
                    self._in_flight -= 1

        handler.mark_done = mark_done
        try:
            self._respond(handler, record, parsed_ok)
        finally:
            mark_done()

    def _respond(self, handler: _Handler, record: RecordedRequest, parsed_ok: bool) -> None:
        route = record.path.split("?", 1)[0].rstrip("/")
        is_chat = route in CHAT_PATHS and record.method == "POST"
        is_models = route in MODELS_PATHS and record.method == "GET"
        if not (is_chat or is_models):
            _send_json(handler, 404, error_body(f"Invalid URL ({record.method} {record.path})"))
            return
        refusal = self._check_auth(record)
        if refusal is None and is_models:
            _send_json(handler, 200, self._models_list())
            return
        if refusal is None:
            refusal = self._check_chat(record, parsed_ok)
        if refusal is not None:
            _send_json(handler, *refusal)
            return
        reply = self._next_reply(record)
        wait = reply.delay
        if self.latency is not None and reply.status == 200:
            wait += self.latency(record.body)
        if wait > 0 and self._stopping.wait(wait):
            _drop(handler)
            return
        if reply.reset:
            _drop(handler)
        elif reply.status != 200:
            _send_json(
                handler,
                reply.status,
                reply.error_body or _default_error(reply.status),
                reply.headers,
            )
        elif record.stream:
            self._send_stream(handler, record, reply)
        else:
            _send_json(handler, 200, _completion(record, reply), reply.headers, reply.cut_after)

    def _check_auth(self, record: RecordedRequest) -> tuple[int, Json] | None:
        if self.api_key is None:
            return None
        scheme, _, token = (record.headers.get("authorization") or "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return 401, error_body(NO_KEY)
        if token != self.api_key:
            message = (
                f"Incorrect API key provided: {mask_key(token)}. "
                f"You can find your API key at {KEYS_URL}."
            )
            return 401, error_body(message, code="invalid_api_key")
        return None

    def _check_chat(self, record: RecordedRequest, parsed_ok: bool) -> tuple[int, Json] | None:
        body = record.body
        if not parsed_ok:
            return 400, error_body(
                "We could not parse the JSON body of your request. (HINT: This likely means "
                "you aren't using your HTTP library correctly. The OpenAI API expects a JSON "
                "payload, but what was sent was not valid JSON.)"
            )
        model = body.get("model")
        if not isinstance(model, str) or not model:
            return 400, error_body("you must provide a model parameter")
        messages = body.get("messages")
        if not isinstance(messages, list):
            return 400, error_body(
                "Missing required parameter: 'messages'.",
                param="messages",
                code="missing_required_parameter",
            )
        if not messages:
            return 400, error_body(
                "Invalid 'messages': empty array. Expected an array with minimum length 1, "
                "but got an empty array instead.",
                param="messages",
                code="empty_array",
            )
        if self.models is not None and model not in self.models:
            return 404, error_body(
                f"The model `{model}` does not exist or you do not have access to it.",
                code="model_not_found",
            )
        if "max_tokens" in body and REASONING_MODEL.match(model):
            return 400, error_body(
                MAX_TOKENS_UNSUPPORTED, param="max_tokens", code="unsupported_parameter"
            )
        format_type = record.response_format_type
        if body.get("response_format") is not None and format_type not in self.accept_formats:
            return 400, error_body(self.format_error_message, code="invalid_request_error")
        if format_type == "json_schema":
            refused = self._check_json_schema(body["response_format"])
            if refused is not None:
                return refused
        if (
            format_type == "json_object"
            and self.require_json_word
            and not any("json" in message_text(m.get("content")).lower() for m in record.messages)
        ):
            return 400, error_body(JSON_WORD_REQUIRED, param="messages")
        return None

    def _check_json_schema(self, response_format: Json) -> tuple[int, Json] | None:
        """OpenAI's checks of a json_schema response_format: a name, and with strict, a
        strict-compatible schema."""
        spec = response_format.get("json_schema")
        if not isinstance(spec, dict):
            return 400, error_body(
                "Missing required parameter: 'response_format.json_schema'.",
                param="response_format.json_schema",
                code="missing_required_parameter",
            )
        name = spec.get("name")
        if not isinstance(name, str) or not _SCHEMA_NAME.match(name):
            return 400, error_body(
                "Invalid 'response_format.json_schema.name': string does not match pattern. "
                "Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.",
                param="response_format.json_schema.name",
                code="invalid_value",
            )
        if spec.get("strict") is True:
            problem = strict_schema_error(spec.get("schema"))
            if problem is not None:
                return 400, error_body(
                    f"Invalid schema for response_format '{name}': {problem}",
                    param="response_format",
                    code="invalid_json_schema",
                )
        return None

    def _next_reply(self, record: RecordedRequest) -> Reply:
        verify = record.is_verify
        with self._lock:
            queue = self._verify_script if verify else self._script
            if queue:
                return queue.popleft()
        responder = self.verify_responder if verify else self.responder
        if responder is None:
            return Reply(content=self.verdicts_for(record) if verify else DEFAULT_CONTENT)
        try:
            reply = responder(record)
        except Exception as exc:
            with self._lock:
                self.errors.append(exc)
            traceback.print_exc()
            return Reply(
                status=500,
                error_body=error_body(f"fake_openai responder raised {exc!r}", "server_error"),
            )
        return reply if isinstance(reply, Reply) else Reply(content=reply)

    def _models_list(self) -> Json:
        names = sorted(self.models) if self.models is not None else ["test-model"]
        return {
            "object": "list",
            "data": [
                {"id": name, "object": "model", "created": 0, "owned_by": "fake-openai"}
                for name in names
            ],
        }

    def _send_stream(self, handler: _Handler, record: RecordedRequest, reply: Reply) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/event-stream; charset=utf-8")
        handler.send_header("Cache-Control", "no-cache")
        handler.send_header("Transfer-Encoding", "chunked")
        for name, value in reply.headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        left = reply.cut_after
        for chunk in _stream_chunks(record, reply):
            if self._stopping.is_set():
                _drop(handler)
                return
            data = f"data: {json.dumps(chunk)}\n\n".encode()
            frame = b"%x\r\n%s\r\n" % (len(data), data)
            if left is not None and len(frame) >= left:
                handler.wfile.write(frame[:left])
                _hang_up(handler)
                return
            handler.wfile.write(frame)
            if left is not None:
                left -= len(frame)
        done = b"data: [DONE]\n\n"
        handler.mark_done()
        handler.wfile.write(b"%x\r\n%s\r\n0\r\n\r\n" % (len(done), done))


# ---------------------------------------------------------------------- response bodies


def _default_error(status: int) -> Json:
    message, type_, code = _STATUS_ERRORS.get(
        status,
        (f"Error {status}", "server_error" if status >= 500 else "invalid_request_error", None),
    )
    return error_body(message, type_, code=code)


def _usage(record: RecordedRequest, reply: Reply) -> Json:
    reasoning = estimate_tokens(reply.reasoning_content or "")
    prompt = prompt_tokens(record.body) if reply.prompt_tokens is None else reply.prompt_tokens
    completion = (
        estimate_tokens(reply.content or "") + reasoning
        if reply.completion_tokens is None
        else reply.completion_tokens
    )
    usage: Json = {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }
    if reply.reasoning_content is not None:
        usage["completion_tokens_details"] = {"reasoning_tokens": reasoning}
    return usage


def _envelope(record: RecordedRequest, obj: str, completion_id: str, created: int) -> Json:
    return {
        "id": completion_id,
        "object": obj,
        "created": created,
        "model": record.model or "",
        "system_fingerprint": "fp_fake_openai",
    }


def _completion(record: RecordedRequest, reply: Reply) -> Json:
    message: Json = {"role": "assistant", "content": reply.content, "refusal": None}
    if reply.reasoning_content is not None:
        message["reasoning_content"] = reply.reasoning_content
    out = _envelope(record, "chat.completion", f"chatcmpl-{uuid.uuid4().hex}", int(time.time()))
    out["choices"] = [
        {"index": 0, "message": message, "logprobs": None, "finish_reason": reply.finish_reason}
    ]
    out["usage"] = _usage(record, reply)
    return out


def _pieces(text: str | None) -> list[str]:
    text = text or ""
    return [text[i : i + STREAM_PIECE_CHARS] for i in range(0, len(text), STREAM_PIECE_CHARS)]


def _stream_chunks(record: RecordedRequest, reply: Reply) -> Iterator[Json]:
    """chat.completion.chunk objects: role, reasoning deltas, content deltas, finish, usage."""
    completion_id, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
    options = record.body.get("stream_options")
    include_usage = isinstance(options, dict) and options.get("include_usage") is True
    reasoning = reply.reasoning_content is not None

    def chunk(delta: Json, finish_reason: str | None = None) -> Json:
        out = _envelope(record, "chat.completion.chunk", completion_id, created)
        out["choices"] = [
            {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
        ]
        if include_usage:
            out["usage"] = None
        return out

    # DeepSeek's shape: content is null while reasoning streams, reasoning_content null after.
    if reasoning:
        yield chunk({"role": "assistant", "content": None, "reasoning_content": ""})
    else:
        yield chunk(
            {"role": "assistant", "content": None if reply.content is None else "", "refusal": None}
        )
    for piece in _pieces(reply.reasoning_content):
        yield chunk({"content": None, "reasoning_content": piece})
    for piece in _pieces(reply.content):
        yield chunk(
            {"content": piece, "reasoning_content": None} if reasoning else {"content": piece}
        )
    if reply.stream_error is not None:
        yield error_body(reply.stream_error, "server_error")
        return
    yield chunk({}, reply.finish_reason)
    if include_usage:
        out = _envelope(record, "chat.completion.chunk", completion_id, created)
        out["choices"] = []
        out["usage"] = _usage(record, reply)
        yield out


# ---------------------------------------------------------------------- socket helpers


def _send_json(
    handler: _Handler,
    status: int,
    payload: Json,
    headers: dict[str, str] | None = None,
    cut_after: int | None = None,
) -> None:
    data = json.dumps(payload).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.end_headers()
    if cut_after is not None and cut_after < len(data):
        handler.wfile.write(data[:cut_after])
        _hang_up(handler)
        return
    handler.mark_done()
    handler.wfile.write(data)


def _drop(handler: _Handler) -> None:
    """Close the connection at once with an RST and no response bytes."""
    handler.close_connection = True
    handler.mark_done()
    sock = handler.connection
    with suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    # rfile holds a reference to the socket; close() only releases the descriptor after it.
    handler.rfile.close()
    sock.close()


def _hang_up(handler: _Handler) -> None:
    """Close the connection in the middle of a response, cleanly (FIN): a truncated body."""
    handler.close_connection = True
    handler.mark_done()
    sock = handler.connection
    with suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    handler.rfile.close()
    sock.close()


# ---------------------------------------------------------------------- standalone


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--latency-base", type=float, default=0.0, metavar="SECONDS")
    parser.add_argument(
        "--latency-per-1k",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="extra seconds per 1,000 prompt tokens",
    )
    parser.add_argument("--api-key", default=None, help="require this key (default: any)")
    args = parser.parse_args(argv)
    latency = None
    if args.latency_base or args.latency_per_1k:
        latency = linear_latency(args.latency_base, args.latency_per_1k)
    server = FakeOpenAI(api_key=args.api_key, latency=latency, port=args.port)

    def terminate(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, terminate)
    server.start()
    try:
        print(server.base_url, flush=True)
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
