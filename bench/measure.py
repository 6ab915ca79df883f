"""Local CPU time and peak memory of preparing a review, without model calls.

`python -m bench.measure cpu DIFF_FILE` prints the best-of-N CPU seconds of four tasks run in
turns: `reviewbot` (parse + filter + chunk + render every prompt, as a review does before its
first request), `tokens` (only the token counting inside chunking), `unidiff` (bare
`unidiff.PatchSet(text)`) and `floor` (what every reviewer pays: a bare unidiff parse plus one
token count of the whole diff). `python -m bench.measure reviewbot|unidiff|floor DIFF_FILE`
prints the peak memory of one task; run it in a fresh process per task, so that the peak RSS
is that task's alone.
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from unidiff.patch import PatchSet

from reviewbot.app import plan_review, token_counter
from reviewbot.change import Change
from reviewbot.config import load_settings
from reviewbot.diffparse import parse_diff
from reviewbot.hunktext import format_hunk


def reviewbot_task(model: str) -> Callable[[str], object]:
    settings = load_settings({"model": model, "api_key": "bench", "cache": False})
    # Load the tokenizer's vocabulary up front: a one-time cost per process, not per diff.
    warm = plan_review(settings, Change(parse_diff("--- a/x\n+++ b/x\n@@ -0,0 +1 @@\n+x\n")))
    warm.counter.count("warm up")

    def task(text: str) -> object:
        plan = plan_review(settings, Change(parse_diff(text)), need_key=False)
        return [plan.renderer.messages(chunk) for chunk in plan.prepared.plan.chunks]

    return task


def tokens_task(model: str, text: str) -> Callable[[str], object]:
    """Only counting the tokens of every numbered hunk text once, as chunking must for exact
    budgets (the texts are made before the clock starts)."""
    settings = load_settings({"model": model, "api_key": "bench", "cache": False})
    counter = token_counter(settings, model)
    counter.count("warm up")
    texts = [format_hunk(hunk) for file in parse_diff(text).files for hunk in file.hunks]
    return lambda _: counter.count_many(texts)


def unidiff_task(text: str) -> object:
    return PatchSet(text)


def floor_task(model: str) -> Callable[[str], object]:
    """A bare unidiff parse plus one token count of the diff: the least any reviewer does."""
    settings = load_settings({"model": model, "api_key": "bench", "cache": False})
    counter = token_counter(settings, model)
    counter.count("warm up")

    def task(text: str) -> object:
        return PatchSet(text), counter.count(text)

    return task


def _status_mb(field: str) -> float | None:
    """A memory figure of /proc/self/status (Linux), in MiB."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _reset_peak() -> None:
    """Make the peak RSS the current RSS (Linux' clear_refs), where the kernel allows it."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
            refs.write("5")
    except OSError:
        pass


def _max_rss_mb() -> float:
    """Peak RSS of this process image: VmHWM, not ru_maxrss, which counts the parent's
    memory when it was forked."""
    peak = _status_mb("VmHWM")
    if peak is not None:
        return peak
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def cpu_seconds(
    tasks: dict[str, Callable[[str], object]], text: str, repeats: int
) -> dict[str, float]:
    """Best-of-`repeats` CPU seconds of each task, the tasks taking turns: a machine busy with
    other work then slows them alike, and their ratios hold."""
    times: dict[str, list[float]] = {name: [] for name in tasks}
    for _ in range(repeats):
        for name, task in tasks.items():
            gc.collect()
            started = time.process_time()
            task(text)
            times[name].append(time.process_time() - started)
    return {name: min(spent) for name, spent in times.items()}


def memory(task: Callable[[str], object], text: str) -> dict[str, float]:
    """Peak RSS of one run (its growth, and the whole process with the interpreter, libraries
    and vocabulary), and the tracemalloc peak of another."""
    gc.collect()
    _reset_peak()
    rss_before = _max_rss_mb()
    result = task(text)
    rss_total = _max_rss_mb()
    del result
    gc.collect()
    tracemalloc.start()
    result = task(text)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del result
    return {
        "rss_peak_mb": round(rss_total - rss_before, 1),
        "rss_total_peak_mb": round(rss_total, 1),
        "traced_peak_mb": round(traced_peak / 2**20, 1),
    }


def tasks(model: str, text: str) -> dict[str, Callable[[str], object]]:
    return {
        "reviewbot": reviewbot_task(model),
        "tokens": tokens_task(model, text),
        "unidiff": unidiff_task,
        "floor": floor_task(model),
    }


MEMORY_TASKS: dict[str, Callable[[str], Callable[[str], object]]] = {
    "reviewbot": reviewbot_task,
    "unidiff": lambda _model: unidiff_task,
    "floor": floor_task,
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("what", choices=("cpu", *MEMORY_TASKS))
    parser.add_argument("diff_file", type=Path)
    parser.add_argument("--model", default="gpt-4o-mini")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    text = args.diff_file.read_text(encoding="utf-8")
    out: dict[str, Any]
    if args.what == "cpu":
        out = cpu_seconds(tasks(args.model, text), text, args.repeats)
    else:  # only this task is made: nothing else's memory for it to reuse
        out = memory(MEMORY_TASKS[args.what](args.model), text)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
