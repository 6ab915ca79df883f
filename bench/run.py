"""The reviewbot benchmark (GitHub issue 5): `python bench/run.py [--sizes 10,100,...]`.

For each case, a generated change is turned into real `git diff` output and reviewed by
reviewbot against a local OpenAI-compatible server with simulated latency; the same diff is
reviewed by a naive one-request-per-file loop (small cases only), and prepared without model
calls in a subprocess to measure CPU time and memory against bare `unidiff` parsing and against
the floor every reviewer pays (a bare unidiff parse plus one token count of the diff).
Prints a table, writes JSON (`--json`), and says which targets were met.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # `python bench/run.py` from a checkout
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.gen import generate_diff
from bench.live import Latency, naive_review, review

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SIZES = (10, 100, 1_000, 10_000, 100_000)


@dataclass(frozen=True)
class Case:
    name: str
    added: int
    files: int


@dataclass(frozen=True)
class Options:
    concurrency: int = 4
    model: str = "gpt-4o-mini"
    latency: Latency = field(default_factory=Latency)
    naive_max: int = 1_000
    repeats: int = 5
    local: bool = True
    seed: int = 5


def files_for(added: int) -> int:
    """How many files a change of `added` lines spreads over: 1 to 2,000."""
    return max(1, min(2_000, added // 25))


def cases(sizes: list[int], pr50_lines: int) -> list[Case]:
    out = [Case(f"{size:,} lines", size, files_for(size)) for size in sizes]
    if pr50_lines:
        out.append(Case("50-file PR", pr50_lines, 50))
    return out


def _measure(*args: str) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "bench.measure", *args]
    done = subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT, env=env)
    result: dict[str, float] = json.loads(done.stdout)
    return result


def local_cost(diff_file: Path, options: Options) -> dict[str, Any]:
    """CPU time and peak memory of preparing the review, of bare unidiff and of the floor
    (unidiff plus one token count of the diff), in subprocesses."""
    common = [str(diff_file), "--model", options.model, "--repeats", str(options.repeats)]
    cpu = _measure("cpu", *common)
    local: dict[str, Any] = {name: {"cpu_seconds": seconds} for name, seconds in cpu.items()}
    for name in ("reviewbot", "unidiff", "floor"):
        local[name].update(_measure(name, *common))
    for figures in local.values():
        figures["cpu_ms"] = round(figures["cpu_seconds"] * 1000, 1)
    local["cpu_ratio"] = ratio(cpu["reviewbot"], cpu["unidiff"])
    local["floor_ratio"] = ratio(cpu["reviewbot"], cpu["floor"])
    local["tokens_ratio"] = ratio(cpu["tokens"], cpu["unidiff"])
    return local


def ratio(a: float, b: float) -> float | None:
    return round(a / b, 3) if b else None


def run_case(case: Case, options: Options, workdir: Path) -> dict[str, Any]:
    diff_text = generate_diff(case.added, case.files, seed=options.seed)
    ours, counter = review(diff_text, options.latency, options.concurrency, options.model)
    diff_tokens = counter.count(diff_text)
    row: dict[str, Any] = {
        "case": case.name,
        "files": case.files,
        "added_lines": ours.coverage.expected,
        "diff_bytes": len(diff_text.encode()),
        "diff_tokens": diff_tokens,
        **asdict(ours),
        "coverage_percent": round(ours.coverage.percent, 3),
        "wall_to_ideal": ratio(ours.wall_seconds, ours.ideal_seconds),
        "prompt_to_diff_tokens": ratio(ours.prompt_tokens, diff_tokens),
    }
    if case.added <= options.naive_max or case.name == "50-file PR":
        naive = naive_review(diff_text, options.latency, options.model)
        row["naive"] = asdict(naive)
        row["naive_speedup"] = ratio(naive.wall_seconds, ours.wall_seconds)
    if options.local:
        diff_file = workdir / f"{case.added}-{case.files}.diff"
        diff_file.write_text(diff_text, encoding="utf-8")
        row["local"] = local_cost(diff_file, options)
    return row


# ------------------------------------------------------------------------- targets


def targets(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each target of issue 5 with whether this run met it and the figures behind that."""

    def check(name: str, pairs: list[tuple[str, bool, str]]) -> dict[str, Any]:
        return {
            "target": name,
            "met": all(ok for _, ok, _ in pairs) if pairs else None,
            "detail": "; ".join(f"{case}: {text}" for case, _, text in pairs) or "not measured",
        }

    sized = [r for r in rows if r["case"] != "50-file PR"]
    local = [r for r in sized if "local" in r]
    biggest = max(local, key=lambda r: r["added_lines"], default=None)
    pr50 = [r for r in rows if r["case"] == "50-file PR" and "naive" in r]
    cover = [(r["case"], r["coverage_percent"] == 100.0, _coverage_text(r)) for r in rows]
    wall = [
        (r["case"], r["wall_to_ideal"] <= 1.3, f"{r['wall_to_ideal']:.2f}x")
        for r in sized
        if r["added_lines"] <= 10_000
    ]
    tokens = [
        (r["case"], r["prompt_to_diff_tokens"] <= 1.3, f"{r['prompt_to_diff_tokens']:.2f}x")
        for r in sized
        if r["added_lines"] >= 1_000
    ]
    cpu = [
        (r["case"], r["local"]["cpu_ratio"] <= 2, f"{r['local']['cpu_ratio']:.2f}x") for r in local
    ]
    floor = [
        (
            r["case"],
            r["local"]["floor_ratio"] <= 1.5,
            f"{r['local']['floor_ratio']:.2f}x, {r['local']['reviewbot']['rss_peak_mb']:.0f} MB "
            "peak RSS growth",
        )
        for r in local
        if r["added_lines"] >= 100_000
    ]
    big = []
    if biggest is not None and biggest["added_lines"] >= 100_000:
        mine = biggest["local"]["reviewbot"]
        text = (
            f"{mine['cpu_seconds']:.2f} s CPU, {mine['rss_peak_mb']:.0f} MB peak RSS growth "
            f"({mine['rss_total_peak_mb']:.0f} MB for the whole process)"
        )
        fits = mine["cpu_seconds"] < 2 and mine["rss_total_peak_mb"] < 300
        big = [(biggest["case"], fits, text)]
    naive = [
        (r["case"], r["naive_speedup"] >= 10, f"{r['naive_speedup']:.1f}x faster") for r in pr50
    ]
    return [
        check("coverage 100% at every size", cover),
        check("wall <= 1.3x ideal up to 10k lines", wall),
        check("prompt tokens <= 1.3x diff tokens at 1k+ lines", tokens),
        check("parse+chunk+render CPU <= 2x bare unidiff", cpu),
        check("parse+chunk+render CPU <= 1.5x the floor (unidiff + token count) at 100k", floor),
        check("100k lines: < 2 s CPU and < 300 MB", big),
        check(">= 10x faster than naive on a 50-file PR", naive),
    ]


