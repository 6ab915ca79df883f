"""The fake OpenAI server, driven by the real `openai` client over real sockets."""

from __future__ import annotations

import http.client
import json
import math
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest
from fake_openai import (
    DEFAULT_CONTENT,
    FAULT_KINDS,
    FORMAT_UNAVAILABLE,
    JSON_WORD_REQUIRED,
    MAX_TOKENS_UNSUPPORTED,
    FakeOpenAI,
    FaultInjector,
    RecordedRequest,
    Reply,
    linear_latency,
    mask_key,
    prompt_tokens,
)

KEY = "sk-proj-abcdefghijklmnopqrstuvwxyz0123"
MESSAGES: list[Any] = [
    {"role": "system", "content": "You review code."},
    {"role": "user", "content": "Review this diff, please."},
]


@pytest.fixture
def server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(api_key=KEY) as fake:
        yield fake


def client(server: FakeOpenAI, **options: Any) -> openai.OpenAI:
    options.setdefault("max_retries", 0)
    options.setdefault("api_key", KEY)
    options.setdefault("base_url", server.base_url)
    return openai.OpenAI(**options)


def ask(api: openai.OpenAI, **extra: Any) -> Any:
    extra.setdefault("model", "test-model")
    extra.setdefault("messages", MESSAGES)
    return api.chat.completions.create(**extra)


def message_of(error: openai.APIStatusError) -> str:
    """The provider's own message; the SDK's str() prefixes "Error code: N - "."""
    assert isinstance(error.body, dict)
    return str(error.body["message"])


def test_completion_is_parsed_with_usage(server: FakeOpenAI) -> None:
    with client(server) as api:
        answer = ask(api, model="some-model")
    assert answer.object == "chat.completion" and answer.model == "some-model"
    choice = answer.choices[0]
    assert choice.message.role == "assistant" and choice.message.content == DEFAULT_CONTENT
    assert choice.finish_reason == "stop"
    chars = sum(len(m["content"]) for m in MESSAGES)
    assert answer.usage.prompt_tokens == math.ceil(chars / 4)
    assert answer.usage.completion_tokens == math.ceil(len(DEFAULT_CONTENT) / 4)
    assert answer.usage.total_tokens == answer.usage.prompt_tokens + answer.usage.completion_tokens

    (request,) = server.requests
    assert request.path == "/v1/chat/completions" and request.method == "POST"
    assert request.headers["Authorization"] == f"Bearer {KEY}"
    assert request.system == "You review code." and request.user == "Review this diff, please."
    assert request.response_format_type is None and not request.stream
    assert request.started <= request.finished


def test_reasoning_content_finish_reason_and_usage_overrides(server: FakeOpenAI) -> None:
    server.script(
        Reply(
            content=None,
            reasoning_content="Let me think.",
            finish_reason="length",
            prompt_tokens=1000,
            completion_tokens=7,
        )
    )
    with client(server) as api:
        answer = ask(api)
    message = answer.choices[0].message
    assert message.content is None
    assert message.model_extra == {"reasoning_content": "Let me think."}
    assert answer.choices[0].finish_reason == "length"
    assert (
        answer.usage.prompt_tokens,
        answer.usage.completion_tokens,
        answer.usage.total_tokens,
    ) == (1000, 7, 1007)


def test_streaming_with_usage_assembles_content(server: FakeOpenAI) -> None:
    text = json.dumps({"score": 3, "issues": [{"title": "x" * 100}]})
    server.script(Reply(content=text, reasoning_content="step one, step two, step three"))
    with client(server) as api:
        chunks = list(ask(api, stream=True, stream_options={"include_usage": True}))
    deltas = [c.choices[0].delta for c in chunks if c.choices]
    assert deltas[0].role == "assistant"
    content = "".join(d.content or "" for d in deltas)
    reasoning = "".join(d.model_extra.get("reasoning_content") or "" for d in deltas)
    assert content == text and reasoning == "step one, step two, step three"
    assert sum(1 for d in deltas if d.content) > 3
    finishing = [c.choices[0].finish_reason for c in chunks if c.choices]
    assert finishing[-1] == "stop" and set(finishing[:-1]) == {None}
    last = chunks[-1]
    assert last.choices == [] and last.usage is not None
    assert last.usage.prompt_tokens == prompt_tokens({"messages": MESSAGES})
    assert last.usage.completion_tokens_details.reasoning_tokens == math.ceil(30 / 4)
    assert all(c.usage is None for c in chunks[:-1])
    assert server.requests[0].stream


