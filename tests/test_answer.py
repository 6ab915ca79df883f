from __future__ import annotations

import json

import pytest

from reviewbot.answer import ModelAnswer, extract_json, parse_answer
from reviewbot.findings import Severity

VALID = {
    "score": 7,
    "issues": [
        {
            "path": "app.py",
            "line": 3,
            "end_line": None,
            "severity": "high",
            "category": "bug",
            "title": "Off by one",
            "body": "Loop skips the last item.",
            "suggestion": None,
            "quote": "for i in range(len(xs) - 1):",
            "extra_field": "ignored",
        },
    ],
}


@pytest.mark.parametrize(
    "wrap",
    [
        lambda s: s,
        lambda s: f"```json\n{s}\n```",
        lambda s: f"<think>the user wants {{json}} so...</think>\n{s}",
        lambda s: f"Here is my review:\n{s}\nHope this helps!",
        lambda s: f"<think>plan</think>```\n{s}\n```",
    ],
    ids=["bare", "fenced", "think", "prose", "think+fence"],
)
def test_wrapped_answers_parse(wrap):
    parsed = parse_answer(wrap(json.dumps(VALID)))
    assert parsed.answer is not None
    assert parsed.answer.score == 7
    assert parsed.answer.issues[0].severity is Severity.HIGH
    assert parsed.answer.issues[0].quote == "for i in range(len(xs) - 1):"


def test_extract_json_takes_first_object_in_prose():
    assert extract_json('noise {"a": 1} more {"b": 2}') == {"a": 1}


def test_empty_and_non_json_answers_explain_themselves():
    assert parse_answer("").errors == ["the answer was empty; reply with the JSON object"]
    parsed = parse_answer("I think the code is fine.")
    assert parsed.answer is None
    assert "no JSON object" in parsed.errors[0]


def test_schema_errors_name_the_field_and_salvage_valid_issues():
    broken = {
        "score": 11,
        "issues": [
            VALID["issues"][0],
            {"path": "app.py", "line": "ten", "severity": "high", "title": "x", "body": "y"},
        ],
    }
    parsed = parse_answer(json.dumps(broken))
    assert parsed.answer is None
    assert any(e.startswith("score:") for e in parsed.errors)
    assert any(e.startswith("issues.1.line:") for e in parsed.errors)
    assert parsed.salvage is not None
    assert [i.title for i in parsed.salvage.issues] == ["Off by one"]


def test_severity_synonyms_and_case_are_accepted():
    answer = ModelAnswer.model_validate(
        {"score": 5, "issues": [{"path": "a", "line": 1, "severity": "MAJOR", "title": "t"}]}
    )
    assert answer.issues[0].severity is Severity.HIGH


def test_unknown_severity_is_an_error():
    parsed = parse_answer(
        json.dumps(
            {"score": 5, "issues": [{"path": "a", "line": 1, "severity": "spicy", "title": "t"}]}
        )
    )
    assert parsed.answer is None
    assert any("severity" in e for e in parsed.errors)


@pytest.mark.parametrize(
    "text",
    ["[" * 100_000, '{"a": ' * 100_000, '{"score": 5, "issues": ' + "[" * 50_000 + "]" * 50_000],
)
def test_absurdly_nested_json_is_an_invalid_answer_not_a_crash(text: str) -> None:
    parsed = parse_answer(text)
    assert parsed.answer is None and "nested too deeply" in parsed.errors[0]
