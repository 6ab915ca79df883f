"""A pull request reviewed, then a push that fixes two findings and adds one, then a re-run: the
Action end to end against the fake GitHub and model, asserting on the posted bodies."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from answers import content, issue, shown_files
from fake_github import FakeGitHub
from fake_openai import FakeOpenAI, RecordedRequest, Reply
from github_env import REPO, TOKEN, make_change, run_action
from gitrepo import GitRepo
from keys import TEST_KEY
from markdown_html import parse, render
from test_github_summary import english_pieces

# What the model "finds": a pattern in an added line → severity and title (model text).
RULES = {
    "eval(": ("critical", "eval 执行了用户输入"),
    "PASSWORD =": ("critical", "硬编码的密码"),
    "md5(": ("high", "用了弱哈希 md5"),
    "except:": ("medium", "裸 except 吞掉了错误"),
    "print(": ("low", "遗留的调试输出"),
    "pickle.loads(": ("high", "反序列化不可信数据"),
}
BASE = {f"{name}.py": "".join(f"V{i} = {i}\n" for i in range(30)) for name in "abcde"}


def added(text: str, line: int, code: str) -> str:
    lines = text.splitlines(keepends=True)
    lines.insert(line - 1, code + "\n")
    return "".join(lines)


HEAD = {
    "a.py": added(BASE["a.py"], 5, "value = eval(request_body)"),
    "b.py": added(BASE["b.py"], 8, "PASSWORD = 'hunter2'"),
    "c.py": added(BASE["c.py"], 3, "digest = hashlib.md5(data)"),
    "d.py": added(BASE["d.py"], 10, "try:\n    run()\nexcept:\n    pass"),
    "e.py": added(BASE["e.py"], 20, "print(secret_value)"),
}


def answer(request: RecordedRequest) -> Reply:
    found: list[dict[str, Any]] = []
    for path, lines in shown_files(request.user).items():
        for line, code in lines:
            for pattern, (severity, title) in RULES.items():
                if pattern in code:
                    found.append(issue(path, line, code, severity=severity, title=title))
        if path == "a.py":  # cited outside the diff
            found.append(
                issue(path, 28, "V26 = 26", severity="medium", title="常量没有文档", quote=None)
            )
    return Reply(content=content(4, found))


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with FakeGitHub(tokens={TOKEN: "write"}) as server:
        yield server


@pytest.fixture
def model() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(api_key=TEST_KEY) as server:
        server.responder = answer
        yield server


def summary_of(github: FakeGitHub) -> dict[str, Any]:
    [summary] = [r for r in github.reviews if "<!-- reviewbot:summary -->" in (r["body"] or "")]
    return summary


def push_fixes(tmp_path: Path, github: FakeGitHub, base: str) -> str:
    """Fix the eval and the md5 findings, add a pickle.loads one; returns the new head."""
    repo = GitRepo(tmp_path / "repo")
    repo.write("a.py", repo.read("a.py").replace("eval(request_body)", "json.loads(request_body)"))
    repo.write("c.py", repo.read("c.py").replace("hashlib.md5(data)", "hashlib.sha256(data)"))
    repo.write("e.py", repo.read("e.py") + "obj = pickle.loads(blob)\n")
    repo.commit("fix eval and md5")
    head = repo.run("rev-parse", "HEAD").strip()
    github.push(REPO, 7, repo.diff_commits(base, "HEAD"), head_sha=head)
    return head


def review_three_times(
    tmp_path: Path, github: FakeGitHub, model: FakeOpenAI, inputs: dict[str, str]
) -> str:
    diff, base = make_change(tmp_path / "repo", BASE, HEAD)
    github.add_pull(REPO, 7, diff)
    first = run_action(tmp_path / "run1", github, model, 7, inputs=inputs)
    assert first.returncode == 0, first.stdout + first.stderr
    head = push_fixes(tmp_path, github, base)
    for n in (2, 3):  # the second re-run, on the same commit, must change nothing
        run = run_action(tmp_path / f"run{n}", github, model, 7, inputs=inputs)
        assert run.returncode == 0, run.stdout + run.stderr
        assert github.rejected == [] and github.server_errors == []
    return head


def diff_link(path: str, line: int) -> str:
    digest = hashlib.sha256(path.encode()).hexdigest()
    return f"/pull/7/files#diff-{digest}R{line}"


def test_first_summary_lists_every_finding_with_a_line_link(
    tmp_path: Path, github: FakeGitHub, model: FakeOpenAI
) -> None:
    diff, _ = make_change(tmp_path / "repo", BASE, HEAD)
    github.add_pull(REPO, 7, diff)
    run = run_action(tmp_path / "run1", github, model, 7)
    assert run.returncode == 0, run.stdout + run.stderr
    body = summary_of(github)["body"]
    page = parse(body)
    for path, line in (("a.py", 5), ("b.py", 8), ("c.py", 3), ("d.py", 12), ("e.py", 20)):
        assert any(link.endswith(diff_link(path, line)) for link in page.links), (path, line)
    sha = github.pull(REPO, 7).head_sha
    assert f"/blob/{sha}/a.py#L28" in body
    assert "| 常量没有文档 | [`a.py#L28`]" in body and "below: line 28 is outside the diff" in body
    assert "<summary>🔵 Low · 1</summary>" in body


def test_a_push_that_fixes_two_findings_is_answered_on_their_threads(
    tmp_path: Path, github: FakeGitHub, model: FakeOpenAI
) -> None:
    head = review_three_times(tmp_path, github, model, {})
    roots = [c for c in github.review_comments if "in_reply_to_id" not in c]
    replies = [c for c in github.review_comments if "in_reply_to_id" in c]
    by_title = {
        t: c for c in roots for t in ("eval 执行了用户输入", "用了弱哈希 md5") if t in c["body"]
    }
    assert sorted(r["in_reply_to_id"] for r in replies) == sorted(
        c["id"] for c in by_title.values()
    ), "one reply on each fixed finding's thread, none repeated by the third run"
    for reply in replies:
        assert reply["body"].startswith(f"Addressed in `{head[:7]}`.")
    summary = summary_of(github)["body"]
    resolved = summary[summary.index("### Resolved since the last review") :]
    for title, comment in by_title.items():
        assert f"[{title}]({comment['html_url']}) — addressed in `{head[:7]}`" in resolved
    # Findings still standing stay listed; the fixed ones are no longer rows.
    table = summary[: summary.index("### Resolved since the last review")]
    assert "硬编码的密码" in table and "eval 执行了用户输入" not in table
    assert "inline, since an earlier commit" in table
    # The replies are reviews too on GitHub (empty bodies); the follow-up is the one with text.
    [followup] = [r for r in github.reviews if r["body"] and r is not summary_of(github)]
    text = followup["body"]
    assert text.startswith(f"reviewbot: 1 new finding on `{head[:7]}`")
    assert re.search(r"- 🟠 high · \*\*反序列化不可信数据\*\* · \[`e\.py#L32`\]\(.*R32\)", text)
    assert "- ✅ 2 earlier findings addressed" in text and summary_of(github)["html_url"] in text
    html = render(summary)
    assert "<h3>Resolved since the last review</h3>" in html
    # Earlier comments are read from the list, not fetched one by one.
    assert not [r for r in github.requests if r.method == "GET" and "/pulls/comments/" in r.path]


def test_in_chinese_no_english_of_reviewbots_own_reaches_github(
    tmp_path: Path, github: FakeGitHub, model: FakeOpenAI
) -> None:
    head = review_three_times(tmp_path, github, model, {"language": "zh"})
    bodies = [r["body"] for r in github.reviews] + [c["body"] for c in github.review_comments]
    pieces = english_pieces()
    for body in bodies:
        text = "".join(parse(body).text)
        left = [p for p in pieces if re.search(rf"(?<![\w-]){re.escape(p)}(?![\w-])", text)]
        assert left == [], (left, body[:300])
    summary = summary_of(github)["body"]
    assert "上次审查以来已解决" in summary and "评分：4/10" in summary
    replies = [c["body"] for c in github.review_comments if "in_reply_to_id" in c]
    assert len(replies) == 2 and all(r.startswith(f"已在 `{head[:7]}` 中修复") for r in replies)
    assert any("严重" in c["body"] for c in github.review_comments)