def test_stream_without_usage_option_has_no_usage_chunk(server: FakeOpenAI) -> None:
    server.script(Reply(content="short"))
    with client(server) as api:
        chunks = list(ask(api, stream=True))
    assert all(c.choices for c in chunks)
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == "short"


def test_keep_alive_connection_is_reused_across_answers_and_errors(server: FakeOpenAI) -> None:
    server.script("plain", Reply(status=500), Reply(status=429), "again")
    with client(server) as api:
        ask(api)
        with pytest.raises(openai.InternalServerError):
            ask(api)
        with pytest.raises(openai.RateLimitError):
            ask(api)
        assert ask(api).choices[0].message.content == "again"
    assert [r.connection for r in server.requests] == [1, 1, 1, 1]


def test_stream_read_to_the_end_leaves_the_connection_reusable(server: FakeOpenAI) -> None:
    # The sync SDK stops reading at [DONE] and so drops the connection; a client that reads
    # the terminating chunk can reuse it.
    server.script("streamed text that spans several chunks")
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    headers = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
    body = {"model": "m", "messages": MESSAGES, "stream": True}
    conn.request("POST", "/v1/chat/completions", json.dumps(body), headers)
    response = conn.getresponse()
    assert response.getheader("Content-Type") == "text/event-stream; charset=utf-8"
    events = [line for line in response.read().decode().split("\n\n") if line]
    assert events[-1] == "data: [DONE]"
    deltas = [json.loads(e.removeprefix("data: "))["choices"][0]["delta"] for e in events[:-1]]
    assert "".join(d.get("content") or "" for d in deltas) == (
        "streamed text that spans several chunks"
    )
    conn.request("POST", "/v1/chat/completions", json.dumps(body | {"stream": False}), headers)
    assert json.loads(conn.getresponse().read())["object"] == "chat.completion"
    conn.close()
    assert [r.connection for r in server.requests] == [1, 1]


def test_deepseek_style_base_url_without_v1(server: FakeOpenAI) -> None:
    with client(server, base_url=server.base_url.removesuffix("/v1")) as api:
        assert ask(api).choices[0].message.content == DEFAULT_CONTENT
    assert server.requests[0].path == "/chat/completions"


def test_models_list(server: FakeOpenAI) -> None:
    server.models = {"b-model", "a-model"}
    with client(server) as api:
        assert [m.id for m in api.models.list()] == ["a-model", "b-model"]


def test_wrong_key_is_401_and_never_echoed(server: FakeOpenAI) -> None:
    wrong = "sk-wrong-0123456789abcdefWXYZ"
    with client(server, api_key=wrong) as api, pytest.raises(openai.AuthenticationError) as err:
        ask(api)
    assert err.value.status_code == 401 and err.value.code == "invalid_api_key"
    assert wrong not in str(err.value)
    assert message_of(err.value).startswith("Incorrect API key provided: sk-wrong*")
    assert mask_key(wrong) == "sk-wrong" + "*" * 17 + "WXYZ"
    assert mask_key("short") == "*****"


def test_missing_key_unknown_path_and_bad_json_over_one_raw_connection(server: FakeOpenAI) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)

    def post(path: str, body: bytes, auth: bool = True) -> tuple[int, dict[str, Any]]:
        headers = {"Content-Type": "application/json"}
        if auth:
            headers["Authorization"] = f"Bearer {KEY}"
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        assert response.getheader("Content-Length") == str(len(data))
        return response.status, json.loads(data)

    status, body = post("/v1/chat/completions", b"{}", auth=False)
    assert status == 401 and "You didn't provide an API key" in body["error"]["message"]
    status, body = post("/v1/completions", b"{}")
    assert status == 404 and body["error"]["message"] == "Invalid URL (POST /v1/completions)"
    status, body = post("/v1/chat/completions", b"{not json")
    assert status == 400 and "could not parse the JSON body" in body["error"]["message"]
    status, body = post("/v1/chat/completions", json.dumps({"model": "m"}).encode())
    assert status == 400 and body["error"]["param"] == "messages"
    status, body = post(
        "/v1/chat/completions", json.dumps({"model": "m", "messages": MESSAGES}).encode()
    )
    assert status == 200 and body["choices"][0]["message"]["content"] == DEFAULT_CONTENT
    conn.close()
    assert len({r.connection for r in server.requests}) == 1


