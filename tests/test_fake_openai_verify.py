"""The fake model server answers self-check requests apart from reviews."""

from __future__ import annotations

import json

import openai
from fake_openai import DEFAULT_CONTENT, FakeOpenAI, Reply
from keys import TEST_KEY
from test_verify_request import chunk, finding

from reviewbot.verify import VerifyRenderer


def ask(server: FakeOpenAI, messages: list[dict[str, str]]) -> str:
    client = openai.OpenAI(api_key=TEST_KEY, base_url=server.base_url, max_retries=0)
    reply = client.chat.completions.create(model="test-model", messages=messages)  # type: ignore[arg-type]
    return reply.choices[0].message.content or ""


def test_verdicts_by_title_and_the_review_script_untouched() -> None:
    request = VerifyRenderer().request(
        chunk(), [finding("calc.py", 3, title="real bug"), finding("calc.py", 9, title="noise")]
    )
    with FakeOpenAI(api_key=TEST_KEY) as server:
        server.script('{"score": 5, "issues": []}')
        server.verdicts["noise"] = {"keep": False, "reason": "not a problem"}
        answer = json.loads(ask(server, request.messages))
        assert answer == {
            "verdicts": [
                {"id": 1, "keep": True, "reason": "real problem"},
                {"id": 2, "keep": False, "reason": "not a problem"},
            ]
        }
        assert server.pending == 1  # the review's script is left for reviews
        review = [{"role": "system", "content": "review"}, {"role": "user", "content": "diff"}]
        assert ask(server, review) == '{"score": 5, "issues": []}'
        assert ask(server, review) == DEFAULT_CONTENT
        assert len(server.verify_requests) == 1 and len(server.review_requests) == 2


def test_scripted_and_responder_verify_answers() -> None:
    request = VerifyRenderer().request(chunk(), [finding("calc.py", 3)])
    with FakeOpenAI(api_key=TEST_KEY) as server:
        server.script_verify("not json", Reply(content='{"verdicts": []}'))
        assert ask(server, request.messages) == "not json"
        assert ask(server, request.messages) == '{"verdicts": []}'
        server.verify_responder = lambda record: f"{len(record.verify_findings())} findings"
        assert ask(server, request.messages) == "1 findings"
