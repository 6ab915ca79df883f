"""GitHub App server benchmark: reviews per minute with 1, 2 and 4 workers, and the queue's
overhead per job.

    python bench/server.py                       # 200 deliveries over 20 repositories
    python bench/server.py --deliveries 60 --workers 1,2 --latency 0.2

Everything is real except GitHub and the model: a redis-server on 127.0.0.1 (started and
stopped here), `reviewbot-server` and `reviewbot-worker` as subprocesses, the fake GitHub with
the App endpoints and the fake model (tests/) with a simulated latency per request. Each run
sends every delivery signed, as fast as the server takes them, then waits until every pull
request has its review. Then one more run (`--kill-run N` workers, default 2; 0 to skip) in
which one worker is SIGKILLed once a third of the reviews are posted: its jobs must be taken
over by the others, none lost and none reviewed twice.

Figures: reviews posted, duplicates (a pull request with more than one review), lost (none),
wall time from the first delivery to the last review, reviews per minute; then the queue
overhead: deliveries sent one at a time to an idle single-thread worker, end-to-end time
(webhook sent -> review on GitHub) minus the job's own run time as the worker logged it.
Printed only; nothing here is a timed test.
"""

from __future__ import annotations

import argparse
import json
import signal
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from fake_openai import FakeOpenAI, linear_latency  # noqa: E402
from keys import TEST_KEY  # noqa: E402
from server_harness import RedisServer, World, app_world, change, wait_until  # noqa: E402

BENCH_ENV = {
    "REVIEWBOT_DEBOUNCE_SECONDS": "0",
    "REVIEWBOT_INSTALLATION_CONCURRENCY": "8",
}


@dataclass
class Run:
    workers: int
    threads: int
    deliveries: int
    posted: int
    duplicates: int
    lost: int
    killed: bool
    seconds: float

    @property
    def per_minute(self) -> float:
        return self.posted / self.seconds * 60


def worker_events(world: World, event: str) -> list[dict[str, object]]:
    out = []
    for path in world.tmp.glob("worker*.log"):
        for line in path.read_text(errors="replace").splitlines():
            if line.startswith("{") and f'"event": "{event}"' in line:
                out.append(json.loads(line))
    return out


def start_workers(world: World, count: int, threads: int) -> list[object]:
    procs = [world.start_worker(threads=threads, **BENCH_ENV) for _ in range(count)]
    wait_until(lambda: len(worker_events(world, "worker.ready")) >= count, 120, "workers", world)
    return procs