def test_unknown_model_is_404(server: FakeOpenAI) -> None:
    server.models = {"real-model"}
    with client(server) as api:
        assert ask(api, model="real-model").model == "real-model"
        with pytest.raises(openai.NotFoundError) as err:
            ask(api, model="typo-model")
    assert err.value.code == "model_not_found"
    assert message_of(err.value) == (
        "The model `typo-model` does not exist or you do not have access to it."
    )


def test_unsupported_response_format_is_400_with_provider_message(server: FakeOpenAI) -> None:
    server.accept_formats = {"json_object", "text"}
    schema = {
        "type": "json_schema",
        "json_schema": {"name": "review", "schema": {"type": "object"}, "strict": True},
    }
    with client(server) as api:
        with pytest.raises(openai.BadRequestError) as err:
            ask(api, response_format=schema)
        assert message_of(err.value) == FORMAT_UNAVAILABLE
        server.format_error_message = 'response_format type must be one of "text" or "json_object"'
        with pytest.raises(openai.BadRequestError, match="must be one of"):
            ask(api, response_format=schema)
        ask(api, response_format={"type": "text"})
    assert [r.response_format_type for r in server.requests] == [
        "json_schema",
        "json_schema",
        "text",
    ]


def test_reasoning_models_refuse_max_tokens_as_openai_does(server: FakeOpenAI) -> None:
    with client(server) as api:
        for model in ("o3-mini", "o1", "gpt-5-mini"):
            with pytest.raises(openai.BadRequestError) as err:
                ask(api, model=model, max_tokens=100)
            assert message_of(err.value) == MAX_TOKENS_UNSUPPORTED
            assert isinstance(err.value.body, dict)
            assert err.value.body["param"] == "max_tokens"
            assert err.value.body["code"] == "unsupported_parameter"
            ask(api, model=model, max_completion_tokens=100)
        ask(api, model="gpt-4o-mini", max_tokens=100)  # older models still take it


def _schema_format(schema: Any, *, strict: bool = True) -> dict[str, Any]:
    return {
        "type": "json_schema",
        "json_schema": {"name": "review", "schema": schema, "strict": strict},
    }


def test_strict_schemas_are_checked_as_openai_does(server: FakeOpenAI) -> None:
    item = {
        "type": "object",
        "properties": {"line": {"type": "integer"}, "note": {"type": ["string", "null"]}},
        "required": ["line", "note"],
        "additionalProperties": False,
    }
    good = {
        "type": "object",
        "properties": {"issues": {"type": "array", "items": item}},
        "required": ["issues"],
        "additionalProperties": False,
    }
    optional_note = {**item, "required": ["line"]}
    open_item = {key: value for key, value in item.items() if key != "additionalProperties"}
    with client(server) as api:
        ask(api, response_format=_schema_format(good))
        for bad_item, problem in (
            (
                optional_note,
                "In context=('properties', 'issues', 'items'), 'required' is required to be "
                "supplied and to be an array including every key in properties. Missing 'note'.",
            ),
            (
                open_item,
                "In context=('properties', 'issues', 'items'), 'additionalProperties' is "
                "required to be supplied and to be false.",
            ),
        ):
            schema = {**good, "properties": {"issues": {"type": "array", "items": bad_item}}}
            with pytest.raises(openai.BadRequestError) as err:
                ask(api, response_format=_schema_format(schema))
            assert (
                message_of(err.value) == f"Invalid schema for response_format 'review': {problem}"
            )
            ask(api, response_format=_schema_format(schema, strict=False))
        with pytest.raises(openai.BadRequestError, match="schema must be a JSON Schema"):
            ask(api, response_format=_schema_format({"type": "array", "items": item}))
        bad_name = {"type": "json_schema", "json_schema": {"name": "code review", "schema": good}}
        with pytest.raises(openai.BadRequestError, match=r"json_schema\.name"):
            ask(api, response_format=bad_name)


