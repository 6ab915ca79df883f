from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from jsonschema import Draft7Validator, FormatChecker
from referencing import Registry
from reporter_results import FENCED_SUGGESTION, empty_result, full_result, line_finding

from reviewbot import __version__
from reviewbot.findings import Finding, ReviewResult, Severity
from reviewbot.reporters import ReportOptions, get_reporter
from reviewbot.reporters.sarif import SarifReporter, artifact_uri

SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text())
# RFC 3986 characters only: no raw spaces, non-ASCII or other characters that need encoding.
_URI_CHARS = re.compile(r"^[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*$")
_FORMATS = FormatChecker()
_FORMATS.checks("uri")(lambda value: bool(_URI_CHARS.match(value)) and ":" in value)
_FORMATS.checks("uri-reference")(lambda value: bool(_URI_CHARS.match(value)))


def sarif(result: ReviewResult, **options: Any) -> dict[str, Any]:
    text = SarifReporter(ReportOptions(**options)).render(result)
    document: dict[str, Any] = json.loads(text)
    # An empty registry resolves only in-document references and never fetches a URL.
    validator = Draft7Validator(SCHEMA, registry=Registry(), format_checker=_FORMATS)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]
    assert errors == []
    return document


def results_by_title(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["message"]["text"].split("\n")[0]: r for r in document["runs"][0]["results"]}


def test_registry_finds_sarif() -> None:
    assert isinstance(get_reporter("sarif"), SarifReporter)


def test_document_is_valid_sarif_with_driver_and_one_rule_a_category() -> None:
    document = sarif(full_result())
    assert document["version"] == "2.1.0"
    assert document["$schema"].endswith("sarif-schema-2.1.0.json")
    driver = document["runs"][0]["tool"]["driver"]
    assert driver["name"] == "reviewbot" and driver["version"] == __version__
    ids = [rule["id"] for rule in driver["rules"]]
    assert ids == [
        "reviewbot/bug",
        "reviewbot/style",
        "reviewbot/maintainability",
        "reviewbot/security",
        "reviewbot/general",
    ]
    assert all(rule["shortDescription"]["text"] for rule in driver["rules"])
    for result in document["runs"][0]["results"]:
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]


def test_levels_messages_and_locations() -> None:
    results = results_by_title(sarif(full_result()))
    unsafe = results["[bold]Unsafe[/bold] query"]
    assert unsafe["level"] == "error"
    assert unsafe["message"]["text"].startswith("[bold]Unsafe[/bold] query\n\n注意")
    location = unsafe["locations"][0]["physicalLocation"]
    assert location == {
        "artifactLocation": {"uri": "app.py", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 12, "endLine": 14},
    }
    assert results["Name"]["level"] == "note"
    assert results["File is too long"]["level"] == "warning"
    file_level = results["File is too long"]["locations"][0]["physicalLocation"]
    assert file_level["artifactLocation"]["uri"] == "src/my%20file.py"
    assert file_level["region"] == {"startLine": 1}


