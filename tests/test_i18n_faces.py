"""`language: zh` in every face besides GitHub's bodies: the terminal report, the hook's lines,
the markdown report and the workflow annotations carry none of reviewbot's own English."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from answers import content, issue, shown_files
from cli_run import run
from fake_openai import FakeOpenAI, RecordedRequest, Reply
from test_github_summary import english_pieces

from reviewbot.findings import FailedChunk, Finding, ReviewResult, Severity, SkippedFile, Stats
from reviewbot.i18n import using
from reviewbot.reporters import ReportOptions, get_reporter


def english_left(text: str) -> list[str]:
    """The catalogue's English phrases in `text`, leaving out what is not words for people:
    workflow command properties, the command to type and the threshold the user set."""
    text = re.sub(r"\b(file|line|endLine|title)=", "", text)
    text = text.replace("SKIP=reviewbot git commit", "").replace("“high”", "")
    return sorted(
        p for p in english_pieces() if re.search(rf"(?<![\w-]){re.escape(p)}(?![\w-])", text)
    )


def chinese_result() -> ReviewResult:
    """Every part a report can show; the model's words are Chinese, as under `language: zh`."""
    return ReviewResult(
        score=5,
        model="deepseek-chat",
        findings=[
            Finding(
                path="app.py",
                line=3,
                end_line=4,
                severity=Severity.HIGH,
                title="除以零",
                body="b 可能为 0。",
                suggestion="return a / b if b else 0",
                code=["return a / b", "pass"],
            ),
            Finding(
                path="app.py",
                line=None,
                severity=Severity.MEDIUM,
                title="文件太长",
                body="拆分。",
                anchor="file",
                cited_line=90,
            ),
            Finding(
                path=None,
                line=None,
                severity=Severity.LOW,
                title="缺少测试",
                body="",
                suggestion="",
                anchor="general",
            ),
        ],
        stats=Stats(
            chunks=2,
            requests=3,
            retries=1,
            reasks=1,
            cached_chunks=1,
            prompt_tokens=1200,
            completion_tokens=300,
            estimated_cost=0.002,
            elapsed_seconds=1.5,
            changed_lines=40,
            reviewed_lines=30,
            skipped_lines=10,
        ),
        skipped_files=[SkippedFile(path="yarn.lock", reason="锁文件", changed_lines=10)],
        failed_chunks=[FailedChunk(index=1, paths=["b.py"], reason="超时", changed_lines=3)],
    )


@pytest.mark.parametrize(
    "fmt, compact", [("text", False), ("text", True), ("markdown", False), ("github", False)]
)
def test_reports_in_chinese_have_no_english_of_their_own(fmt: str, compact: bool) -> None:
    with using("zh"):
        out = get_reporter(fmt, ReportOptions(compact=compact)).render(chinese_result())
    assert english_left(out) == [], out
    assert re.search(r"[\u4e00-\u9fff]", out)
    with using("en"):  # and the English report is still English
        english = get_reporter(fmt, ReportOptions(compact=compact)).render(chinese_result())
    assert english_left(english)


def test_the_hook_speaks_chinese_from_the_first_line_to_the_last(
    endpoint_env: FakeOpenAI, app_py: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def answer(request: RecordedRequest) -> Reply:
        [(path, lines)] = shown_files(request.user or "").items()
        return Reply(
            content=content(
                6,
                [issue(path, lines[0][0], lines[0][1], title="参数没有校验", body="请检查输入。")],
            )
        )

    endpoint_env.responder = answer
    monkeypatch.setenv("PRE_COMMIT", "1")
    result = run("app.py", "--language", "zh")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == "app.py:1: 高: 参数没有校验 — 请检查输入。"
    assert lines[-1].startswith("reviewbot: 1 个问题（高 1），评分 6/10")
    assert "已阻止本次提交" in result.stderr
    assert english_left(result.stdout + result.stderr) == []
