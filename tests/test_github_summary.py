"""The summary a pull request's author triages from: every finding as a linked row, most severe
first, the ones without an inline comment with their reason and line, rendered by GitHub's
Markdown engine; and in Chinese, none of reviewbot's own English left."""

from __future__ import annotations

import hashlib
import re

import pytest
from babel.messages.pofile import read_po
from markdown_html import parse, render
from test_i18n import LOCALE

from reviewbot.diffparse import parse_diff
from reviewbot.findings import FailedChunk, Finding, ReviewResult, Severity, SkippedFile, Stats
from reviewbot.github.comments import plan_comments
from reviewbot.github.pullsource import PullInfo
from reviewbot.github.summary import Resolved, SummaryContext, render_summary
from reviewbot.i18n import using

PULL = PullInfo(
    repo="octo/widgets",
    number=7,
    title="PR",
    html_url="https://github.example/octo/widgets/pull/7",
    repo_html_url="https://github.example/octo/widgets",
    head_sha="c99faa9" + "0" * 33,
    base_sha="b" * 40,
    is_fork=False,
)
DIFF = parse_diff(
    "diff --git a/api/users.py b/api/users.py\n--- a/api/users.py\n+++ b/api/users.py\n"
    "@@ -10,4 +10,6 @@\n a = 1\n-b = 2\n+q = 'SELECT ' + uid\n+run(q)\n+log(q)\n c = 3\n d = 4\n"
    "diff --git a/util.py b/util.py\n--- a/util.py\n+++ b/util.py\n"
    "@@ -1,2 +1,3 @@\n x = 1\n+y = 2\n z = 3\n"
)
LONG = ("第一段：重试没有退避。" * 20) + "\n\n" + ("第二段：细节。" * 80)


def finding(severity: Severity, title: str, path: str | None, line: int | None, **extra: object):
    fields: dict[str, object] = {
        "path": path,
        "line": line,
        "severity": severity,
        "title": title,
        "body": "说明。",
        "code": ["q"],
    }
    fields.update(extra)
    return Finding.model_validate(fields)


def result() -> ReviewResult:
    return ReviewResult(
        score=4,
        model="deepseek-chat",
        findings=[
            finding(Severity.CRITICAL, "SQL 注入", "api/users.py", 11, end_line=13),
            finding(
                Severity.CRITICAL,
                "令牌写进日志",
                "api/users.py",
                None,
                anchor="file",
                cited_line=16,
                body="第 16 行把令牌写进日志。\n\n![pixel](https://evil.example/t.png?pr=7)",
            ),
            finding(Severity.HIGH, "缺少权限检查", "util.py", 2),
            finding(Severity.MEDIUM, "整体：缺少测试", None, None, anchor="general", body=LONG),
            finding(Severity.LOW, "命名 | 不一致", "util.py", 2, code=["y"]),
            finding(Severity.LOW, "多余的空行", "api/users.py", 12, code=["run(q)"]),
        ],
        stats=Stats(
            prompt_tokens=2196,
            completion_tokens=1684,
            reviewed_files=5,
            reviewed_lines=156,
            changed_lines=160,
            estimated_cost=0.0123,
        ),
        skipped_files=[SkippedFile(path="logo.png", reason="二进制文件", changed_lines=0)],
        failed_chunks=[FailedChunk(index=1, paths=["big.py"], reason="超时", changed_lines=4)],
    )


def summary(language: str = "en", **extra: object) -> str:
    outcome = result()
    plan = plan_comments(outcome.findings, DIFF, set(), max_comments=10)
    with using(language):
        return render_summary(outcome, SummaryContext(PULL, plan, **extra))  # type: ignore[arg-type]


def diff_link(path: str, lines: str) -> str:
    return f"{PULL.html_url}/files#diff-{hashlib.sha256(path.encode()).hexdigest()}{lines}"


def test_every_finding_is_a_linked_row_most_severe_first() -> None:
    body = summary()
    page = parse(body)
    blob = f"{PULL.repo_html_url}/blob/{PULL.head_sha}"
    # Within a severity: by file, a file's own findings before its lines.
    assert page.links == [
        f"{blob}/api/users.py#L16",
        diff_link("api/users.py", "R11-R13"),
        diff_link("util.py", "R2"),
        diff_link("api/users.py", "R12"),
        diff_link("util.py", "R2"),
        f"{blob}/api/users.py#L16",
    ]
    html = render(body)
    order = [html.index(t) for t in ("令牌写进日志", "SQL 注入", "缺少权限检查", "整体：缺少测试")]
    assert order == sorted(order)
    assert html.count("<table>") == 4
    assert "<code>api/users.py#L11-L13</code>" in html and "<code>api/users.py#L16</code>" in html
    # The pipe in a title stays inside its cell.
    assert "<td>命名 | 不一致</td>" in html


