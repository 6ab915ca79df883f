"""Reviews against the local model server: reviewbot's, and the naive one-request-per-file one.

The server is tests/fake_openai.py's FakeOpenAI on 127.0.0.1, answering after a simulated
latency of `base + per_1k * prompt_tokens / 1000` seconds (its `linear_latency`).
"""

from __future__ import annotations

import heapq
import json
import re
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openai
from unidiff.patch import PatchSet

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from answers import issue, shown_files
from fake_openai import FakeOpenAI, RecordedRequest, Reply, linear_latency

from reviewbot.app import plan_review, run_review
from reviewbot.change import Change
from reviewbot.config import load_settings
from reviewbot.diffparse import parse_diff
from reviewbot.tokens import TokenCounter

API_KEY = "sk-bench-0123456789abcdef"
NAIVE_SYSTEM = (
    "You are a code reviewer. Review this patch and answer in JSON: "
    '{"score": 1-10, "issues": [{"line", "severity", "title", "body"}]}'
)


@dataclass(frozen=True)
class Latency:
    base: float = 0.5
    per_1k: float = 0.05

    def function(self) -> Callable[[dict[str, Any]], float]:
        return linear_latency(self.base, self.per_1k)


def one_finding(request: RecordedRequest) -> Reply:
    """A review with one finding, on the first added line the prompt showed (if any)."""
    issues = [
        issue(path, lines[0][0], lines[0][1])
        for path, lines in shown_files(request.user or "").items()
        if lines
    ][:1]
    return Reply(content=json.dumps({"score": 7, "issues": issues}))


def server(latency: Latency) -> FakeOpenAI:
    return FakeOpenAI(api_key=API_KEY, latency=latency.function(), responder=one_finding)


# ------------------------------------------------------------------------- scheduling


def makespan(durations: list[float], workers: int) -> float:
    """Greedy list scheduling in submission order on `workers` workers: when the last ends."""
    free = [0.0] * max(1, workers)
    for duration in durations:
        heapq.heapreplace(free, free[0] + duration)
    return max(free)


def simulated_latencies(requests: list[RecordedRequest], latency: Latency) -> list[float]:
    """Each request's simulated server latency, in the order the server received them."""
    compute = latency.function()
    return [compute(r.body) for r in sorted(requests, key=lambda r: r.started)]


# ------------------------------------------------------------------------- coverage


@dataclass
class Coverage:
    expected: int
    shown: int
    repeated: int
    missing: list[str] = field(default_factory=list)

    @property
    def percent(self) -> float:
        return 100.0 * self.shown / self.expected if self.expected else 100.0


def added_lines(diff_text: str) -> set[tuple[str, int]]:
    """(path, new line number) of every added line, as unidiff (not reviewbot) reads the diff."""
    return {
        (patched.path, line.target_line_no)
        for patched in PatchSet(diff_text)
        for hunk in patched
        for line in hunk
        if line.is_added and line.target_line_no is not None
    }


def coverage(diff_text: str, requests: list[RecordedRequest]) -> Coverage:
    """Which added lines of the diff the model was shown, parsed from the prompts it got."""
    shown: Counter[tuple[str, int]] = Counter()
    for request in requests:
        for path, lines in shown_files(request.user or "").items():
            shown.update((path, number) for number, _ in lines)
    expected = added_lines(diff_text)
    missing = sorted(expected - shown.keys())
    return Coverage(
        expected=len(expected),
        shown=len(expected) - len(missing),
        repeated=sum(n - 1 for key, n in shown.items() if key in expected),
        missing=[f"{path}:{number}" for path, number in missing[:10]],
    )


# ------------------------------------------------------------------------- reviewbot


@dataclass
class OurRun:
    wall_seconds: float
    ideal_seconds: float
    lower_bound_seconds: float
    chunk_budget: int
    chunks: int
    requests: int
    prompt_tokens: int
    completion_tokens: int
    findings: int
    failed_chunks: int
    skipped_files: int
    max_concurrent: int
    coverage: Coverage


def _counted_prompt_tokens(requests: list[RecordedRequest], counter: TokenCounter) -> int:
    return sum(counter.count(r.system or "") + counter.count(r.user or "") for r in requests)


def review(
    diff_text: str, latency: Latency, concurrency: int, model: str
) -> tuple[OurRun, TokenCounter]:
    """reviewbot's review of the diff through its Python API (app.plan_review, run_review)."""
    with server(latency) as fake, tempfile.TemporaryDirectory() as cwd:
        overrides = {
            "base_url": fake.base_url,
            "api_key": API_KEY,
            "model": model,
            "cache": False,
            "concurrency": concurrency,
            "verify": False,  # the review's own cost; the self-check's: bench/verify_cost.py
        }
        settings = load_settings(overrides, cwd=Path(cwd))
        started = time.perf_counter()
        plan = plan_review(settings, Change(parse_diff(diff_text)))
        result = run_review(plan, settings)
        wall = time.perf_counter() - started
        if result.fatal:
            raise RuntimeError(f"the review failed: {result.fatal}")
        requests = list(fake.requests)
        latencies = simulated_latencies(requests, latency)
        run = OurRun(
            wall_seconds=wall,
            ideal_seconds=makespan(latencies, concurrency),
            lower_bound_seconds=max(sum(latencies) / concurrency, max(latencies, default=0.0)),
            chunk_budget=plan.prepared.plan.budget,
            chunks=len(plan.prepared.plan.chunks),
            requests=len(requests),
            prompt_tokens=_counted_prompt_tokens(requests, plan.counter),
            completion_tokens=result.stats.completion_tokens,
            findings=len(result.findings),
            failed_chunks=len(result.failed_chunks),
            skipped_files=len(result.skipped_files),
            max_concurrent=fake.max_concurrent,
            coverage=coverage(diff_text, requests),
        )
        return run, plan.counter


# ------------------------------------------------------------------------- naive baseline


@dataclass
class NaiveRun:
    wall_seconds: float
    requests: int
    files: int


def file_patches(diff_text: str) -> list[str]:
    """The diff cut into one patch per file (at each `diff --git` line)."""
    return [p for p in re.split(r"(?m)^(?=diff --git )", diff_text) if p.strip()]


def naive_review(diff_text: str, latency: Latency, model: str) -> NaiveRun:
    """One chat completion per file, the file's patch as the prompt, one after another."""
    patches = file_patches(diff_text)
    with server(latency) as fake:
        client = openai.OpenAI(api_key=API_KEY, base_url=fake.base_url, max_retries=0)
        started = time.perf_counter()
        for patch in patches:
            client.chat.completions.create(
                model=model,
                messages=[
                    {"role": "system", "content": NAIVE_SYSTEM},
                    {"role": "user", "content": patch},
                ],
            )
        wall = time.perf_counter() - started
        client.close()
        return NaiveRun(wall_seconds=wall, requests=len(fake.requests), files=len(patches))
