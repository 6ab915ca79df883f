"""What the self-check costs (issue 10): `python bench/verify_cost.py [--lines 1000]`.

A generated change of at least 1,000 changed lines is reviewed twice against the local model
server with simulated latency, without and with the self-check (cache off). The model finds
about one problem per 50 changed lines it is shown, on those lines; the self-check drops the
findings titled as noise (one in four). Printed, not a timed test:

* verification prompt tokens / review prompt tokens (target: at most 25%);
* the wall time the self-check adds, against the slowest single model call (target: at most
  one call);
* how many findings the self-check dropped.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # `python bench/verify_cost.py` from a checkout
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.gen import generate_diff
from bench.live import API_KEY, Latency, simulated_latencies

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from answers import issue, shown_files
from fake_openai import FakeOpenAI, RecordedRequest, Reply

from reviewbot.app import plan_review, run_review
from reviewbot.change import Change
from reviewbot.config import load_settings
from reviewbot.diffparse import parse_diff

# One finding per 40 added lines shown: about one per 50 changed lines, removals included.
LINES_PER_FINDING = 40
NOISE_EVERY = 4  # every 4th finding is noise the self-check should drop


def findings_per_50_lines(request: RecordedRequest) -> Reply:
    """One finding per 40 added lines shown, on those lines; every 4th titled as noise."""
    shown = [
        (path, n, code)
        for path, lines in shown_files(request.user or "").items()
        for n, code in lines
    ]
    issues = []
    for index, (path, number, code) in enumerate(
        shown[LINES_PER_FINDING // 2 :: LINES_PER_FINDING]
    ):
        noise = index % NOISE_EVERY == NOISE_EVERY - 1
        issues.append(
            issue(
                path,
                number,
                code,
                title=f"{'Noise' if noise else 'Bug'} at {path}:{number}",
                body="The value can be None here and the call below fails; check it first.",
                severity="medium" if noise else "high",
                suggestion=code.strip() + "  # checked" if index % 3 == 0 else None,
            )
        )
    return Reply(content=json.dumps({"score": 6, "issues": issues}))


def drop_noise(request: RecordedRequest) -> Reply:
    verdicts = [
        {
            "id": f["id"],
            "keep": not str(f.get("title", "")).startswith("Noise"),
            "severity": None,
            "reason": "not a real problem"
            if str(f.get("title", "")).startswith("Noise")
            else "real",
        }
        for f in request.verify_findings()
    ]
    return Reply(content=json.dumps({"verdicts": verdicts}))


@dataclass
class Run:
    verify: bool
    wall_seconds: float
    review_requests: int
    verify_requests: int
    review_prompt_tokens: int
    verify_prompt_tokens: int
    findings: int
    rejected: int
    unverified: int
    slowest_call_seconds: float
    slowest_verify_call_seconds: float


def one_run(diff_text: str, latency: Latency, concurrency: int, verify: bool) -> Run:
    with (
        FakeOpenAI(
            api_key=API_KEY, latency=latency.function(), responder=findings_per_50_lines
        ) as fake,
        tempfile.TemporaryDirectory() as cwd,
    ):
        fake.verify_responder = drop_noise
        settings = load_settings(
            {
                "base_url": fake.base_url,
                "api_key": API_KEY,
                "model": "gpt-4o-mini",
                "cache": False,
                "concurrency": concurrency,
                "verify": verify,
            },
            cwd=Path(cwd),
        )
        started = time.perf_counter()
        plan = plan_review(settings, Change(parse_diff(diff_text)))
        result = run_review(plan, settings)
        wall = time.perf_counter() - started
        if result.fatal:
            raise RuntimeError(f"the review failed: {result.fatal}")
        stats = result.stats
        return Run(
            verify=verify,
            wall_seconds=round(wall, 3),
            review_requests=len(fake.review_requests),
            verify_requests=len(fake.verify_requests),
            review_prompt_tokens=stats.prompt_tokens,
            verify_prompt_tokens=stats.verify_prompt_tokens,
            findings=len(result.findings),
            rejected=stats.rejected,
            unverified=stats.unverified,
            slowest_call_seconds=round(max(simulated_latencies(fake.requests, latency)), 3),
            slowest_verify_call_seconds=round(
                max(simulated_latencies(fake.verify_requests, latency), default=0.0), 3
            ),
        )


def best(runs: list[Run]) -> Run:
    return min(runs, key=lambda r: r.wall_seconds)


def measure(lines: int, latency: Latency, concurrency: int, repeats: int) -> dict[str, Any]:
    diff_text = generate_diff(lines, max(1, lines // 25))
    changed = parse_diff(diff_text).changed_count
    one_run(generate_diff(10, 1), Latency(0.0, 0.0), 1, verify=True)  # warm up: imports, vocab
    off = best([one_run(diff_text, latency, concurrency, verify=False) for _ in range(repeats)])
    on = best([one_run(diff_text, latency, concurrency, verify=True) for _ in range(repeats)])
    ratio = on.verify_prompt_tokens / max(on.review_prompt_tokens, 1)
    added = on.wall_seconds - off.wall_seconds
    return {
        "changed_lines": changed,
        "changed_lines_per_finding": round(changed / max(off.findings, 1), 1),
        "without": asdict(off),
        "with": asdict(on),
        "verify_token_ratio": round(ratio, 4),
        "added_wall_seconds": round(added, 3),
        "one_call_seconds": on.slowest_call_seconds,
        "token_target_met": ratio <= 0.25,
        "wall_target_met": added <= on.slowest_call_seconds,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000, help="added lines (default 1000)")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--latency-base", type=float, default=0.5)
    parser.add_argument("--latency-per-1k", type=float, default=0.05)
    parser.add_argument("--repeats", type=int, default=3, help="wall time: best of this many")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    latency = Latency(args.latency_base, args.latency_per_1k)
    figures = measure(args.lines, latency, args.concurrency, args.repeats)
    on, off = figures["with"], figures["without"]
    print(
        f"changed lines: {figures['changed_lines']:,}, one finding per "
        f"{figures['changed_lines_per_finding']} changed lines"
    )
    print(
        f"review: {off['review_requests']} requests, {on['review_prompt_tokens']:,} prompt tokens; "
        f"{off['findings']} findings without the self-check"
    )
    print(
        f"self-check: {on['verify_requests']} requests, {on['verify_prompt_tokens']:,} prompt "
        f"tokens = {figures['verify_token_ratio']:.1%} of the review's (target <= 25%: "
        f"{'met' if figures['token_target_met'] else 'MISSED'})"
    )
    print(
        f"wall: {off['wall_seconds']:.2f} s -> {on['wall_seconds']:.2f} s, "
        f"+{figures['added_wall_seconds']:.2f} s; slowest single call "
        f"{figures['one_call_seconds']:.2f} s, slowest self-check call "
        f"{on['slowest_verify_call_seconds']:.2f} s (target: at most one call: "
        f"{'met' if figures['wall_target_met'] else 'MISSED'})"
    )
    print(
        f"dropped by the self-check: {on['rejected']} of {off['findings']} findings "
        f"({on['unverified']} unverified); {on['findings']} shown"
    )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
