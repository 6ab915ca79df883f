from __future__ import annotations

import re

from reporter_results import INJECTION_BODY, empty_result, full_result, line_finding

from reviewbot.findings import Finding, ReviewResult, Severity
from reviewbot.reporters import get_reporter
from reviewbot.reporters.annotations import AnnotationsReporter

COMMAND = re.compile(r"^::(error|warning|notice)(?: ([^:]*))?::(.*)$")


def unescape(text: str) -> str:
    for escaped, raw in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
        text = text.replace(escaped, raw)
    return text


def parse(line: str) -> tuple[str, dict[str, str], str]:
    """A workflow command as the runner reads it: level, properties, message."""
    match = COMMAND.match(line)
    assert match, line
    props = {}
    for field in filter(None, (match.group(2) or "").split(",")):
        key, value = field.split("=", 1)
        props[key] = unescape(value)
    return match.group(1), props, unescape(match.group(3))


def render(result: ReviewResult) -> list[str]:
    text = AnnotationsReporter().render(result)
    assert text == "" or text.endswith("\n")
    return text.splitlines()


def test_registry_finds_github() -> None:
    assert isinstance(get_reporter("github"), AnnotationsReporter)


def test_one_command_a_finding_most_severe_first_then_problems() -> None:
    lines = render(full_result())
    parsed = [parse(line) for line in lines]
    assert [(level, props.get("title")) for level, props, _ in parsed] == [
        ("error", "critical: Hard-coded password"),
        ("error", "high: [bold]Unsafe[/bold] query"),
        ("warning", "medium: File is too long"),
        ("notice", "low: Name"),
        ("notice", "low: 缺少测试"),
        ("warning", "reviewbot: a chunk was not reviewed"),
        ("notice", "reviewbot: file not reviewed"),
    ]


def test_properties_per_anchor_kind() -> None:
    parsed = [parse(line) for line in render(full_result())]
    assert parsed[1][1] == {
        "file": "app.py",
        "line": "12",
        "endLine": "14",
        "title": "high: [bold]Unsafe[/bold] query",
    }
    assert parsed[0][1] == {
        "file": "src/my file.py",
        "line": "3",
        "title": "critical: Hard-coded password",
    }
    assert parsed[2][1] == {"file": "src/my file.py", "title": "medium: File is too long"}
    assert parsed[4][1] == {"title": "low: 缺少测试"}
    assert parsed[6][1] == {"file": "vendor/big.min.js", "title": "reviewbot: file not reviewed"}


def test_message_round_trips_with_body_and_suggestion() -> None:
    _, _, message = parse(render(full_result())[1])
    assert message == (
        f'{INJECTION_BODY}\n\nSuggested replacement:\nquery = "```"\nrun(query, (user_id,))'
    )


def test_model_text_cannot_start_another_workflow_command() -> None:
    finding = line_finding()
    finding.title = "t\n::add-mask::x,y:z"
    finding.body = "a\r\n::set-output name=x::1\n::stop-commands::token 100%"
    finding.path = "dir,odd:name.py"
    (line,) = render(ReviewResult(score=1, findings=[finding]))
    assert "\n" not in line and "\r" not in line
    level, props, message = parse(line)
    assert level == "error"
    assert props["title"] == "high: t ::add-mask::x,y:z"
    assert props["file"] == "dir,odd:name.py"
    assert message.startswith(finding.body)
    assert "file=dir%2Codd%3Aname.py" in line and "100%25" in line


def test_no_summary_when_every_annotation_is_shown() -> None:
    assert not any("in total" in line or "findings (" in line for line in render(full_result()))


def test_summary_notice_ends_the_output_when_errors_overflow() -> None:
    findings = [
        Finding(path="a.py", line=n, severity=Severity.HIGH, title=f"e{n}", body="b")
        for n in range(1, 13)
    ]
    lines = render(ReviewResult(score=2, findings=findings))
    assert len(lines) == 13
    level, props, message = parse(lines[-1])
    assert (level, props) == ("notice", {"title": "reviewbot"})
    assert message.startswith("reviewbot: 12 findings (12 high), score 2/10.")


def test_summary_notice_is_still_among_the_ten_notices_shown() -> None:
    findings = [
        Finding(path="a.py", line=n, severity=Severity.LOW, title=f"n{n}", body="b")
        for n in range(1, 15)
    ]
    lines = render(ReviewResult(score=7, findings=findings))
    notices = [parse(line) for line in lines]
    assert len(notices) == 15
    assert notices[9][1] == {"title": "reviewbot"}
    assert "14 findings (14 low)" in notices[9][2]


def test_empty_result_prints_nothing() -> None:
    assert AnnotationsReporter().render(empty_result()) == ""