def test_json_object_needs_the_word_json(server: FakeOpenAI) -> None:
    json_object = {"type": "json_object"}
    with client(server) as api:
        with pytest.raises(openai.BadRequestError) as err:
            ask(api, response_format=json_object)
        assert message_of(err.value) == JSON_WORD_REQUIRED
        answer = ask(
            api,
            response_format=json_object,
            messages=[
                {"role": "system", "content": "Answer in JSON."},
                {"role": "user", "content": [{"type": "text", "text": "Review this."}]},
            ],
        )
        assert answer.choices[0].message.content == DEFAULT_CONTENT
        server.require_json_word = False
        ask(api, response_format=json_object)


def test_429_retry_after_is_honoured_by_the_sdk(server: FakeOpenAI) -> None:
    server.script(Reply(status=429, headers={"Retry-After": "1"}), Reply(content="ok"))
    begun = time.monotonic()
    with client(server, max_retries=1) as api:
        assert ask(api).choices[0].message.content == "ok"
    assert time.monotonic() - begun >= 0.9
    first, second = server.requests
    assert second.started - first.finished >= 0.9


def test_429_without_retries_is_rate_limit_error(server: FakeOpenAI) -> None:
    server.script(Reply(status=429))
    with client(server) as api, pytest.raises(openai.RateLimitError) as err:
        ask(api)
    assert err.value.code == "rate_limit_exceeded"


def test_500_then_success_with_retries(server: FakeOpenAI) -> None:
    server.script(Reply(status=500), Reply(status=503, error_body={"error": "busy"}), "fine")
    with client(server, max_retries=2) as api:
        assert ask(api).choices[0].message.content == "fine"
    assert len(server.requests) == 3 and server.pending == 0


def test_script_comes_before_responder_and_responder_sees_the_request(server: FakeOpenAI) -> None:
    seen: list[RecordedRequest] = []

    def responder(request: RecordedRequest) -> str:
        seen.append(request)
        return f"echo: {request.user}"

    server.responder = responder
    server.script("first", Reply(content="second"))
    with client(server) as api:
        answers = [ask(api).choices[0].message.content for _ in range(3)]
    assert answers == ["first", "second", "echo: Review this diff, please."]
    assert seen == [server.requests[2]]


def test_responder_exception_is_a_500_and_kept(
    server: FakeOpenAI, capsys: pytest.CaptureFixture[str]
) -> None:
    def responder(request: RecordedRequest) -> Reply:
        raise KeyError("oops")

    server.responder = responder
    with client(server) as api, pytest.raises(openai.InternalServerError):
        ask(api)
    assert [type(e) for e in server.errors] == [KeyError]
    assert "KeyError" in capsys.readouterr().err
    server.reset_log()
    assert server.requests == [] and server.errors == [] and server.max_concurrent == 0


def test_a_failure_inside_the_server_is_recorded(
    server: FakeOpenAI, capsys: pytest.CaptureFixture[str]
) -> None:
    server.script(Reply(content=object()))  # type: ignore[arg-type]  # not JSON-serialisable
    with client(server) as api:
        with pytest.raises(openai.APIConnectionError):
            ask(api)
        assert ask(api).choices[0].message.content == DEFAULT_CONTENT
    assert [type(e) for e in server.errors] == [TypeError]
    assert "TypeError" in capsys.readouterr().err


def test_reset_is_a_connection_error_and_the_server_survives(server: FakeOpenAI) -> None:
    server.script(Reply(reset=True))
    with client(server) as api:
        with pytest.raises(openai.APIConnectionError) as err:
            ask(api)
        assert not isinstance(err.value, openai.APITimeoutError)
        assert ask(api).choices[0].message.content == DEFAULT_CONTENT


