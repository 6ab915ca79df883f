"""What a terminal shows: the report at the terminal's width (100 columns when stdout is not a
terminal), and a progress bar that knows the number of chunks from the start."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest
from cli_run import run
from fake_openai import FakeOpenAI, Reply
from rich.cells import cell_len

LONG_BODY = "This sentence is long enough to need wrapping in any terminal. " * 6


def _answer_with_a_long_body() -> Reply:
    issue = {
        "path": "app.py",
        "line": 2,
        "end_line": None,
        "severity": "medium",
        "category": "bug",
        "title": "Long explanation",
        "body": LONG_BODY,
        "suggestion": None,
        "quote": "return a + b",
    }
    return Reply(content=json.dumps({"score": 7, "issues": [issue]}))


def _in_a_terminal(args: list[str], columns: int, env: dict[str, str]) -> str:
    """Run `reviewbot ARGS` with stdin and stdout on a pseudo-terminal COLUMNS wide."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    try:
        done = subprocess.Popen(
            [sys.executable, "-m", "reviewbot", *args],
            stdin=follower,
            stdout=follower,
            stderr=subprocess.PIPE,
            env=env,
        )
        os.close(follower)
        chunks = []
        while True:
            try:
                data = os.read(leader, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        _, err = done.communicate(timeout=60)
        assert done.returncode == 0, err.decode()
    finally:
        os.close(leader)
    return b"".join(chunks).decode("utf-8").replace("\r\n", "\n")


@pytest.mark.timeout(120)
def test_report_wraps_at_the_terminal_width(endpoint_env: FakeOpenAI, app_py: Path) -> None:
    endpoint_env.script(_answer_with_a_long_body())
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "FORCE_COLOR")}
    out = _in_a_terminal(["app.py", "--no-color"], 72, env)
    lines = out.splitlines()
    assert "Long explanation" in out
    assert max(cell_len(line) for line in lines) <= 72
    assert max(cell_len(line) for line in lines) > 60, "the width is used, not a narrow default"


def test_report_is_100_columns_when_not_a_terminal(endpoint_env: FakeOpenAI, app_py: Path) -> None:
    endpoint_env.script(_answer_with_a_long_body())
    result = run("app.py")
    assert result.exit_code == 0, result.stderr
    body_lines = [line for line in result.stdout.splitlines() if "sentence" in line]
    assert max(cell_len(line) for line in body_lines) <= 100
    assert max(cell_len(line) for line in body_lines) > 90


def test_progress_bar_shows_the_total_from_the_start_and_tokens_so_far(
    endpoint_env: FakeOpenAI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("a.py", "b.py"):
        (tmp_path / name).write_text("".join(f"value_{i} = compute({i})\n" for i in range(40)))
    endpoint_env.latency = lambda body: 1.0  # long enough for the bar to be drawn
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "FORCE_COLOR")}
    args = ["a.py", "b.py", "--max-chunk-tokens", "600", "--concurrency", "1"]
    try:
        done = subprocess.Popen(
            [sys.executable, "-m", "reviewbot", *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=follower,
            env=env,
        )
        os.close(follower)
        chunks = []
        while True:
            try:
                data = os.read(leader, 65536)
            except OSError:
                break
            if not data:
                break
            chunks.append(data)
        out, _ = done.communicate(timeout=60)
    finally:
        os.close(leader)
    assert done.returncode == 0
    assert b"Stats: 2 chunks, 2 requests" in out
    screen = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", b"".join(chunks).decode("utf-8", "replace"))
    assert re.search(r"reviewing .* 0/2 ", screen), "the total before the first answer"
    assert re.search(r"1/2 +[1-9][0-9,]* tokens", screen), "tokens spent after one chunk"