def pulls_for(deliveries: int, repos: int) -> list[tuple[str, int]]:
    names = [f"org{i % 4}/repo{i:02d}" for i in range(repos)]
    return [(names[i % repos], i // repos + 1) for i in range(deliveries)]


def installations_for(pulls: list[tuple[str, int]]) -> dict[int, list[str]]:
    repos = sorted({repo for repo, _ in pulls})
    out: dict[int, list[str]] = {}
    for repo in repos:
        out.setdefault(1000 + int(repo[3]), []).append(repo)
    return out


def throughput(
    redis: RedisServer, args: argparse.Namespace, workers: int, tmp: Path, db: int, kill: bool
) -> Run:
    pulls = pulls_for(args.deliveries, args.repos)
    model = FakeOpenAI(api_key=TEST_KEY, latency=linear_latency(args.latency, 0))
    with model, app_world(redis, tmp, installations_for(pulls), model=model, db=db) as world:
        for repo, n in pulls:
            world.github.add_pull(repo, n, change(f"{repo}-{n}"))
        procs = start_workers(world, workers, args.threads)
        world.start_server(**BENCH_ENV)
        payloads = [world.payload(repo, n) for repo, n in pulls]
        started = time.monotonic()
        for payload in payloads:
            answer = world.deliver("pull_request", payload)
            assert answer.status == 202, answer.body

        def posted() -> int:
            return sum(1 for repo, n in pulls if world.bot_reviews(repo, n))

        killed = False
        if kill and workers > 1:
            wait_until(lambda: posted() >= len(pulls) // 3, 600, "a third", world)
            victim = procs[0]
            victim.send_signal(signal.SIGKILL)  # type: ignore[attr-defined]
            victim.wait()  # type: ignore[attr-defined]
            killed = True
        wait_until(lambda: posted() == len(pulls), 900, "every review", world)
        seconds = time.monotonic() - started
        time.sleep(2)  # a duplicate would show up now
        counts = [len(world.bot_reviews(repo, n)) for repo, n in pulls]
        return Run(
            workers,
            args.threads,
            len(pulls),
            sum(1 for c in counts if c),
            sum(c - 1 for c in counts if c > 1),
            sum(1 for c in counts if c == 0),
            killed,
            seconds,
        )


def overhead(redis: RedisServer, args: argparse.Namespace, tmp: Path, db: int) -> list[float]:
    """Seconds per job spent outside the job itself, with an idle one-thread worker."""
    pulls = [("solo/repo", n) for n in range(1, args.overhead_jobs + 1)]
    with app_world(redis, tmp, {1: ["solo/repo"]}, db=db) as world:
        for repo, n in pulls:
            world.github.add_pull(repo, n, change(f"solo-{n}"))
        start_workers(world, 1, 1)
        world.start_server(**BENCH_ENV)
        ends: list[float] = []
        for repo, n in pulls:
            sent = time.monotonic()
            world.deliver("pull_request", world.payload(repo, n))
            while not world.bot_reviews(repo, n):
                time.sleep(0.002)
            ends.append(time.monotonic() - sent)
        wait_until(
            lambda: len(worker_events(world, "job.done")) >= len(pulls), 30, "job logs", world
        )
        done = worker_events(world, "job.done")
        runs = {int(str(e["pr"])): float(str(e["seconds"])) for e in done}
        return [ends[i] - runs[n] for i, (_, n) in enumerate(pulls)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deliveries", type=int, default=200)
    parser.add_argument("--repos", type=int, default=20)
    parser.add_argument("--workers", default="1,2,4", help="worker counts to run")
    parser.add_argument("--threads", type=int, default=2, help="threads per worker")
    parser.add_argument("--latency", type=float, default=0.5, help="model seconds per request")
    parser.add_argument("--kill-run", type=int, default=2, help="workers of the SIGKILL run")
    parser.add_argument("--overhead-jobs", type=int, default=20)
    args = parser.parse_args()

    redis = RedisServer()
    runs: list[Run] = []
    try:
        with tempfile.TemporaryDirectory(prefix="reviewbot-bench-") as tmp:
            plan = [(int(w), False) for w in args.workers.split(",")]
            if args.kill_run > 1:
                plan.append((args.kill_run, True))
            for db, (workers, kill) in enumerate(plan):
                folder = Path(tmp) / f"run{db}"
                folder.mkdir()
                run = throughput(redis, args, workers, folder, db, kill)
                runs.append(run)
                print(
                    f"{run.workers} worker(s) x {run.threads} threads: {run.posted}/"
                    f"{run.deliveries} reviews, {run.duplicates} duplicates, {run.lost} lost, "
                    f"{run.seconds:.1f} s, {run.per_minute:.0f} reviews/min"
                    + ("  (one worker SIGKILLed mid-run)" if run.killed else ""),
                    flush=True,
                )
            folder = Path(tmp) / "overhead"
            folder.mkdir()
            gaps = overhead(redis, args, folder, 15)
    finally:
        redis.stop()
    print(
        f"queue overhead per job ({len(gaps)} jobs, idle worker): "
        f"median {statistics.median(gaps) * 1000:.0f} ms, "
        f"mean {statistics.mean(gaps) * 1000:.0f} ms, max {max(gaps) * 1000:.0f} ms"
    )
    print(f"model latency {args.latency} s per request; {args.repos} repositories")
    bad = any(r.duplicates or r.lost for r in runs)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