def _coverage_text(row: dict[str, Any]) -> str:
    cov = row["coverage"]
    text = f"{cov['shown']}/{cov['expected']}"
    if cov["missing"]:
        text += f" (missing {', '.join(cov['missing'])})"
    if cov["repeated"]:
        text += f", {cov['repeated']} shown twice"
    return text


# ------------------------------------------------------------------------- output

COLUMNS = (
    ("case", "case"),
    ("files", "files"),
    ("+lines", "added_lines"),
    ("chunks", "chunks"),
    ("reqs", "requests"),
    ("coverage", "coverage_percent"),
    ("wall s", "wall_seconds"),
    ("ideal s", "ideal_seconds"),
    ("wall/ideal", "wall_to_ideal"),
    ("prompt/diff tok", "prompt_to_diff_tokens"),
    ("compl tok", "completion_tokens"),
    ("CPU ms", "local.reviewbot.cpu_ms"),
    ("unidiff CPU ms", "local.unidiff.cpu_ms"),
    ("CPU ratio", "local.cpu_ratio"),
    ("floor CPU ms", "local.floor.cpu_ms"),
    ("vs floor", "local.floor_ratio"),
    ("counting alone", "local.tokens_ratio"),
    ("RSS MB", "local.reviewbot.rss_peak_mb"),
    ("unidiff RSS MB", "local.unidiff.rss_peak_mb"),
    ("naive s", "naive.wall_seconds"),
    ("speedup", "naive_speedup"),
)