def test_general_findings_go_on_line_one_of_the_first_file() -> None:
    general = results_by_title(sarif(full_result()))["缺少测试"]
    location = general["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "app.py"
    assert location["region"] == {"startLine": 1}
    assert general["properties"]["anchor"] == "general"
    assert general["ruleId"] == "reviewbot/general"


def test_general_findings_without_any_file_become_notifications() -> None:
    only = ReviewResult(
        score=4,
        findings=[
            Finding(
                path=None,
                line=None,
                severity=Severity.HIGH,
                title="No tests",
                body="Add some.",
                anchor="general",
            )
        ],
    )
    run = sarif(only)["runs"][0]
    assert run["results"] == [] and run["tool"]["driver"]["rules"] == []
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert notes == [{"level": "error", "message": {"text": "No tests\n\nAdd some."}}]


def test_security_categories_carry_security_severity_on_result_and_rule() -> None:
    document = sarif(full_result())
    results = results_by_title(document)
    assert results["Hard-coded password"]["properties"]["security-severity"] == "9.0"
    assert "security-severity" not in results["[bold]Unsafe[/bold] query"]["properties"]
    rules = {r["id"]: r for r in document["runs"][0]["tool"]["driver"]["rules"]}
    assert rules["reviewbot/security"]["properties"]["security-severity"] == "9.0"
    assert "security" in rules["reviewbot/security"]["properties"]["tags"]
    assert "security-severity" not in rules["reviewbot/bug"]["properties"]


def test_rule_security_severity_is_the_highest_of_its_results() -> None:
    findings = [
        Finding(path="a.py", line=n, severity=sev, category="SQL injection", title=f"t{n}", body="")
        for n, sev in [(1, Severity.LOW), (2, Severity.HIGH), (3, Severity.MEDIUM)]
    ]
    document = sarif(ReviewResult(score=5, findings=findings))
    (rule,) = document["runs"][0]["tool"]["driver"]["rules"]
    assert rule["id"] == "reviewbot/sql-injection"
    assert rule["properties"]["security-severity"] == "7.0"
    severities = [r["properties"]["security-severity"] for r in document["runs"][0]["results"]]
    assert severities == ["3.0", "7.0", "5.0"]


def test_fingerprints_are_stable_when_lines_move_and_count_repeats() -> None:
    moved = line_finding()
    moved.line, moved.end_line = 40, 42
    twice = ReviewResult(score=5, findings=[line_finding(), moved])
    first, second = sarif(twice)["runs"][0]["results"]
    hash_1 = first["partialFingerprints"]["primaryLocationLineHash"]
    hash_2 = second["partialFingerprints"]["primaryLocationLineHash"]
    assert hash_1.endswith(":1") and hash_2.endswith(":2")
    assert hash_1.split(":")[0] == hash_2.split(":")[0]
    again = sarif(ReviewResult(score=5, findings=[line_finding()]))["runs"][0]["results"][0]
    assert again["partialFingerprints"]["primaryLocationLineHash"] == hash_1
    hashes = {
        r["partialFingerprints"]["primaryLocationLineHash"]
        for r in sarif(full_result())["runs"][0]["results"]
    }
    assert len(hashes) == 5


def test_suggestions_become_fixes_on_line_findings() -> None:
    results = results_by_title(sarif(full_result()))
    (fix,) = results["[bold]Unsafe[/bold] query"]["fixes"]
    (change,) = fix["artifactChanges"]
    assert change["artifactLocation"]["uri"] == "app.py"
    assert change["replacements"] == [
        {
            "deletedRegion": {"startLine": 12, "endLine": 14},
            "insertedContent": {"text": FENCED_SUGGESTION},
        }
    ]
    assert "fixes" not in results["File is too long"] and "fixes" not in results["Name"]


def test_skipped_files_and_failed_chunks_are_notifications() -> None:
    invocation = sarif(full_result())["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    texts = [(n["level"], n["message"]["text"]) for n in invocation["toolExecutionNotifications"]]
    assert texts == [
        ("warning", "Skipped vendor/big.min.js — generated file (1200 changed lines)"),
        ("error", "Failed chunk 3 (lib/a.py, lib/b.py) — timeout after 3 retries"),
    ]


def test_empty_result_is_valid() -> None:
    run = sarif(empty_result())["runs"][0]
    assert run["results"] == [] and run["tool"]["driver"]["rules"] == []
    assert run["invocations"] == [{"executionSuccessful": True}]


@pytest.mark.parametrize(
    ("path", "uri"),
    [
        ("src/my file.py", "src/my%20file.py"),
        ("./a/b.py", "a/b.py"),
        ("docs/文件#1.md", "docs/%E6%96%87%E4%BB%B6%231.md"),
        ("100%.txt", "100%25.txt"),
    ],
)
def test_artifact_uris_are_relative_and_percent_encoded(path: str, uri: str) -> None:
    assert artifact_uri(path) == uri
    assert unquote(uri) == path.removeprefix("./")


def test_repo_root_relativises_absolute_paths_and_sets_the_base() -> None:
    finding = Finding(
        path="/work/repo/pkg/x y.py", line=2, severity=Severity.LOW, title="t", body="b"
    )
    run = sarif(ReviewResult(score=8, findings=[finding]), repo_root="/work/repo")["runs"][0]
    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": "file:///work/repo/"}}
    location = run["results"][0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "pkg/x%20y.py"