def test_cut_answer_is_a_connection_error_and_the_server_survives(server: FakeOpenAI) -> None:
    server.script(Reply(content=DEFAULT_CONTENT, cut_after=20))
    with client(server) as api:
        with pytest.raises(openai.APIConnectionError) as err:
            ask(api)
        assert not isinstance(err.value, openai.APITimeoutError)
        assert ask(api).choices[0].message.content == DEFAULT_CONTENT
    assert len(server.requests) == 2 and all(r.finished for r in server.requests)


def test_cut_stream_fails_mid_iteration(server: FakeOpenAI) -> None:
    text = json.dumps({"score": 3, "issues": [{"title": "x" * 300}]})
    server.script(Reply(content=text, cut_after=700))
    with client(server) as api:
        received: list[str] = []
        with pytest.raises(openai.APIConnectionError):
            for chunk in ask(api, stream=True):
                received.extend(c.delta.content or "" for c in chunk.choices)
        assert 0 < len("".join(received)) < len(text)  # some of the answer came first
        assert ask(api).choices[0].message.content == DEFAULT_CONTENT


def test_stream_error_event_is_an_api_error(server: FakeOpenAI) -> None:
    server.script(Reply(content="partial answer", stream_error="Model overloaded"))
    with client(server) as api:
        received: list[str] = []
        with pytest.raises(openai.APIError) as err:
            for chunk in ask(api, stream=True):
                received.extend(c.delta.content or "" for c in chunk.choices)
        assert not isinstance(err.value, openai.APIStatusError)
        assert err.value.message == "Model overloaded"
        assert "".join(received) == "partial answer"
        assert ask(api).choices[0].message.content == DEFAULT_CONTENT  # connection still fine


def _fake_request(text: str, stream: bool = False) -> RecordedRequest:
    body = {"model": "m", "messages": [{"role": "user", "content": text}], "stream": stream}
    return RecordedRequest(path="/v1/chat/completions", headers={}, body=body, started=0.0)


def _kinds(injector: FaultInjector, requests: list[RecordedRequest]) -> dict[str, list[str]]:
    """Per request text: the fault kinds (or "ok") of its successive occurrences."""
    out: dict[str, list[str]] = {}
    for request in requests:
        before = injector.injected.copy()
        injector(request)
        grew = injector.injected - before
        out.setdefault(request.user or "", []).append(next(iter(grew), "ok"))
    return out


def test_fault_injector_is_reproducible_whatever_the_arrival_order() -> None:
    texts = [f"review chunk {n}" for n in range(60)]
    # Each text three times (a request and two retries), in two different interleavings.
    in_order = [_fake_request(t) for t in texts for _ in range(3)]
    shuffled = [_fake_request(t) for _ in range(3) for t in reversed(texts)]
    first = _kinds(FaultInjector(rate=0.3, seed=7), in_order)
    again = _kinds(FaultInjector(rate=0.3, seed=7), shuffled)
    assert first == again
    other_seed = _kinds(FaultInjector(rate=0.3, seed=8), in_order)
    assert other_seed != first
    faulted = sum(kind != "ok" for kinds in first.values() for kind in kinds)
    assert 20 <= faulted <= 90  # 30% of 180, loosely
    # a retry of the same body is decided afresh, not faulted forever
    assert any(kinds[0] != "ok" and "ok" in kinds[1:] for kinds in first.values())


def test_fault_injector_rates_and_kinds() -> None:
    never = FaultInjector(rate=0.0, seed=1)
    for n in range(50):
        assert never(_fake_request(f"r{n}")).content == DEFAULT_CONTENT
    assert never.answered == 50 and not never.injected
    only_503 = FaultInjector(rate=1.0, seed=1, kinds=["503"])
    assert only_503(_fake_request("x")).status == 503
    assert only_503.injected == {"503": 1}
    with pytest.raises(ValueError, match="unknown fault kinds"):
        FaultInjector(rate=0.5, kinds=["teapot"])