def test_low_findings_and_files_not_reviewed_are_folded() -> None:
    html = render(summary())
    low = html[html.index("<details>") :]
    assert low.startswith("<details>\n<summary>🔵 Low · 2</summary>")
    assert "多余的空行" in low.split("</details>")[0]
    assert "多余的空行" not in html[: html.index("<details>")]
    files = html[html.rindex("<details>") :]
    assert "<summary>Files not reviewed · 2</summary>" in files
    assert "<code>logo.png</code> — 二进制文件" in files
    assert "<code>big.py</code> — the model request failed: 超时 (4 changed lines)" in files


def test_off_diff_and_general_findings_say_why_with_their_line_and_body() -> None:
    body = summary()
    assert "| 令牌写进日志 | [`api/users.py#L16`]" in body
    assert "below: line 16 is outside the diff |" in body
    section = body[body.index("### Not commented inline") :]
    html = render(section)
    assert "<strong>令牌写进日志</strong>" in html and "line 16 is outside the diff" in html
    assert "<p>第 16 行把令牌写进日志。</p>" in html, "title and body are separate"
    assert "about the change as a whole" in html
    # The model's image is text; its long body is folded after the first paragraph.
    assert "<img" not in html and "evil.example" in html
    general = html[html.index("整体：缺少测试") :]
    assert general.index("第一段") < general.index("<details>") < general.index("第二段")


def test_score_reason_and_one_plain_usage_line() -> None:
    body = summary()
    assert "**Score: 4/10** — 6 findings: 2 critical, 1 high, 1 medium, 2 low" in body
    assert "commit `c99faa9` · model `deepseek-chat` · 4 inline comments" in body
    assert body.rstrip().endswith(
        "reviewed 5 files, 156 changed lines, 2,196 + 1,684 tokens, ≈ 0.012"
    )
    assert "chunk" not in body and "request" not in body.replace("model request", "")


def test_resolved_findings_are_listed_with_their_thread() -> None:
    resolved = [Resolved(Severity.HIGH, "旧问题", "https://github.example/t/1", "d00d" * 10)]
    html = render(summary(resolved=resolved))
    assert "<h3>Resolved since the last review</h3>" in html
    assert (
        '🟠 high · <a href="https://github.example/t/1">旧问题</a> — addressed in <code>d00dd00'
        in html
    )


def test_refused_inline_comments_move_into_the_summary() -> None:
    body = summary(inline_refused="422 Unprocessable: line must be part of the diff")
    assert "0 inline comments" in body and "GitHub refused the inline comments (422" in body
    assert body.count("below: GitHub refused the inline comments") == 4


def english_pieces() -> set[str]:
    """The literal words of every `en` message (placeholders cut out), three letters or more."""
    with (LOCALE / "en" / "LC_MESSAGES" / "reviewbot.po").open("rb") as handle:
        catalog = read_po(handle)
    pieces: set[str] = set()
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in strings:
            for piece in re.split(r"\{\w*\}", text):
                if re.search(r"[A-Za-z]{3}", piece):
                    pieces.add(piece.strip(" :;,.()—·"))
    return pieces - {"reviewbot", "GitHub", "diff", "max-comments", "--max-tokens", "token"}


def test_chinese_summary_has_none_of_reviewbots_english() -> None:
    body = summary("zh", resolved=[Resolved(Severity.LOW, "旧", None, "d" * 40)])
    text = "".join(parse(body).text)
    assert "评分：4/10" in text and "严重" in text and "上次审查以来已解决" in text
    left = sorted(
        p for p in english_pieces() if re.search(rf"(?<![\w-]){re.escape(p)}(?![\w-])", text)
    )
    assert left == [], left


@pytest.mark.parametrize("language", ["en", "zh"])
def test_only_links_are_reviewbots_own(language: str) -> None:
    page = parse(summary(language))
    assert page.images == []
    assert page.links and all(link.startswith(PULL.repo_html_url + "/") for link in page.links)
