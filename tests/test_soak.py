"""Reviews under faults: a CI-sized soak run, and the deadline and retry rules on the CLI.

The full run is `python bench/soak.py --reviews 200 --seed 1 --fault-rate 0.3`.
"""

from __future__ import annotations

import email.utils
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from answers import content
from cli_run import run
from fake_openai import FAULT_KINDS, FakeOpenAI, Reply
from keys import TEST_KEY

from bench.soak import SoakOptions, make_diff, run_soak
from reviewbot.diffparse import parse_diff
from reviewbot.llm import Backoff, retry_after_seconds


def test_soak_ci_sized_run_loses_nothing_and_never_crashes() -> None:
    options = SoakOptions(reviews=20, seed=1, fault_rate=0.3)
    figures = run_soak(options)
    assert figures.problems == []
    assert figures.crashes == 0 and figures.lost_chunks == 0
    assert figures.reviews_completed == 20
    assert figures.chunks_reviewed + figures.chunks_failed == figures.chunks_planned > 20
    assert (
        figures.reviewed_lines + figures.failed_lines + figures.skipped_lines
        == figures.changed_lines
    )
    assert figures.reviewed_without_answer == 0 and figures.misplaced_findings == 0
    assert figures.secrets_in_output == 0 and figures.over_deadline == 0
    # (nearly) every kind of fault happened, and was retried or re-asked; which ones depends
    # on the request bodies, so a change to the prompts may shuffle them
    assert set(figures.faults) == set(FAULT_KINDS)
    assert sum(1 for n in figures.faults.values() if n) >= len(FAULT_KINDS) - 2
    assert figures.retries > 0 and figures.reasks > 0
    assert figures.requests_server == figures.requests_client
    assert figures.wall_seconds < 60


def test_soak_is_reproducible_by_seed() -> None:
    options = SoakOptions(reviews=4, seed=11, fault_rate=0.4, request_timeout=0.5)
    first, second = run_soak(options), run_soak(options)
    same = ("faults", "retries", "reasks", "chunks_planned", "chunks_failed", "requests_server")
    assert {k: getattr(first, k) for k in same} == {k: getattr(second, k) for k in same}
    assert first.faults_total > 0
    assert make_diff(11, 3) == make_diff(11, 3) != make_diff(12, 3)


def test_soak_diffs_exercise_the_skips() -> None:
    skipped = {reason for review in range(40) for reason in _skip_reasons(make_diff(1, review))}
    assert {"binary", "deleted", "path outside the repository"} <= skipped
    assert any("secrets" in r for r in skipped) and any("lock" in r for r in skipped)


def _skip_reasons(text: str) -> list[str]:
    from reviewbot.filters import FileFilter

    return [s.reason for s in FileFilter().split(parse_diff(text))[1]]


def test_soak_under_a_tight_deadline_reports_late_chunks_as_failed() -> None:
    options = SoakOptions(
        reviews=6,
        seed=2,
        fault_rate=0.6,
        deadline=1.5,
        hang_seconds=3.0,
        parallel=3,
        fault_kinds=("hang", "429-retry-after", "503"),
    )
    figures = run_soak(options)
    assert figures.problems == []
    assert figures.crashes == 0 and figures.lost_chunks == 0 and figures.over_deadline == 0
    assert figures.max_review_seconds < options.deadline + 1.5
    assert figures.failure_reasons.get("review deadline", 0) >= 1


# ---------------------------------------------------------------------- the CLI's clock


@pytest.fixture
def two_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.py").write_text("a = 1\n" * 150)
    (tmp_path / "b.py").write_text("b = 2\n" * 150)
    return ["a.py", "b.py", "--max-chunk-tokens", "2000", "--no-cache"]


def test_timeout_bounds_the_whole_review_in_a_real_process(
    model_server: FakeOpenAI, two_files: list[str]
) -> None:
    model_server.responder = lambda request: Reply(content=content(8), delay=20)
    env = {k: v for k, v in os.environ.items() if k != "REVIEWBOT_DEBUG"}
    env |= {
        "OPENAI_API_KEY": TEST_KEY,
        "OPENAI_BASE_URL": model_server.base_url,
        "REVIEWBOT_MODEL": "m",
    }
    deadline = ["--timeout", "2", "--request-timeout", "60"]
    begun = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "reviewbot", *two_files, "--format", "json", *deadline],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=30,
    )
    elapsed = time.monotonic() - begun
    assert elapsed < 8, elapsed  # the deadline, not the 20 s hang or the 60 s request timeout
    assert done.returncode == 3 and "Traceback" not in done.stderr
    assert "--timeout" in done.stderr
    data = json.loads(done.stdout)
    assert data["stats"]["failed_chunks"] == data["stats"]["chunks"] == 2