@pytest.mark.parametrize("kind", FAULT_KINDS)
def test_each_fault_kind_reaches_the_client_as_that_fault(server: FakeOpenAI, kind: str) -> None:
    good = json.dumps({"score": 9, "issues": []})
    server.responder = FaultInjector(
        lambda request: good, rate=1.0, seed=3, kinds=[kind], hang_seconds=1.0
    )
    with client(server, timeout=0.4) as api:
        try:
            answer = ask(api)
        except openai.APIStatusError as exc:
            outcome: tuple[Any, ...] = ("status", exc.status_code, exc.response.headers)
        except openai.APITimeoutError:
            outcome = ("timeout",)
        except openai.APIConnectionError:
            outcome = ("connection",)
        else:
            choice = answer.choices[0]
            outcome = ("answer", choice.message.content, choice.finish_reason)
    if kind.startswith("429"):
        assert outcome[:2] == ("status", 429)
        assert ("retry-after" in outcome[2]) == (kind == "429-retry-after")
        if kind == "429-retry-after":
            assert int(outcome[2]["retry-after"]) in (0, 1)
    elif kind in ("500", "503"):
        assert outcome[:2] == ("status", int(kind))
    elif kind in ("reset", "cut"):
        assert outcome == ("connection",)
    elif kind == "hang":
        assert outcome == ("timeout",)
    elif kind == "truncated":
        assert outcome == ("answer", good[: len(good) // 2], "length")
    elif kind == "empty":
        assert outcome == ("answer", "", "stop")
    else:
        assert outcome[0] == "answer" and outcome[1] != good and outcome[2] == "stop"
        if kind == "invalid-json":
            with pytest.raises(ValueError):
                json.loads(outcome[1])
        else:
            assert json.loads(outcome[1])["score"] == 42


def test_hang_past_client_timeout_does_not_wedge_stop() -> None:
    fake = FakeOpenAI(api_key=KEY).start()
    fake.script(Reply(content="late", delay=3))
    with client(fake, timeout=0.5) as api:
        begun = time.monotonic()
        with pytest.raises(openai.APITimeoutError):
            ask(api)
        assert time.monotonic() - begun < 2
    begun = time.monotonic()
    fake.stop()
    assert time.monotonic() - begun < 1


def test_stop_wakes_a_handler_still_sleeping_for_a_live_client() -> None:
    fake = FakeOpenAI(api_key=KEY).start()
    fake.script(Reply(content="late", delay=30))
    failures: list[BaseException] = []

    def call() -> None:
        with client(fake, timeout=60) as api:
            try:
                ask(api)
            except openai.APIConnectionError as exc:
                failures.append(exc)

    caller = threading.Thread(target=call)
    caller.start()
    while not fake.requests:
        time.sleep(0.01)
    begun = time.monotonic()
    fake.stop()
    caller.join(timeout=5)
    assert time.monotonic() - begun < 1
    assert len(failures) == 1


def test_concurrent_requests_are_handled_in_parallel() -> None:
    with FakeOpenAI(api_key=KEY, latency=lambda body: 0.3) as fake, client(fake) as api:
        start = threading.Barrier(4)
        answers: list[str | None] = []

        def call() -> None:
            start.wait()
            answers.append(ask(api).choices[0].message.content)

        threads = [threading.Thread(target=call) for _ in range(4)]
        begun = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=5)
        elapsed = time.monotonic() - begun
    assert answers == [DEFAULT_CONTENT] * 4
    assert fake.max_concurrent == 4
    assert 0.3 <= elapsed < 1.0
    assert all(r.finished - r.started >= 0.3 for r in fake.requests)


def test_linear_latency_counts_prompt_tokens() -> None:
    latency = linear_latency(0.5, 0.25)
    body = {"messages": [{"role": "user", "content": "x" * 8000}]}
    assert latency(body) == pytest.approx(0.5 + 0.25 * 2)
    assert latency({}) == 0.5


def test_standalone_prints_base_url_and_serves(tmp_path: Path) -> None:
    script = Path(__file__).with_name("fake_openai.py")
    command = [
        sys.executable,
        str(script),
        "--port",
        "0",
        "--api-key",
        "K",
        "--latency-base",
        "0.01",
    ]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as process:
        try:
            assert process.stdout is not None
            base_url = process.stdout.readline().strip()
            assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/v1")
            with openai.OpenAI(base_url=base_url, api_key="K", max_retries=0) as api:
                assert ask(api).choices[0].message.content == DEFAULT_CONTENT
        finally:
            process.terminate()
        assert process.wait(timeout=5) == 0
