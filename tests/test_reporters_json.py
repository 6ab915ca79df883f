from __future__ import annotations

import json

from reporter_results import FENCED_SUGGESTION, INJECTION_BODY, empty_result, full_result

from reviewbot.reporters import get_reporter
from reviewbot.reporters.json_report import JsonReporter

ISSUE_KEYS = [
    "path",
    "line",
    "end_line",
    "severity",
    "category",
    "title",
    "body",
    "suggestion",
    "suggestion_committable",
    "anchor",
    "context",
]
CONTRACT_STATS = [
    "chunks",
    "requests",
    "prompt_tokens",
    "completion_tokens",
    "failed_chunks",
    "reasks",
]


def test_registry_finds_json() -> None:
    assert isinstance(get_reporter("json"), JsonReporter)


def test_output_is_exactly_one_object_with_the_contract_keys() -> None:
    text = JsonReporter().render(full_result())
    decoded, end = json.JSONDecoder().raw_decode(text)
    assert text[end:] == "\n"
    assert list(decoded) == [
        "score",
        "issues",
        "stats",
        "skipped_files",
        "failed_chunks",
        "rejected",
    ]
    assert decoded["score"] == 6
    assert all(list(issue) == ISSUE_KEYS for issue in decoded["issues"])
    assert list(decoded["stats"])[: len(CONTRACT_STATS)] == CONTRACT_STATS
    assert [decoded["stats"][k] for k in CONTRACT_STATS] == [3, 4, 12345, 678, 1, 1]
    assert decoded["stats"]["estimated_cost"] == 0.0123
    assert decoded["stats"]["currency"] == "CNY"


def test_issues_keep_text_verbatim_in_file_then_general_order() -> None:
    issues = json.loads(JsonReporter().render(full_result()))["issues"]
    assert [(i["path"], i["line"], i["anchor"]) for i in issues] == [
        ("app.py", 12, "line"),
        ("app.py", 40, "line"),
        ("src/my file.py", None, "file"),
        ("src/my file.py", 3, "line"),
        (None, None, "general"),
    ]
    first = issues[0]
    assert first == {
        "path": "app.py",
        "line": 12,
        "end_line": 14,
        "severity": "high",
        "category": "bug",
        "title": "[bold]Unsafe[/bold] query",
        "body": INJECTION_BODY,
        "suggestion": FENCED_SUGGESTION,
        "suggestion_committable": True,
        "anchor": "line",
        "context": False,
    }
    assert issues[-1]["category"] is None and issues[-1]["suggestion"] is None


def test_findings_on_unchanged_context_lines_say_so() -> None:
    issues = json.loads(JsonReporter().render(full_result()))["issues"]
    assert [(i["path"], i["line"]) for i in issues if i["context"]] == [("app.py", 40)]


def test_non_ascii_is_written_as_is_and_indented() -> None:
    text = JsonReporter().render(full_result())
    assert "缺少测试" in text and "\\u" not in text
    assert text.startswith('{\n  "score": 6,')


def test_skipped_files_and_failed_chunks_are_listed() -> None:
    decoded = json.loads(JsonReporter().render(full_result()))
    assert decoded["skipped_files"] == [
        {"path": "vendor/big.min.js", "reason": "generated file", "changed_lines": 1200}
    ]
    assert decoded["failed_chunks"] == [
        {
            "index": 2,
            "paths": ["lib/a.py", "lib/b.py"],
            "reason": "timeout after 3 retries",
            "changed_lines": 0,
            "unsent": False,
        }
    ]


def test_empty_result() -> None:
    decoded = json.loads(JsonReporter().render(empty_result()))
    assert decoded["score"] is None
    assert decoded["issues"] == [] and decoded["skipped_files"] == []
    assert decoded["stats"]["chunks"] == 0 and decoded["stats"]["estimated_cost"] is None
