"""Bad input never produces a traceback: a one-line error (exit 2) or a skip with a note."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from answers import one_issue_per_file
from click.testing import CliRunner, Result
from fake_openai import FakeOpenAI
from keys import TEST_KEY

from reviewbot.cli import command

GOOD = (
    "diff --git a/app.py b/app.py\n--- a/app.py\n+++ b/app.py\n"
    "@@ -1,2 +1,3 @@\n def add(a, b):\n+    assert a\n     return a + b\n"
)


def run(*args: str, input: str | bytes | None = None) -> Result:
    result = CliRunner().invoke(command, list(args), input=input, catch_exceptions=False)
    assert "Traceback" not in result.output
    return result


def one_line_error(result: Result, *needles: str) -> None:
    """Exit 2 with exactly one line on stderr, prefixed and naming the problem."""
    assert result.exit_code == 2, (result.exit_code, result.output)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("reviewbot: ")
    for needle in needles:
        assert needle in lines[0]
    assert result.stdout == ""


# ---------------------------------------------------------------------- diffs


@pytest.mark.parametrize("text", ["", "\n\n", "   \n"])
def test_empty_diff_is_a_note_not_an_error(endpoint_env: FakeOpenAI, here: Path, text: str) -> None:
    (here / "empty.diff").write_text(text)
    for result in (run("--diff", "empty.diff"), run("--diff", "-", input=text)):
        assert result.exit_code == 0
        assert result.stderr.strip() == "reviewbot: nothing to review (the diff is empty)"
    assert endpoint_env.requests == []


@pytest.mark.parametrize(
    "text, needle",
    [
        ("hello world\nthis is not a diff\n", "not a unified diff"),
        ("@@ -1 +1 @@\n-a\n+b\n", "hunk without a file header"),
        ("--- a/x.py\n+++ b/x.py\n@@ -1,3 +1,3 @@\n-a\n+b\n", "ends inside a hunk"),
        ("\x00\x01\x02binary garbage\xff\n", ""),
    ],
    ids=["prose", "headless-hunk", "truncated-hunk", "garbage"],
)
def test_malformed_diff_is_one_line_exit_2(
    endpoint_env: FakeOpenAI, here: Path, text: str, needle: str
) -> None:
    (here / "bad.diff").write_bytes(text.encode("latin-1"))
    one_line_error(run("--diff", "bad.diff"), needle)
    assert endpoint_env.requests == []


def test_binary_only_diff_is_skipped_with_a_note(endpoint_env: FakeOpenAI, here: Path) -> None:
    (here / "bin.diff").write_text(
        "diff --git a/logo.png b/logo.png\nindex 1111111..2222222 100644\n"
        "Binary files a/logo.png and b/logo.png differ\n"
    )
    result = run("--diff", "bin.diff")
    assert result.exit_code == 0
    assert "nothing to send to the model (1 file skipped)" in result.stderr
    assert "logo.png — binary" in result.stdout
    assert endpoint_env.requests == []


def test_binary_file_argument_is_skipped_beside_a_text_one(
    endpoint_env: FakeOpenAI, here: Path
) -> None:
    (here / "blob.bin").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00" * 100)
    (here / "ok.py").write_text("x = 1\n")
    result = run("blob.bin", "ok.py", "--format", "json")
    assert result.exit_code == 0
    assert '"path": "blob.bin"' in result.stdout and '"reason": "binary"' in result.stdout
    (request,) = endpoint_env.review_requests
    assert "blob.bin" not in request.user and "ok.py" in request.user


@pytest.mark.parametrize(
    "encode",
    [
        lambda s: s.encode("latin-1"),
        lambda s: s.encode("utf-16"),  # with BOM, the way Windows tools write it
        lambda s: b"\xef\xbb\xbf" + s.encode("utf-8"),
        lambda s: s.replace("\n", "\r\n").encode("cp1252"),
    ],
    ids=["latin-1", "utf-16-bom", "utf-8-bom", "cp1252-crlf"],
)
def test_non_utf8_diffs_are_decoded(endpoint_env: FakeOpenAI, here: Path, encode) -> None:
    diff = GOOD.replace("assert a", "name = 'café naïve'")
    (here / "enc.diff").write_bytes(encode(diff))
    endpoint_env.responder = one_issue_per_file
    result = run("--diff", "enc.diff", "--format", "json")
    assert result.exit_code == 0, result.stderr
    (request,) = endpoint_env.review_requests
    assert "name = 'café naïve'" in request.user
    assert '"line": 2' in result.stdout


@pytest.mark.parametrize("encoding", ["latin-1", "utf-16"])
def test_non_utf8_files_are_decoded(endpoint_env: FakeOpenAI, here: Path, encoding: str) -> None:
    (here / "legacy.py").write_bytes("greeting = 'olá, señor'\n".encode(encoding))
    result = run("legacy.py")
    assert result.exit_code == 0, result.stderr
    assert "greeting = 'olá, señor'" in endpoint_env.requests[0].user


def test_50_mb_diff_fails_fast_on_the_size_limit(endpoint_env: FakeOpenAI, here: Path) -> None:
    block = GOOD.encode() * 1000
    with (here / "huge.diff").open("wb") as out:
        for _ in range(50 * 1024 * 1024 // len(block) + 1):
            out.write(block)
    assert (here / "huge.diff").stat().st_size > 50 * 1024 * 1024
    begun = time.monotonic()
    result = run("--diff", "huge.diff")
    assert time.monotonic() - begun < 5
    one_line_error(result, "over 32 MB", "--max-diff-mb")
    assert endpoint_env.requests == []


def test_1_mb_single_line_is_left_out_and_counted(endpoint_env: FakeOpenAI, here: Path) -> None:
    long_line = "blob = '" + "x" * (1024 * 1024) + "'"
    (here / "wide.diff").write_text(
        GOOD + "diff --git a/wide.py b/wide.py\n--- a/wide.py\n+++ b/wide.py\n"
        f"@@ -1,1 +1,2 @@\n a = 1\n+{long_line}\n"
    )
    begun = time.monotonic()
    result = run("--diff", "wide.diff", "--format", "json")
    assert time.monotonic() - begun < 20
    assert result.exit_code == 0, result.stderr
    (request,) = endpoint_env.review_requests
    assert "xxxxxxxx" not in request.user and "assert a" in request.user
    assert "wide.py" in result.stdout and "longer" in result.stdout
    assert '"skipped_lines": 1' in result.stdout


@pytest.mark.parametrize(
    "path", ["../../etc/passwd", "/etc/passwd", "src/../../outside.py", "C:/Windows/win.ini"]
)
def test_paths_outside_the_repository_are_never_sent(
    endpoint_env: FakeOpenAI, here: Path, path: str
) -> None:
    (here / "escape.diff").write_text(
        GOOD + f"diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n"
        "@@ -1,1 +1,2 @@\n root:x:0:0\n+evil:x:0:0:pwned\n"
    )
    result = run("--diff", "escape.diff")
    assert result.exit_code == 0, result.stderr
    assert f"{path} — path outside the repository" in result.stdout
    (request,) = endpoint_env.review_requests
    assert "pwned" not in request.user and "passwd" not in request.user


def test_rename_from_outside_the_repository_is_not_sent(
    endpoint_env: FakeOpenAI, here: Path
) -> None:
    (here / "rename.diff").write_text(
        GOOD + "diff --git a/../secret.py b/stolen.py\nsimilarity index 90%\n"
        "rename from ../secret.py\nrename to stolen.py\n--- a/../secret.py\n+++ b/stolen.py\n"
        "@@ -1,1 +1,2 @@\n TOKEN = 1\n+TOKEN_2 = 'pwned'\n"
    )
    result = run("--diff", "rename.diff")
    assert result.exit_code == 0, result.stderr
    assert "stolen.py — path outside the repository" in result.stdout
    assert all("pwned" not in r.user for r in endpoint_env.requests)


# ---------------------------------------------------------------------- arguments and config


@pytest.mark.parametrize(
    "args, needle",
    [
        (["missing.py"], "no such file: missing.py"),
        (["--diff", "missing.diff"], "diff file not found: missing.diff"),
        (["."], "is a directory"),
        (["app.py", "--provider", "nosuch"], "unknown provider 'nosuch'"),
        (["app.py", "--config", "nowhere.toml"], "config file not found"),
        (["app.py", "--concurrency", "0"], "concurrency"),
        (["--diff", "x.diff", "app.py"], "--diff cannot be combined"),
    ],
)
def test_bad_arguments_are_one_line_exit_2(
    endpoint_env: FakeOpenAI, here: Path, args: list[str], needle: str
) -> None:
    (here / "app.py").write_text("x = 1\n")
    one_line_error(run(*args), needle)
    assert endpoint_env.requests == []


@pytest.mark.parametrize(
    "args, needle",
    [
        (["app.py", "--fail-on", "sometimes"], "Invalid value for '--fail-on'"),
        (["--diff"], "Option '--diff' requires an argument"),
        (["app.py", "--timeout", "soon"], "Invalid value for '--timeout'"),
        (["app.py", "--format", "pdf"], "Invalid value for '--format'"),
    ],
)
def test_bad_flag_values_are_usage_errors(
    endpoint_env: FakeOpenAI, here: Path, args: list[str], needle: str
) -> None:
    (here / "app.py").write_text("x = 1\n")
    result = run(*args)
    assert result.exit_code == 2 and needle in result.stderr
    assert endpoint_env.requests == []


@pytest.mark.parametrize(
    "name, data, needle",
    [
        (".reviewbot.toml", b"provider = [\n", "is not valid TOML"),
        (".reviewbot.toml", b"nosuchkey = 1\n", "unknown key 'nosuchkey'"),
        (".reviewbot.toml", b'fail_on = "sometimes"\n', "fail_on"),
        (".reviewbot.toml", b'concurrency = "many"\n', "concurrency"),
        (".reviewbot.toml", b"\xff\xfe\x00bad", "cannot read config file"),
        ("pyproject.toml", b"[tool.reviewbot]\nbogus = true\n", "unknown key 'bogus'"),
        (
            ".reviewbot.toml",
            b'langauge = "zh"\n',
            "unknown key 'langauge' (did you mean 'language'?)",
        ),
        (
            "pyproject.toml",
            b"[tool.reviewbot]\nfail-on = 'high'\n",
            "unknown key 'fail-on' (did you mean 'fail_on'?)",
        ),
        (
            ".reviewbot.toml",
            b"[prices.my-model]\ninput = 1\noutptu = 2\n",
            "unknown key 'prices.my-model.outptu' (did you mean 'output'?)",
        ),
    ],
)
def test_unusable_config_is_one_line_exit_2(
    endpoint_env: FakeOpenAI, here: Path, name: str, data: bytes, needle: str
) -> None:
    (here / ".git").mkdir()  # the config search stops at the repository root
    (here / name).write_bytes(data)
    (here / "app.py").write_text("x = 1\n")
    one_line_error(run("app.py"), needle)
    assert endpoint_env.requests == []


def test_no_input_at_all_is_a_note(endpoint_env: FakeOpenAI, here: Path) -> None:
    result = run(input="")
    assert result.exit_code == 0 and "nothing to review" in result.stderr


def test_real_process_never_prints_a_traceback(model_server: FakeOpenAI, here: Path) -> None:
    (here / "bad.diff").write_text("@@ -1 +1 @@\n-a\n+b\n")
    (here / ".reviewbot.toml").write_text("nosuchkey = 1\n")
    env = {k: v for k, v in os.environ.items() if k != "REVIEWBOT_DEBUG"}
    env |= {"OPENAI_API_KEY": TEST_KEY, "OPENAI_BASE_URL": model_server.base_url}
    for args in (["--diff", "bad.diff", "--config", "/dev/null"], ["nope.py"], []):
        done = subprocess.run(
            [sys.executable, "-m", "reviewbot", *args],
            capture_output=True,
            text=True,
            env=env,
            check=False,
            stdin=subprocess.DEVNULL,
        )
        assert done.returncode in (0, 2), done.stderr
        assert "Traceback" not in done.stderr + done.stdout
        assert len(done.stderr.strip().splitlines()) == 1
    assert model_server.requests == []


def test_absolute_file_names_inside_the_directory_are_reviewed_outside_skipped(
    endpoint_env: FakeOpenAI, here: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    (here / "inside.py").write_text("inside = 1\n")
    elsewhere = tmp_path_factory.mktemp("elsewhere") / "outside.py"
    elsewhere.write_text("outside = 1\n")
    result = run(str(here / "inside.py"), str(elsewhere))
    assert result.exit_code == 0, result.stderr
    (request,) = endpoint_env.review_requests
    assert "### inside.py (added)" in request.user and "outside = 1" not in request.user
    assert f"{elsewhere.as_posix()} — path outside the repository" in result.stdout