def _get(row: dict[str, Any], dotted: str) -> Any:
    value: Any = row
    for key in dotted.split("."):
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def _cell(value: Any) -> str:
    if value is None:
        return "skipped"
    if isinstance(value, float):
        return f"{value:.2f}" if value < 100 else f"{value:.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def table(rows: list[dict[str, Any]]) -> str:
    """The results as a markdown table."""
    lines = ["| " + " | ".join(title for title, _ in COLUMNS) + " |"]
    lines.append("|" + "|".join(" --- " for _ in COLUMNS) + "|")
    for row in rows:
        lines.append("| " + " | ".join(_cell(_get(row, key)) for _, key in COLUMNS) + " |")
    return "\n".join(lines)


def target_lines(checked: list[dict[str, Any]]) -> str:
    marks = {True: "MET   ", False: "MISSED", None: "n/a   "}
    return "\n".join(f"{marks[t['met']]} {t['target']}: {t['detail']}" for t in checked)


def warm_up(options: Options) -> float:
    """Seconds of a first tiny review: loading the tokenizer and the SDK, once per process.

    Paid once per `reviewbot` command, so it is reported apart from the cases, which follow it.
    """
    started = time.perf_counter()
    review(generate_diff(3, 1, seed=options.seed), Latency(0.0, 0.0), 1, options.model)
    return round(time.perf_counter() - started, 3)


def run(case_list: list[Case], options: Options, log: Any = sys.stderr) -> dict[str, Any]:
    started = time.perf_counter()
    startup = warm_up(options)
    rows = []
    with tempfile.TemporaryDirectory(prefix="reviewbot-bench-") as tmp:
        for case in case_list:
            print(f"running {case.name} over {case.files} files ...", file=log, flush=True)
            rows.append(run_case(case, options, Path(tmp)))
    return {
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
        "options": asdict(options),
        "startup_seconds": startup,
        "cases": rows,
        "targets": targets(rows),
        "total_seconds": round(time.perf_counter() - started, 1),
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Benchmark reviewbot against a local model server."
    )
    parser.add_argument(
        "--sizes",
        default=",".join(map(str, DEFAULT_SIZES)),
        help="changed (added) lines per case, comma-separated",
    )
    parser.add_argument(
        "--pr50-lines",
        type=int,
        default=1_000,
        help="added lines of the 50-file PR case (0: skip it)",
    )
    parser.add_argument("--concurrency", type=int, default=Options.concurrency)
    parser.add_argument("--model", default=Options.model)
    parser.add_argument("--latency-base", type=float, default=Latency.base)
    parser.add_argument("--latency-per-1k", type=float, default=Latency.per_1k)
    parser.add_argument(
        "--naive-max",
        type=int,
        default=Options.naive_max,
        help="run the naive baseline up to this many lines (and on the 50-file PR)",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=Options.repeats,
        help="CPU time is the best of this many runs",
    )
    parser.add_argument("--no-local", action="store_true", help="skip the CPU/memory measurement")
    parser.add_argument("--json", type=Path, help="write the results here")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    for name in [n for n in os.environ if n.startswith("REVIEWBOT_")]:
        del os.environ[name]  # a developer's settings must not change what is measured
    options = Options(
        concurrency=args.concurrency,
        model=args.model,
        latency=Latency(args.latency_base, args.latency_per_1k),
        naive_max=args.naive_max,
        repeats=args.repeats,
        local=not args.no_local,
    )
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    results = run(cases(sizes, args.pr50_lines), options)
    print(table(results["cases"]))
    print()
    print(target_lines(results["targets"]))
    print(f"\nstartup (first review in the process: tokenizer, SDK) {results['startup_seconds']} s")
    print(f"total {results['total_seconds']} s")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
