from __future__ import annotations

import pytest
from reporter_results import empty_result, full_result, line_finding
from rich.cells import cell_len

from reviewbot.findings import FailedChunk, Finding, ReviewResult, Severity, Stats
from reviewbot.reporters import ReportOptions, get_reporter
from reviewbot.reporters.text import TextReporter


def render(result: ReviewResult, **options: object) -> str:
    return TextReporter(ReportOptions(**options)).render(result)  # type: ignore[arg-type]


def test_registry_finds_text() -> None:
    assert isinstance(get_reporter("text"), TextReporter)


def test_plain_output_has_no_ansi_even_when_the_environment_forces_colour(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    out = render(full_result(), color=False)
    assert "\x1b" not in out
    assert "[bold]Unsafe[/bold] query" in out


def test_colour_output_styles_severity_and_keeps_markup_literal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TERM", "xterm-256color")
    out = render(full_result(), color=True)
    assert "\x1b[" in out
    assert "[bold]Unsafe[/bold] query" in out


def test_summary_line_comes_first_then_files_by_worst_finding_then_stats() -> None:
    out = render(full_result())
    assert out.splitlines()[0] == (
        "Score 6/10 · 5 findings (1 critical, 1 high, 1 medium, 2 low) · 1 file skipped"
        " · 1 chunk failed"
    )
    # src/my file.py holds the critical finding, app.py the high one, General only a low one.
    order = [
        out.index("src/my file.py\n"),
        out.index("File is too long"),
        out.index("Hard-coded password"),
        out.index("app.py\n"),
        out.index("[bold]Unsafe[/bold] query"),
        out.index(" LOW  Name"),
        out.index("General\n"),
        out.index("缺少测试"),
        out.index("Score: 6/10"),
        out.index("Stats: "),
    ]
    assert order == sorted(order)


def test_a_critical_general_finding_comes_before_files_with_lesser_ones() -> None:
    result = full_result()
    result.findings[0].severity = Severity.CRITICAL  # the general one
    out = render(result)
    # Ties go to files: src/my file.py also has a critical finding; app.py's worst is high.
    assert out.index("src/my file.py\n") < out.index("General\n") < out.index("app.py\n")


def test_findings_within_a_file_go_by_line() -> None:
    findings = [
        Finding(path="a.py", line=line, severity=sev, title=f"at {line}", body="")
        for line, sev in ((30, Severity.CRITICAL), (5, Severity.LOW), (12, Severity.HIGH))
    ]
    out = render(ReviewResult(score=3, findings=findings))
    assert out.index("at 5") < out.index("at 12") < out.index("at 30")


def test_findings_on_context_lines_are_marked() -> None:
    out = render(full_result())
    assert "app.py:40  [context]  [style]" in out
    assert "app.py:12-14  [bug]" in out and out.count("[context]") == 1
    compact = render(full_result(), compact=True)
    assert "app.py:40: low: [context] Name" in compact.splitlines()


def test_finding_shows_location_body_numbered_code_and_suggestion() -> None:
    out = render(full_result())
    assert "app.py:12-14  [bug]" in out
    assert "src/my file.py:3  [security]" in out
    assert "注意：这里有 SQL 注入。 Ask @octocat." in out
    assert '12 │ query = "SELECT " + user_id\n  13 │ run(query)\n  14 │ log(query)' in out
    assert 'Suggested replacement:\n    + query = "```"\n    + run(query, (user_id,))' in out


def test_footer_lists_score_counts_stats_skipped_files_and_failed_chunks() -> None:
    out = render(full_result())
    footer = out[out.index("Score:") :]
    assert "Findings: 5 (1 critical, 1 high, 1 medium, 2 low)" in footer
    assert "Model: deepseek-chat" in footer
    assert "Stats: 3 chunks, 4 requests (2 retries, 1 re-ask), 12.3 s\n" in footer
    assert "Tokens: 12,345 prompt + 678 completion tokens, estimated cost ¥0.012\n" in footer
    assert "Reviewed 120 of 150 changed lines (30 skipped)" in footer
    assert "Skipped files (1):\n  vendor/big.min.js — generated file (1200 changed lines)" in footer
    assert "Failed chunks (1):\n  chunk 3 (lib/a.py, lib/b.py) — timeout after 3 retries" in footer


def test_empty_result_says_so_and_has_no_score() -> None:
    out = render(empty_result())
    assert "No findings." in out
    assert "Score: n/a   Findings: 0" in out
    assert "estimated cost" not in out
    assert "Skipped files" not in out and "Failed chunks" not in out


def test_lines_fit_the_width_with_wide_characters() -> None:
    result = full_result()
    result.findings[0].body = "很长的说明。" * 40
    out = render(result, width=60)
    assert max(cell_len(line) for line in out.splitlines()) <= 60
    assert all(line == line.rstrip() for line in out.splitlines())


def test_terminal_control_characters_from_the_model_are_made_visible() -> None:
    finding = line_finding()
    finding.title = "evil\x1b]0;pwned\x07 title"
    finding.body = "clear\x1b[2J screen\r\nnext line"
    out = render(ReviewResult(score=5, findings=[finding]), color=True)
    assert "\\x1b]0;pwned\\x07 title" in out
    assert "clear\\x1b[2J screen\n  next line" in out
    assert "\x1b]" not in out and "\x1b[2J" not in out and "\x07" not in out


def test_compact_is_one_line_a_finding_then_problems_then_summary() -> None:
    out = render(full_result(), compact=True, width=40)
    assert out.splitlines() == [
        "app.py:12: high: [bold]Unsafe[/bold] query — 注意：这里有 SQL 注入。 Ask @octocat.",
        "app.py:40: low: [context] Name",
        "src/my file.py: medium: File is too long — Split it.",
        "src/my file.py:3: critical: Hard-coded password — Read it from the environment.",
        "(general): low: 缺少测试 — 没有为新的解析器添加测试。",
        "vendor/big.min.js: skipped: generated file",
        "reviewbot: chunk 3 (lib/a.py, lib/b.py) — timeout after 3 retries",
        "reviewbot: 5 findings (1 critical, 1 high, 1 medium, 2 low), score 6/10, "
        "1 file skipped, 1 chunk failed",
    ]


def test_compact_collapses_multi_line_titles() -> None:
    finding = Finding(path="a.py", line=1, severity=Severity.LOW, title="two\nlines", body="\n\nb")
    out = render(ReviewResult(score=None, findings=[finding]), compact=True)
    assert out.splitlines()[0] == "a.py:1: low: two lines — b"


def test_counts_are_plural_only_when_more_than_one() -> None:
    result = ReviewResult(score=9, findings=[line_finding()])
    result.stats.chunks = 1
    result.stats.requests = 1
    result.stats.retries = 1
    out = render(result)
    assert out.splitlines()[0] == "Score 9/10 · 1 finding (1 high)"
    assert "Stats: 1 chunk, 1 request (1 retry), 0.0 s" in out
    assert "reviewbot: 1 finding (1 high), score 9/10" in render(result, compact=True)


def test_compact_empty_result() -> None:
    assert render(empty_result(), compact=True) == "reviewbot: no findings, score n/a\n"


def failed_run(chunks: int, failed: int) -> ReviewResult:
    return ReviewResult(
        score=None if failed == chunks else 8,
        stats=Stats(chunks=chunks, failed_chunks=failed, requests=chunks),
        failed_chunks=[
            FailedChunk(index=i, paths=[f"f{i}.py"], reason="could not reach 127.0.0.1:9")
            for i in range(failed)
        ],
    )


def test_a_review_that_could_not_run_never_reads_like_one_that_found_nothing() -> None:
    out = render(failed_run(2, 2))
    assert "No findings" not in out and "Score: n/a   Findings" not in out
    assert out.splitlines()[0] == (
        "Review failed: no chunk could be reviewed (could not reach 127.0.0.1:9)."
    )
    assert "Score: n/a   Review failed" in out
    assert "Failed chunks (2):" in out
    compact = render(failed_run(2, 2), compact=True)
    assert compact.splitlines()[-1] == (
        "reviewbot: review failed: no chunk could be reviewed (could not reach 127.0.0.1:9), "
        "2 chunks failed"
    )
    assert "no findings" not in compact


def test_some_chunks_failed_and_the_rest_found_nothing() -> None:
    out = render(failed_run(3, 1))
    assert "No findings in the chunks reviewed; 1 chunk of 3 failed." in out
    assert "Score: 8/10   Findings: 0" in out
