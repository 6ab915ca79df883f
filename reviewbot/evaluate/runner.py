"""Run the review pipeline on every case, under one or two configurations, and score it.

Cases run in parallel (each review keeps its own request concurrency). Every finished case
is appended to the result store at once, so an interrupted run loses only the cases in
flight; a re-run reviews only what is not finished. An endpoint error that no case can
survive (bad key, unknown model) stops the run: what is stored stays stored.
"""

from __future__ import annotations

import hashlib
import json
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from reviewbot.app import plan_review, resolve_endpoint, run_review
from reviewbot.change import Change
from reviewbot.config import Settings
from reviewbot.diffparse import DiffParseError
from reviewbot.errors import UnusableEndpoint, UserError
from reviewbot.evaluate.acquire import Acquirer, CaseDiff
from reviewbot.evaluate.dataset import Case, language_of
from reviewbot.evaluate.judge import Judge
from reviewbot.evaluate.metrics import UNKNOWN, summarize
from reviewbot.evaluate.scoring import ask_judge, score
from reviewbot.evaluate.store import CaseRecord, ResultStore
from reviewbot.findings import ReviewResult
from reviewbot.llm import Endpoint
from reviewbot.reporters.labels import plural
from reviewbot.sources import SourceError

Progress = Callable[[int, int], None]

# Settings that change how a review is carried out but not what it says: left out of the
# fingerprint, so a re-run with other limits still resumes.
_NOT_CONTENT = {
    "api_key",
    "concurrency",
    "max_retries",
    "request_timeout",
    "timeout",
    "max_tokens",
    "cache",
    "cache_dir",
    "fail_on",
    "on_error",
    "max_comments",
    "request_changes",
    "max_diff_mb",
    "price_input",
    "price_output",
    "prices",
}
# What --dry-run assumes a model answers per chunk, as `reviewbot --dry-run` does.
TYPICAL_ANSWER_TOKENS = 600


class RunStopped(UnusableEndpoint):
    """A review stopped on an endpoint error no case can survive (bad key, unknown model)."""


@dataclass(frozen=True)
class Configuration:
    """One way of running the pipeline: a name for the report and the settings."""

    name: str
    settings: Settings


@dataclass
class _Ready:
    case: Case
    change: Change
    language: str
    changed_lines: int


@dataclass
class _Run:
    config: Configuration
    endpoint: Endpoint
    key: str  # the fingerprint under which its records are stored


def _in_parallel(
    tasks: list[tuple[_Run, Case]],
    work: Callable[[_Run, Case], None],
    concurrency: int,
    stop: threading.Event,
) -> None:
    """Run the tasks on daemon threads: Ctrl-C returns at once, and what is stored stays."""
    pending: queue.Queue[tuple[_Run, Case]] = queue.Queue()
    for task in tasks:
        pending.put(task)

    def worker() -> None:
        while not stop.is_set():
            try:
                run, case = pending.get_nowait()
            except queue.Empty:
                return
            work(run, case)

    threads = [
        threading.Thread(target=worker, name="reviewbot-eval", daemon=True)
        for _ in range(max(1, min(concurrency, len(tasks))))
    ]
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            while thread.is_alive():
                thread.join(0.2)
    except BaseException:
        stop.set()
        raise


def prepare_case(case: Case, acquirer: Acquirer) -> _Ready | str:
    """The case's diff, parsed, with its language and size; or why it is skipped."""
    try:
        change = CaseDiff(case, acquirer).read()
    except DiffParseError as exc:
        return f"the diff does not parse: {exc}"
    except SourceError as exc:  # no clone, no commit, git failed
        return str(exc)
    diff = change.diff
    if not diff.files:
        return "the diff is empty"
    language = case.language or language_of([f.path for f in diff.files]) or UNKNOWN
    return _Ready(case, change, language, case.changed_lines or diff.changed_count)


def fingerprint(settings: Settings, endpoint: Endpoint) -> str:
    data = settings.model_dump(mode="json", exclude=_NOT_CONTENT)
    data["_endpoint"] = [endpoint.base_url, endpoint.model]
    digest = hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode())
    return digest.hexdigest()[:16]


def review_change(settings: Settings, change: Change) -> ReviewResult:
    """The pipeline, exactly as the `reviewbot` command runs it (`result.fatal` holds the
    endpoint error that stopped it, if one did)."""
    return run_review(plan_review(settings, change), settings)


def _incomplete(result: ReviewResult) -> str | None:
    failed = result.failed_chunks
    if not failed:
        return None
    reasons = sorted({f.reason for f in failed})
    of = plural(result.stats.chunks, "chunk")
    return f"{len(failed)} of {of} not reviewed: " + "; ".join(reasons[:2])


