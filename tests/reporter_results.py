"""Review results shared by the reporter tests: every anchor kind and awkward text."""

from __future__ import annotations

from reviewbot.findings import FailedChunk, Finding, ReviewResult, Severity, SkippedFile, Stats

INJECTION_BODY = (
    "注意：这里有 SQL 注入。 Ask @octocat.\n"
    "<!-- hidden --> <img src=x onerror=alert(1)>\n"
    "::set-output name=x::pwned"
)
FENCED_SUGGESTION = 'query = "```"\nrun(query, (user_id,))'


def line_finding() -> Finding:
    return Finding(
        path="app.py",
        line=12,
        end_line=14,
        severity=Severity.HIGH,
        category="bug",
        title="[bold]Unsafe[/bold] query",
        body=INJECTION_BODY,
        suggestion=FENCED_SUGGESTION,
        code=['query = "SELECT " + user_id', "run(query)", "log(query)"],
    )


def full_result() -> ReviewResult:
    return ReviewResult(
        score=6,
        model="deepseek-chat",
        findings=[
            Finding(
                path=None,
                line=None,
                severity=Severity.LOW,
                title="缺少测试",
                body="没有为新的解析器添加测试。",
                anchor="general",
            ),
            line_finding(),
            Finding(
                path="src/my file.py",
                line=None,
                severity=Severity.MEDIUM,
                category="maintainability",
                title="File is too long",
                body="Split it.",
                anchor="file",
            ),
            Finding(
                path="src/my file.py",
                line=3,
                severity=Severity.CRITICAL,
                category="security",
                title="Hard-coded password",
                body="Read it from the environment.",
                suggestion='password = os.environ["DB_PASSWORD"]',
                code=['password = "hunter2"'],
            ),
            Finding(
                path="app.py",
                line=40,
                severity=Severity.LOW,
                category="style",
                title="Name",
                body="",
                context=True,
            ),
        ],
        stats=Stats(
            chunks=3,
            requests=4,
            prompt_tokens=12345,
            completion_tokens=678,
            failed_chunks=1,
            reasks=1,
            retries=2,
            estimated_cost=0.0123,
            currency="CNY",
            elapsed_seconds=12.34,
            changed_lines=150,
            reviewed_lines=120,
            skipped_lines=30,
        ),
        skipped_files=[
            SkippedFile(path="vendor/big.min.js", reason="generated file", changed_lines=1200)
        ],
        failed_chunks=[
            FailedChunk(index=2, paths=["lib/a.py", "lib/b.py"], reason="timeout after 3 retries")
        ],
    )


def empty_result() -> ReviewResult:
    return ReviewResult(score=None)