def test_request_timeout_applies_even_under_a_long_deadline(
    endpoint_env: FakeOpenAI, two_files: list[str]
) -> None:
    def responder(request):
        return Reply(content=content(5), delay=10 if "### a.py" in request.user else 0)

    endpoint_env.responder = responder
    begun = time.monotonic()
    result = run(
        *two_files,
        "--format",
        "json",
        "--timeout",
        "60",
        "--request-timeout",
        "0.5",
        "--max-retries",
        "1",
    )
    assert time.monotonic() - begun < 15
    data = json.loads(result.stdout)
    (failed,) = data["failed_chunks"]
    assert failed["paths"] == ["a.py"] and "timed out after 0.5s (1 retry)" in failed["reason"]
    assert data["stats"]["retries"] == 1


def test_retry_after_longer_than_the_deadline_fails_fast(
    endpoint_env: FakeOpenAI, two_files: list[str]
) -> None:
    endpoint_env.responder = lambda request: Reply(status=429, headers={"Retry-After": "30"})
    begun = time.monotonic()
    result = run(*two_files, "--format", "json", "--timeout", "5")
    assert time.monotonic() - begun < 4
    assert result.exit_code == 3 and "Traceback" not in result.output
    reasons = {f["reason"] for f in json.loads(result.stdout)["failed_chunks"]}
    assert reasons == {
        "rate limited (429): Rate limit reached for requests. Please try again "
        "in 1s.; no time left to retry before the review's --timeout"
    }
    assert len(endpoint_env.requests) == 2  # one attempt a chunk, no futile waits


def test_dropped_answers_are_retried_streaming_or_not(
    endpoint_env: FakeOpenAI, two_files: list[str]
) -> None:
    for stream in ("--stream", "--no-stream"):
        endpoint_env.reset_log()
        endpoint_env.script(
            Reply(content=content(6), cut_after=30),
            Reply(reset=True),
            Reply(content=content(6)),
            Reply(content=content(6)),
        )
        result = run(*two_files, "--format", "json", stream, "--concurrency", "1")
        assert result.exit_code == 0, result.output
        data = json.loads(result.stdout)
        assert data["stats"]["failed_chunks"] == 0 and data["score"] == 6
        assert data["stats"]["retries"] == 2 and data["stats"]["requests"] == 4


def test_error_event_mid_stream_is_retried(endpoint_env: FakeOpenAI, two_files: list[str]) -> None:
    # A provider that gives up mid-answer sends an error event; the SDK raises a bare APIError.
    endpoint_env.script(Reply(content='{"score": 6, "iss', stream_error="Model overloaded"))
    result = run(two_files[0], *two_files[2:], "--format", "json", "--stream")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["score"] == 8 and data["stats"]["retries"] == 1
    endpoint_env.responder = lambda request: Reply(content="", stream_error="Model overloaded")
    result = run(two_files[0], *two_files[2:], "--format", "json", "--stream", "--max-retries", "1")
    assert result.exit_code == 3 and "Traceback" not in result.output
    (failed,) = json.loads(result.stdout)["failed_chunks"]
    assert failed["reason"] == "error reported mid-stream: Model overloaded (1 retry)"


def test_on_error_pass_turns_an_unusable_endpoint_into_exit_0(
    endpoint_env: FakeOpenAI, two_files: list[str]
) -> None:
    endpoint_env.responder = lambda request: Reply(status=503)
    failing = run(*two_files, "--max-retries", "0")
    assert failing.exit_code == 3 and "server error 503" in failing.stderr
    passing = run(*two_files, "--max-retries", "0", "--on-error", "pass")
    assert passing.exit_code == 0
    assert "passing because --on-error pass" in passing.stderr
    assert "chunk 1 (a.py)" in passing.stdout and "server error 503" in passing.stdout


# ---------------------------------------------------------------------- the retry rules


def test_retry_after_header_forms() -> None:
    assert retry_after_seconds({"retry-after-ms": "250"}) == 0.25
    assert retry_after_seconds({"retry-after": "2"}) == 2.0
    assert retry_after_seconds({"retry-after": "1.5", "retry-after-ms": "100"}) == 0.1
    later = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 25 <= (retry_after_seconds({"retry-after": later}) or 0) <= 31
    past = email.utils.formatdate(time.time() - 30, usegmt=True)
    assert retry_after_seconds({"retry-after": past}) == 0.0
    assert retry_after_seconds({"retry-after": "soon"}) is None
    assert retry_after_seconds({}) is None and retry_after_seconds(None) is None


def test_backoff_doubles_to_its_cap_with_jitter_and_obeys_the_server() -> None:
    backoff = Backoff(base=0.5, cap=2.0)
    for retry, full in ((0, 0.5), (1, 1.0), (2, 2.0), (5, 2.0)):
        waits = [backoff.wait(retry, None) for _ in range(50)]
        assert all(0.75 * full <= w <= full for w in waits)
    assert backoff.wait(0, 7.0) == 7.0
    assert 0.375 <= backoff.wait(0, 0.0) <= 0.5  # "Retry-After: 0" means the usual backoff
