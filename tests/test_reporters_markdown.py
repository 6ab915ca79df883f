from __future__ import annotations

import re

from reporter_results import FENCED_SUGGESTION, empty_result, full_result, line_finding

from reviewbot.findings import ReviewResult
from reviewbot.reporters import get_reporter
from reviewbot.reporters.markdown import MarkdownReporter, code_span, fence_for, neutralise

ZWJ = "\u200d"


def test_registry_finds_markdown() -> None:
    assert isinstance(get_reporter("markdown"), MarkdownReporter)


def test_report_has_score_counts_findings_by_file_and_problems() -> None:
    out = MarkdownReporter().render(full_result())
    head = "## reviewbot review\n\n**Score: 6/10** · 5 findings · model `deepseek-chat`\n"
    assert out.startswith(head)
    assert "| 🔴 critical | 1 |\n| 🟠 high | 1 |\n| 🟡 medium | 1 |\n| 🔵 low | 2 |" in out
    order = [
        out.index("### `app.py`"),
        out.index("#### 🟠 high · \\[bold\\]Unsafe\\[/bold\\] query\n\nline 12–14 · `bug`"),
        out.index("### `src/my file.py`"),
        out.index("#### 🟡 medium · File is too long\n\nwhole file · `maintainability`"),
        out.index("#### 🔴 critical · Hard-coded password\n\nline 3 · `security`"),
        out.index("### General"),
        out.index("#### 🔵 low · 缺少测试\n\n没有为新的解析器添加测试。"),
        out.index(
            "### Skipped files\n\n- `vendor/big.min.js` — generated file (1200 changed lines)\n\n"
            "### Failed chunks\n\n- chunk 3 (`lib/a.py`, `lib/b.py`) — timeout after 3 retries"
        ),
        out.index("<sub>3 chunks, 4 requests (2 retries, 1 re-ask), 12.3 s, 12,345 prompt"),
    ]
    assert order == sorted(order)


def test_suggestion_fence_is_longer_than_backticks_inside() -> None:
    out = MarkdownReporter().render(full_result())
    assert f"Suggested replacement:\n\n````\n{FENCED_SUGGESTION}\n````\n" in out
    assert fence_for("a ``````` b") == "````````"
    assert fence_for("plain") == "```"


def test_model_html_and_mentions_are_neutralised() -> None:
    out = MarkdownReporter().render(full_result())
    assert "<!--" not in out and "<img" not in out
    assert "&lt;!-- hidden --> &lt;img src=x onerror=alert(1)>" in out
    assert f"Ask @{ZWJ}octocat." in out
    assert re.search(r"@octocat", out) is None


def test_empty_result() -> None:
    out = MarkdownReporter().render(empty_result())
    assert "**Score: n/a** · 0 findings" in out
    assert "| Severity |" not in out and "###" not in out


def test_code_spans_stay_verbatim_and_escaped_backticks_do_not_open_one() -> None:
    assert neutralise("use `List<int>` not `@Override`") == "use `List<int>` not `@Override`"
    assert neutralise("a ``x`<b>`` c <i>") == "a ``x`<b>`` c &lt;i>"
    assert neutralise("\\`<b>\\`") == "\\`&lt;b>\\`"
    # A stray backtick is escaped, so it cannot pair with a code span further on.
    assert neutralise("unclosed ` <b> @team") == f"unclosed \\` &lt;b> @{ZWJ}team"


def test_a_code_span_cannot_hide_html_across_lines() -> None:
    assert neutralise("`a\n\n<!-- x -->\n\n`") == "\\`a\n\n&lt;!-- x -->\n\n\\`"


def test_mentions_of_users_and_teams_but_not_emails() -> None:
    assert neutralise("cc @alice, @org/team") == f"cc @{ZWJ}alice, @{ZWJ}org/team"
    assert neutralise("mail me@example.com") == "mail me@example.com"


def test_fenced_blocks_stay_verbatim_and_an_open_one_is_closed() -> None:
    closed = "```html\n<b>@x</b>\n```\nafter <i>"
    assert neutralise(closed) == "```html\n<b>@x</b>\n```\nafter &lt;i>"
    assert neutralise("~~~\n<!-- x") == "~~~\n<!-- x\n~~~"
    assert neutralise("````\n```\n<b>") == "````\n```\n<b>\n````"


def test_indented_fence_content_is_escaped_since_it_may_end_early() -> None:
    # In a list item the fence ends at the first unindented line, which Markdown then renders.
    assert neutralise("- item\n  ```\n<!-- x -->") == "- item\n  ```\n&lt;!-- x -->\n```"


def test_code_span_survives_backticks_in_paths() -> None:
    assert code_span("a b.py") == "`a b.py`"
    assert code_span("we`ird.py") == "``we`ird.py``"
    assert code_span("`edge`") == "`` `edge` ``"


def test_an_open_fence_in_a_body_does_not_swallow_the_report() -> None:
    finding = line_finding()
    finding.body = "Look:\n```python\nx = 1"
    out = MarkdownReporter().render(ReviewResult(score=3, findings=[finding]))
    assert "```python\nx = 1\n```\n\nSuggested replacement:" in out