@dataclass
class Evaluation:
    cases: list[Case]
    configs: list[Configuration]
    store: ResultStore
    acquirer: Acquirer
    tolerance: int = 1
    judge_model: str | None = None
    concurrency: int = 2
    on_progress: Progress | None = None
    skipped: dict[str, str] = field(default_factory=dict)  # case id -> reason

    def _runs(self) -> list[_Run]:
        runs = []
        for config in self.configs:
            endpoint = resolve_endpoint(config.settings)
            runs.append(_Run(config, endpoint, fingerprint(config.settings, endpoint)))
        return runs

    def _prepare(self, case: Case) -> _Ready | None:
        ready = prepare_case(case, self.acquirer)
        if isinstance(ready, str):
            self.skipped[case.id] = ready
            return None
        return ready

    def run(self) -> dict[str, Any]:
        runs = self._runs()
        records = self.store.load()

        def finished(run: _Run, case: Case) -> bool:
            record = records.get((run.key, case.id))
            return record is not None and record.incomplete is None

        todo_cases = [c for c in self.cases if any(not finished(r, c) for r in runs)]
        ready = {}
        for case in todo_cases:
            prepared = self._prepare(case)
            if prepared is not None:
                ready[case.id] = prepared
        tasks: list[tuple[_Run, Case]] = []
        for run in runs:
            for case in self.cases:
                if not finished(run, case) and case.id in ready:
                    tasks.append((run, case))
                elif self.judge_model and (run.key, case.id) in records:
                    tasks.append((run, case))  # judge what an earlier run stored
        judges = self._judges(runs)
        stop = threading.Event()
        errors: list[UserError] = []
        done = [0]
        lock = threading.Lock()

        def work(run: _Run, case: Case) -> None:
            if stop.is_set():
                return
            try:
                record = records.get((run.key, case.id))
                if record is None or record.incomplete is not None:
                    record = self._review(run, ready[case.id])
                    self.store.append(record)
                    records[(run.key, case.id)] = record
                judge = judges.get(run.key)
                if judge is not None and ask_judge(record, case, self.tolerance, judge):
                    self.store.append(record)
            except UserError as exc:  # the endpoint, the prompts or the settings: stop the run
                with lock:
                    errors.append(exc)
                stop.set()
            finally:
                with lock:
                    done[0] += 1
                    if self.on_progress is not None:
                        self.on_progress(done[0], len(tasks))

        if self.on_progress is not None:
            self.on_progress(0, len(tasks))
        try:
            _in_parallel(tasks, work, self.concurrency, stop)
        finally:
            for judge in judges.values():
                judge.close()
        if errors:
            raise errors[0]
        return self._report(runs, records)

    def _judges(self, runs: list[_Run]) -> dict[str, Judge]:
        if not self.judge_model:
            return {}
        return {
            run.key: Judge(
                run.endpoint,
                self.judge_model,
                max_retries=run.config.settings.max_retries,
                request_timeout=run.config.settings.request_timeout,
            )
            for run in runs
        }

    def _review(self, run: _Run, ready: _Ready) -> CaseRecord:
        result = review_change(run.config.settings, ready.change)
        if result.fatal is not None:
            raise RunStopped(result.fatal)
        return CaseRecord(
            run=run.key,
            case=ready.case.id,
            language=ready.language,
            changed_lines=ready.changed_lines,
            findings=result.findings,
            stats=result.stats,
            incomplete=_incomplete(result),
        )

    def _report(
        self, runs: list[_Run], records: dict[tuple[str, str], CaseRecord]
    ) -> dict[str, Any]:
        per_run = {}
        for run in runs:
            scores = []
            skipped = []
            for case in self.cases:
                record = records.get((run.key, case.id))
                if record is not None:
                    scores.append(score(case, record, self.tolerance, bool(self.judge_model)))
                else:
                    reason = self.skipped.get(case.id, "not reviewed")
                    skipped.append({"id": case.id, "reason": reason})
            per_run[run.config.name] = {**summarize(scores), "skipped": skipped}
        return per_run


def plan_only(
    configs: list[Configuration], cases: list[Case], acquirer: Acquirer
) -> dict[str, Any]:
    """What a run would send, per configuration, without sending anything (--dry-run)."""
    ready: list[_Ready] = []
    skipped = []
    for case in cases:
        prepared = prepare_case(case, acquirer)
        if isinstance(prepared, str):
            skipped.append({"id": case.id, "reason": prepared})
        else:
            ready.append(prepared)
    out: dict[str, Any] = {}
    for config in configs:
        chunks = tokens = 0
        cost: float | None = None
        model = ""
        for item in ready:
            plan = plan_review(config.settings, item.change, need_key=False)
            model = plan.endpoint.model
            counts = plan.prompt_tokens()
            chunks += len(counts)
            tokens += sum(counts)
            if plan.prices is not None:
                answer = TYPICAL_ANSWER_TOKENS * len(counts)
                cost = (cost or 0.0) + plan.prices.cost(sum(counts), answer)
        out[config.name] = {
            "model": model,
            "cases": len(ready),
            "chunks": chunks,
            "prompt_tokens": tokens,
            "estimated_cost": cost,
        }
    return {"runs": out, "skipped": skipped}
