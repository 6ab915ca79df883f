from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator
from referencing import Registry
from reporter_results import FENCED_SUGGESTION, empty_result, full_result, line_finding

from reviewbot.findings import ReviewResult
from reviewbot.reporters import get_reporter
from reviewbot.reporters.rdjson import MAX_LINE_BYTES, RdjsonlReporter, RdjsonReporter

SCHEMA = json.loads((Path(__file__).parent / "data" / "rdjson.schema.json").read_text())
RESULT_VALIDATOR = Draft7Validator(SCHEMA, registry=Registry())
DIAGNOSTIC_VALIDATOR = Draft7Validator(
    {"definitions": SCHEMA["definitions"], "$ref": "#/definitions/Diagnostic"}, registry=Registry()
)
ZWJ = "\u200d"


def rdjson(result: ReviewResult) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(RdjsonReporter().render(result))
    assert [e.message for e in RESULT_VALIDATOR.iter_errors(document)] == []
    return document


def rdjsonl(result: ReviewResult) -> list[dict[str, Any]]:
    text = RdjsonlReporter().render(result)
    assert text == "" or text.endswith("\n")
    lines = [json.loads(line) for line in text.splitlines()]
    for line in lines:
        assert [e.message for e in DIAGNOSTIC_VALIDATOR.iter_errors(line)] == []
    return lines


def github_comment_lines(diagnostic: dict[str, Any]) -> tuple[int, int]:
    """reviewdog's githubCommentLineRange: the location's start..end, end defaulting to start."""
    lines = diagnostic["location"]["range"]
    start = lines["start"]["line"]
    return start, lines.get("end", {}).get("line", start)


def test_registry_finds_both_formats() -> None:
    assert isinstance(get_reporter("rdjson"), RdjsonReporter)
    assert isinstance(get_reporter("rdjsonl"), RdjsonlReporter)


def test_schema_rejects_fields_reviewdog_would_reject() -> None:
    typo = {"message": "m", "location": {}, "sugestions": []}
    assert list(DIAGNOSTIC_VALIDATOR.iter_errors(typo))
    assert list(DIAGNOSTIC_VALIDATOR.iter_errors({"message": "m"}))


def test_result_has_source_worst_severity_and_every_finding() -> None:
    document = rdjson(full_result())
    assert document["source"] == {"name": "reviewbot"}
    assert document["severity"] == "ERROR"
    assert [
        (d["location"]["path"], d["severity"], d["code"]["value"]) for d in document["diagnostics"]
    ] == [
        ("app.py", "ERROR", "bug"),
        ("app.py", "INFO", "style"),
        ("src/my file.py", "WARNING", "maintainability"),
        ("src/my file.py", "ERROR", "security"),
        ("", "INFO", "general"),
    ]


def test_line_finding_has_line_wise_range_and_a_matching_suggestion() -> None:
    diagnostic = rdjson(full_result())["diagnostics"][0]
    assert diagnostic["location"] == {
        "path": "app.py",
        "range": {"start": {"line": 12}, "end": {"line": 14}},
    }
    (suggestion,) = diagnostic["suggestions"]
    # reviewdog refuses a suggestion whose lines differ from the comment's, and columns would
    # make it splice text into the lines instead of replacing them.
    assert suggestion["range"] == diagnostic["location"]["range"]
    assert github_comment_lines(diagnostic) == (12, 14)
    assert suggestion["text"] == FENCED_SUGGESTION
    assert diagnostic["original_output"].startswith("app.py:12: high: [bold]Unsafe[/bold] query")


def test_single_line_suggestion_loses_its_trailing_newline() -> None:
    finding = line_finding()
    finding.end_line = None
    finding.suggestion = "fixed()\n"
    (diagnostic,) = rdjson(ReviewResult(score=5, findings=[finding]))["diagnostics"]
    assert diagnostic["suggestions"] == [
        {"range": {"start": {"line": 12}, "end": {"line": 12}}, "text": "fixed()"}
    ]


def test_file_level_has_path_without_range_and_general_has_empty_path() -> None:
    diagnostics = rdjson(full_result())["diagnostics"]
    assert diagnostics[2]["location"] == {"path": "src/my file.py"}
    assert "suggestions" not in diagnostics[2]
    assert diagnostics[4]["location"] == {"path": ""}
    assert diagnostics[4]["message"] == "缺少测试\n\n没有为新的解析器添加测试。"


def test_messages_are_neutralised_for_markdown_comments() -> None:
    message = rdjson(full_result())["diagnostics"][0]["message"]
    assert "<!--" not in message and "<img" not in message
    assert f"@{ZWJ}octocat" in message


def test_empty_result() -> None:
    assert rdjson(empty_result()) == {"source": {"name": "reviewbot"}, "diagnostics": []}
    assert RdjsonlReporter().render(empty_result()) == ""


def test_rdjsonl_is_one_self_contained_diagnostic_a_line() -> None:
    lines = rdjsonl(full_result())
    assert len(lines) == 5
    assert all(line["source"] == {"name": "reviewbot"} for line in lines)
    document = rdjson(full_result())["diagnostics"]
    assert [{k: v for k, v in line.items() if k != "source"} for line in lines] == document


def test_rdjsonl_lines_stay_under_reviewdogs_scanner_limit() -> None:
    finding = line_finding()
    finding.body = "很长的说明\n" * 20_000
    finding.suggestion = "x = 1"
    (line,) = RdjsonlReporter().render(ReviewResult(score=5, findings=[finding])).splitlines()
    assert len(line.encode()) <= MAX_LINE_BYTES
    decoded = json.loads(line)
    assert decoded["message"].endswith(" …")
    assert decoded["suggestions"][0]["text"] == "x = 1"
