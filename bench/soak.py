"""Soak test: many reviews against the local model server with a share of requests faulted.

    python bench/soak.py --reviews 200 --seed 1 --fault-rate 0.3

Each review gets a generated diff (several files and hunks, plus files that must be skipped:
binary, deleted, secret-looking, lock files, a path outside the repository, an over-long
line) and runs through the same wiring as the CLI (`plan_review`, `run_review`) against
`FakeOpenAI`, whose `FaultInjector` turns a seeded share of requests into faults: 429 with and
without Retry-After, 500, 503, a reset connection, an answer cut off mid-body, a hang past the
request timeout, invalid JSON, schema-invalid JSON, `finish_reason: "length"` and empty
content. Everything is reproducible by seed: the diffs, the per-review knobs, and which request
gets which fault (decided from the request body, not from arrival order).

Checked for every review: it completes (no exception, every report format renders); every
planned chunk is either reviewed (and then the server really answered it) or listed as failed
with a reason, and the changed lines add up (reviewed + failed + skipped = changed); no finding
sits on a line that is not in the diff; the review ends within its deadline; the API key
(a canary) appears in no output. The figures are printed at the end; the exit status is 1 when
any check failed.
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import json
import random
import re
import sys
import tempfile
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from answers import issue, shown_files  # noqa: E402
from fake_openai import FAULT_KINDS, FakeOpenAI, FaultInjector, RecordedRequest, Reply  # noqa: E402

from reviewbot.app import plan_review, run_review  # noqa: E402
from reviewbot.change import Change  # noqa: E402
from reviewbot.config import load_settings  # noqa: E402
from reviewbot.diffparse import parse_diff  # noqa: E402
from reviewbot.findings import ReviewResult  # noqa: E402
from reviewbot.llm import Backoff  # noqa: E402
from reviewbot.reporters import FORMATS, ReportOptions, get_reporter  # noqa: E402

CANARY_KEY = "sk-SOAK-canary-" + hashlib.sha256(b"soak").hexdigest()[:24]
_BOUNDARY = re.compile(r"<<<DIFF ([0-9a-f]+)")


@dataclass(frozen=True)
class SoakOptions:
    reviews: int = 200
    seed: int = 1
    fault_rate: float = 0.3
    parallel: int = 4  # reviews in flight at once
    request_timeout: float = 1.0
    hang_seconds: float = 2.0  # a hang: past the request timeout
    deadline: float = 15.0  # --timeout of each review
    max_retries: int = 3
    max_reasks: int = 2
    max_retry_after: int = 1
    backoff_base: float = 0.05
    backoff_cap: float = 0.4
    fault_kinds: tuple[str, ...] = FAULT_KINDS


@dataclass
class SoakFigures:
    reviews: int = 0
    reviews_completed: int = 0
    chunks_planned: int = 0
    chunks_reviewed: int = 0
    chunks_failed: int = 0
    failed_lines: int = 0
    changed_lines: int = 0
    reviewed_lines: int = 0
    skipped_lines: int = 0
    requests_server: int = 0
    requests_client: int = 0
    faults: dict[str, int] = field(default_factory=dict)
    faults_total: int = 0
    retries: int = 0
    reasks: int = 0
    findings: int = 0
    crashes: int = 0
    lost_chunks: int = 0
    reviewed_without_answer: int = 0
    misplaced_findings: int = 0
    secrets_in_output: int = 0
    over_deadline: int = 0
    failure_reasons: dict[str, int] = field(default_factory=dict)
    max_review_seconds: float = 0.0
    wall_seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (
            self.crashes
            or self.lost_chunks
            or self.reviewed_without_answer
            or self.misplaced_findings
            or self.secrets_in_output
            or self.over_deadline
            or self.reviews_completed != self.reviews
        )


# ---------------------------------------------------------------------- generated diffs


def _code(rng: random.Random, tag: str, n: int) -> str:
    templates = (
        "value_{t}_{n} = compute({n}, retries={r})",
        "if item_{n} is None:  # {t}",
        "    return handler_{t}(payload, {r})",
        "result_{n}.append(parse(row[{r}]))",
        "logger.info('step {n} of {t}')",
        "total_{t} += price_{n} * {r}",
    )
    return rng.choice(templates).format(t=tag, n=n, r=rng.randint(0, 99))


def _hunks(rng: random.Random, tag: str, added_only: bool = False) -> tuple[list[str], int]:
    """Hunk lines for one file, and how many changed lines they hold."""
    out: list[str] = []
    changed = 0
    old_no = new_no = 1
    for _ in range(1 if added_only else rng.randint(1, 4)):
        gap = 0 if added_only else rng.randint(0, 40)
        old_no += gap
        new_no += gap
        context = [] if added_only else [_code(rng, tag, old_no + i) for i in range(3)]
        removed = [] if added_only else [_code(rng, tag, 500 + i) for i in range(rng.randint(0, 4))]
        count = rng.randint(1, 30) if not added_only else rng.randint(1, 60)
        added = [_code(rng, tag, new_no + i) for i in range(count)]
        if rng.random() < 0.05:
            added.append("blob = '" + "x" * 6000 + "'")  # longer than any chunk budget
        tail = [] if added_only else [_code(rng, tag, 900 + i) for i in range(2)]
        body = (
            [f" {c}" for c in context]
            + [f"-{c}" for c in removed]
            + [f"+{c}" for c in added]
            + [f" {c}" for c in tail]
        )
        old_len = len(context) + len(removed) + len(tail)
        new_len = len(context) + len(added) + len(tail)
        old_start = 0 if added_only else old_no
        out.append(f"@@ -{old_start},{old_len} +{new_no},{new_len} @@")
        out.extend(body)
        changed += len(removed) + len(added)
        old_no += old_len
        new_no += new_len
    return out, changed


def make_diff(seed: int, review: int) -> str:
    """A git diff of a few files, some of which must be skipped, reproducible by seed."""
    rng = random.Random(f"{seed}:{review}:diff")
    lines: list[str] = []
    for n in range(rng.randint(1, 6)):
        tag = f"r{review}f{n}"
        kind = rng.choices(
            ["modified", "added", "deleted", "binary", "secret", "lock", "outside"],
            weights=[62, 14, 5, 5, 5, 5, 4],
        )[0]
        path = f"pkg{review}/module_{n}.py"
        if kind == "binary":
            path = f"assets{review}/logo_{n}.png"
            lines += [
                f"diff --git a/{path} b/{path}",
                "index 1111111..2222222 100644",
                f"Binary files a/{path} and b/{path} differ",
            ]
            continue
        if kind == "secret":
            path = f"deploy{review}_{n}/.env"
        elif kind == "lock":
            path = f"app{review}_{n}/poetry.lock"
        elif kind == "outside":
            path = "../../etc/passwd"
        hunks, _ = _hunks(rng, tag, added_only=kind == "added")
        if kind == "deleted":
            removed = [_code(rng, tag, i) for i in range(rng.randint(1, 20))]
            lines += [
                f"diff --git a/{path} b/{path}",
                "deleted file mode 100644",
                "index 3333333..0000000",
                f"--- a/{path}",
                "+++ /dev/null",
                f"@@ -1,{len(removed)} +0,0 @@",
                *[f"-{c}" for c in removed],
            ]
            continue
        header = [f"diff --git a/{path} b/{path}"]
        if kind == "added":
            header += ["new file mode 100644", "index 0000000..4444444", "--- /dev/null"]
        else:
            header += ["index 5555555..6666666 100644", f"--- a/{path}"]
        header.append(f"+++ b/{path}")
        lines += header + hunks
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------- the model's answers


def soak_answer(request: RecordedRequest) -> Reply:
    """A valid review of what the prompt showed, with two issues anchoring must not place:
    a line the chunk does not have, and a path that is not in it."""
    files = shown_files(request.user or "")
    issues = [issue(path, lines[0][0], lines[0][1]) for path, lines in files.items() if lines]
    if files:
        first = next(iter(files))
        issues.append(issue(first, 99_999, "no such line", title="Imagined line"))
    issues.append(issue("imaginary/elsewhere.py", 3, "x", title="Imagined file"))
    return Reply(content=json.dumps({"score": 7, "issues": issues}))


class AnsweredLog:
    """Wraps the fault injector; remembers which prompts got a usable answer."""

    def __init__(self, injector: FaultInjector) -> None:
        self.injector = injector
        self.boundaries: set[str] = set()
        self._lock = threading.Lock()

    def __call__(self, request: RecordedRequest) -> Reply:
        reply = self.injector(request)
        usable = (
            reply.status == 200
            and not reply.reset
            and reply.cut_after is None
            and reply.delay < self.injector.hang_seconds
            and reply.finish_reason == "stop"
            and bool(reply.content)
            and _valid_answer(reply.content)
        )
        if usable:
            for message in request.messages:
                match = _BOUNDARY.search(str(message.get("content", "")))
                if match:
                    with self._lock:
                        self.boundaries.add(match.group(1))
        return reply


def _valid_answer(content: str | None) -> bool:
    try:
        data = json.loads(content or "")
    except ValueError:
        return False
    return isinstance(data, dict) and isinstance(data.get("score"), int) and data["score"] <= 10


# ---------------------------------------------------------------------- one review


@dataclass
class ReviewRecord:
    number: int
    seconds: float = 0.0
    result: ReviewResult | None = None
    crash: str | None = None
    problems: list[str] = field(default_factory=list)
    planned: int = 0
    reviewed: int = 0
    lost: int = 0
    reviewed_without_answer: int = 0
    misplaced: int = 0
    secrets: int = 0


def _knobs(seed: int, review: int) -> dict[str, Any]:
    rng = random.Random(f"{seed}:{review}:knobs")
    return {
        "max_chunk_tokens": rng.choice([300, 500, 800, 1500]),
        "concurrency": rng.choice([1, 2, 4]),
        "stream": rng.random() < 0.25,
    }


def run_one(
    number: int, options: SoakOptions, base_url: str, answered: AnsweredLog, workdir: Path
) -> ReviewRecord:
    record = ReviewRecord(number)
    started = time.monotonic()
    try:
        flags: dict[str, Any] = {
            "base_url": base_url,
            "api_key": CANARY_KEY,
            "model": "soak-model",
            "cache": False,
            # The review's own resilience: the self-check fails open and has its own tests
            # (tests/test_selfcheck.py), and its requests would blur the request accounting.
            "verify": False,
            "max_retries": options.max_retries,
            "max_reasks": options.max_reasks,
            "request_timeout": options.request_timeout,
            "timeout": options.deadline,
            **_knobs(options.seed, number),
        }
        settings = load_settings(flags, cwd=workdir)
        diff = parse_diff(make_diff(options.seed, number))
        plan = plan_review(settings, Change(diff))
        backoff = Backoff(base=options.backoff_base, cap=options.backoff_cap)
        result = run_review(plan, settings, backoff=backoff)
        record.seconds = time.monotonic() - started
        rendered = [get_reporter(fmt, ReportOptions(color=False)).render(result) for fmt in FORMATS]
        record.result = result
        _check(record, plan, diff, result, rendered, answered)
    except Exception:
        record.seconds = time.monotonic() - started
        record.crash = traceback.format_exc()
    return record


def _check(
    record: ReviewRecord,
    plan: Any,
    diff: Any,
    result: ReviewResult,
    rendered: list[str],
    answered: AnsweredLog,
) -> None:
    chunks = plan.prepared.plan.chunks
    stats = result.stats
    record.planned = len(chunks)
    failed = {f.index: f for f in result.failed_chunks}
    problems = record.problems
    if stats.chunks != len(chunks):
        problems.append(f"stats.chunks {stats.chunks} != planned {len(chunks)}")
    if len(failed) != len(result.failed_chunks) or not set(failed) <= set(range(len(chunks))):
        problems.append("failed chunk indexes are duplicated or out of range")
    reviewed_lines = 0
    for chunk in chunks:
        gone = failed.get(chunk.index)
        if gone is None:
            record.reviewed += 1
            reviewed_lines += chunk.changed_count
            boundary = _BOUNDARY.search(plan.renderer.user(chunk))
            if boundary is None or boundary.group(1) not in answered.boundaries:
                record.reviewed_without_answer += 1
            continue
        if not gone.reason.strip():
            problems.append(f"chunk {chunk.index} failed without a reason")
        if gone.changed_lines != chunk.changed_count or gone.paths != chunk.paths:
            problems.append(f"chunk {chunk.index}: failed entry does not match the plan")
        if gone.reason.startswith("internal error"):
            record.crash = f"internal error in chunk {chunk.index}: {gone.reason}"
    record.lost = len(chunks) - record.reviewed - len(failed)
    failed_lines = sum(f.changed_lines for f in result.failed_chunks)
    if stats.reviewed_lines != reviewed_lines:
        problems.append(f"reviewed_lines {stats.reviewed_lines} != {reviewed_lines}")
    accounted = stats.reviewed_lines + failed_lines + stats.skipped_lines
    if accounted != stats.changed_lines or stats.changed_lines != diff.changed_count:
        problems.append(
            f"lines do not add up: {stats.reviewed_lines} reviewed + {failed_lines} failed + "
            f"{stats.skipped_lines} skipped != {stats.changed_lines} changed"
        )
        record.lost = max(record.lost, 1)
    for finding in result.findings:
        if finding.anchor != "line":
            continue
        file = diff.file(finding.path or "")
        lines = file.new_side_lines() if file is not None else {}
        if finding.line not in lines or finding.title.startswith("Imagined"):
            record.misplaced += 1
    record.secrets = sum(text.count(CANARY_KEY) + text.count(CANARY_KEY[8:]) for text in rendered)


# ---------------------------------------------------------------------- the run


def run_soak(options: SoakOptions, progress: bool = False) -> SoakFigures:
    injector = FaultInjector(
        soak_answer,
        rate=options.fault_rate,
        seed=options.seed,
        kinds=options.fault_kinds,
        hang_seconds=options.hang_seconds,
        max_retry_after=options.max_retry_after,
    )
    answered = AnsweredLog(injector)
    figures = SoakFigures(reviews=options.reviews)
    thread_errors: list[str] = []
    previous_hook = threading.excepthook

    def hook(args: threading.ExceptHookArgs) -> None:
        thread_errors.append("".join(traceback.format_exception(args.exc_value)))

    threading.excepthook = hook
    began = time.monotonic()
    records: list[ReviewRecord] = []
    try:
        with (
            FakeOpenAI(api_key=CANARY_KEY, responder=answered) as server,
            tempfile.TemporaryDirectory() as workdir,
            ThreadPoolExecutor(max_workers=max(1, options.parallel)) as pool,
        ):
            futures = [
                pool.submit(run_one, n, options, server.base_url, answered, Path(workdir))
                for n in range(options.reviews)
            ]
            for done, future in enumerate(futures, 1):
                records.append(future.result())
                if progress and done % 10 == 0:
                    print(f"  {done}/{options.reviews} reviews", file=sys.stderr, flush=True)
            figures.requests_server = len(server.requests)
            server_errors = list(server.errors)
    finally:
        threading.excepthook = previous_hook
    figures.wall_seconds = round(time.monotonic() - began, 1)

    reasons: collections.Counter[str] = collections.Counter()
    for record in records:
        if record.crash is not None:
            figures.crashes += 1
            figures.problems.append(f"review {record.number}: {record.crash.strip()[-500:]}")
        figures.problems.extend(f"review {record.number}: {p}" for p in record.problems)
        result = record.result
        if result is None:
            continue
        figures.reviews_completed += 1
        stats = result.stats
        figures.chunks_planned += record.planned
        figures.chunks_reviewed += record.reviewed
        figures.chunks_failed += len(result.failed_chunks)
        figures.failed_lines += sum(f.changed_lines for f in result.failed_chunks)
        figures.changed_lines += stats.changed_lines
        figures.reviewed_lines += stats.reviewed_lines
        figures.skipped_lines += stats.skipped_lines
        figures.requests_client += stats.requests
        figures.retries += stats.retries
        figures.reasks += stats.reasks
        figures.findings += len(result.findings)
        figures.lost_chunks += record.lost
        figures.reviewed_without_answer += record.reviewed_without_answer
        figures.misplaced_findings += record.misplaced
        figures.secrets_in_output += record.secrets
        figures.max_review_seconds = max(figures.max_review_seconds, round(record.seconds, 2))
        if record.seconds > options.deadline + 2.0:
            figures.over_deadline += 1
        for failed in result.failed_chunks:
            reasons[_reason_kind(failed.reason)] += 1
    figures.crashes += len(server_errors) + len(thread_errors)
    figures.problems.extend(f"fake server responder raised {e!r}" for e in server_errors)
    figures.problems.extend(f"thread died: {e.strip()[-500:]}" for e in thread_errors)
    figures.faults = {kind: injector.injected.get(kind, 0) for kind in options.fault_kinds}
    figures.faults_total = sum(injector.injected.values())
    figures.failure_reasons = dict(reasons.most_common())
    return figures


def _reason_kind(reason: str) -> str:
    for needle, kind in (
        ("--timeout", "review deadline"),
        ("no valid answer", "invalid answers after re-asks"),
        ("timed out", "request timeouts after retries"),
        ("rate limited", "429 after retries"),
        ("server error", "5xx after retries"),
        ("could not reach", "connection errors after retries"),
        ("internal error", "internal error (crash)"),
    ):
        if needle in reason:
            return kind
    return reason[:60]


def format_figures(figures: SoakFigures, options: SoakOptions) -> str:
    faults = ", ".join(f"{kind} {count}" for kind, count in figures.faults.items())
    reasons = ", ".join(f"{k} {v}" for k, v in figures.failure_reasons.items()) or "none"
    rows = [
        ("seed / fault rate", f"{options.seed} / {options.fault_rate:.0%}"),
        ("reviews completed", f"{figures.reviews_completed} of {figures.reviews}"),
        ("chunks planned", figures.chunks_planned),
        ("  reviewed", figures.chunks_reviewed),
        ("  failed (reported)", f"{figures.chunks_failed} ({figures.failed_lines} lines)"),
        ("  lost", figures.lost_chunks),
        ("changed lines", figures.changed_lines),
        (
            "  reviewed/failed/skipped",
            f"{figures.reviewed_lines}/{figures.failed_lines}/{figures.skipped_lines}",
        ),
        ("requests (server / client)", f"{figures.requests_server} / {figures.requests_client}"),
        ("faults injected", f"{figures.faults_total}: {faults}"),
        ("retries", figures.retries),
        ("re-asks", figures.reasks),
        ("failure reasons", reasons),
        ("findings", figures.findings),
        ("misplaced findings", figures.misplaced_findings),
        ("reviewed without an answer", figures.reviewed_without_answer),
        ("crashes", figures.crashes),
        ("secrets found in output", figures.secrets_in_output),
        ("reviews over deadline", f"{figures.over_deadline} (deadline {options.deadline:g}s)"),
        ("slowest review", f"{figures.max_review_seconds:.2f}s"),
        ("wall time", f"{figures.wall_seconds:.1f}s"),
    ]
    width = max(len(label) for label, _ in rows)
    out = [f"{label:<{width}}  {value}" for label, value in rows]
    out.append("result: " + ("OK" if figures.ok else "FAILED"))
    out.extend(f"  problem: {p}" for p in figures.problems[:20])
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    defaults = SoakOptions()
    parser.add_argument("--reviews", type=int, default=defaults.reviews)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--fault-rate", type=float, default=defaults.fault_rate)
    parser.add_argument(
        "--parallel", type=int, default=defaults.parallel, help="reviews in flight at once"
    )
    parser.add_argument("--request-timeout", type=float, default=defaults.request_timeout)
    parser.add_argument("--hang-seconds", type=float, default=defaults.hang_seconds)
    parser.add_argument(
        "--deadline", type=float, default=defaults.deadline, help="--timeout of each review"
    )
    parser.add_argument("--max-retries", type=int, default=defaults.max_retries)
    parser.add_argument("--max-reasks", type=int, default=defaults.max_reasks)
    parser.add_argument(
        "--faults",
        default=",".join(FAULT_KINDS),
        help=f"comma-separated fault kinds (default all: {','.join(FAULT_KINDS)})",
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    options = SoakOptions(
        reviews=args.reviews,
        seed=args.seed,
        fault_rate=args.fault_rate,
        parallel=args.parallel,
        request_timeout=args.request_timeout,
        hang_seconds=args.hang_seconds,
        deadline=args.deadline,
        max_retries=args.max_retries,
        max_reasks=args.max_reasks,
        fault_kinds=tuple(k.strip() for k in args.faults.split(",") if k.strip()),
    )
    figures = run_soak(options, progress=not args.json)
    if args.json:
        print(json.dumps(asdict(figures) | {"ok": figures.ok}, indent=2))
    else:
        print(format_figures(figures, options))
    return 0 if figures.ok else 1


if __name__ == "__main__":
    sys.exit(main())
