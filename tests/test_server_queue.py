"""reviewbot-server and reviewbot-worker processes on a real Redis against the fake GitHub App
and the fake model: every review posted exactly once (also when a worker is SIGKILLed
mid-run), a newer push supersedes a queued one, failing jobs end in the dead-letter queue."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections.abc import Iterator

import pytest
from fake_openai import FakeOpenAI, linear_latency
from keys import TEST_KEY
from server_harness import WORKER, RedisServer, World, app_world, change, get, wait_until


@pytest.fixture
def model() -> Iterator[FakeOpenAI]:
    # Each review takes a little while, so a SIGKILL lands on work in progress.
    with FakeOpenAI(api_key=TEST_KEY, latency=linear_latency(0.2, 0)) as server:
        yield server


def metric(world: World, name: str) -> float:
    _, text = get(world.server_url + "/metrics")
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    raise AssertionError(f"{name} not in /metrics")


def in_flight(world: World, worker: int) -> set[tuple[str, int]]:
    """Pull requests a worker started reviewing and has not finished, from its log."""
    open_jobs: dict[str, tuple[str, int]] = {}
    for line in (world.tmp / f"worker{worker}.log").read_text(errors="replace").splitlines():
        if not line.startswith("{"):
            continue
        entry = json.loads(line)
        if entry["event"] == "job.start":
            open_jobs[entry["job"]] = (entry["repo"], entry["pr"])
        elif entry["event"] in ("job.done", "job.failed"):
            open_jobs.pop(entry.get("job", ""), None)
    return set(open_jobs.values())


def test_load_with_a_worker_killed_mid_run(
    redis_server: RedisServer, tmp_path, model: FakeOpenAI
) -> None:
    repos = [f"org{i % 2}/repo{i}" for i in range(8)]
    installations = {101: repos[0::2], 102: repos[1::2]}
    with app_world(redis_server, tmp_path, installations, model=model, db=2) as world:
        pulls = [(repo, n) for repo in repos for n in range(1, 6)]
        for repo, n in pulls:
            world.github.add_pull(repo, n, change(f"{repo}-{n}"))
        victim = world.start_worker(threads=2)
        world.start_worker(threads=2)
        world.start_server()
        for repo, n in pulls:
            answer = world.deliver("pull_request", world.payload(repo, n))
            assert answer.status == 202, answer.body

        def posted() -> int:
            return sum(1 for repo, n in pulls if world.bot_reviews(repo, n))

        wait_until(lambda: posted() >= 10, 60, "the first reviews", world)
        # Kill while the victim is inside a review (its log shows a start without an end).
        wait_until(lambda: bool(in_flight(world, 0)), 30, "a review in flight", world)
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        interrupted = in_flight(world, 0)
        killed_at = posted()
        wait_until(lambda: posted() == len(pulls), 90, "every review", world)
        time.sleep(0.5)  # anything still running would post a duplicate now

        counts = {pull: len(world.bot_reviews(*pull)) for pull in pulls}
        duplicates = {pull: c for pull, c in counts.items() if c > 1}
        lost = [pull for pull, c in counts.items() if c == 0]
        assert duplicates == {} and lost == []
        assert killed_at < len(pulls) and interrupted
        for repo, n in interrupted:  # taken over by the other worker, reviewed once
            assert counts[repo, n] == 1
        for repo, n in pulls:
            (review,) = world.bot_reviews(repo, n)
            assert review["commit_id"] == world.github.pull(repo, n).head_sha
        assert world.github.rejected == []
        assert metric(world, "reviewbot_reviews_posted_total") >= len(pulls)
        assert metric(world, "reviewbot_jobs_failed") == 0


def test_quick_pushes_and_the_installation_limit(
    redis_server: RedisServer, tmp_path, model: FakeOpenAI
) -> None:
    web, mono = "acme/web", "big/mono"
    with app_world(redis_server, tmp_path, {7: [web], 3: [mono]}, model=model, db=3) as world:
        world.github.add_pull(web, 3, change("first"), head_sha="a" * 40)
        for n in range(1, 6):
            world.github.add_pull(mono, n, change(f"mono-{n}"))
        world.start_worker(threads=4, REVIEWBOT_INSTALLATION_CONCURRENCY="1")
        world.start_server()

        # Two pushes in quick succession: one review, of the newer head.
        first = world.deliver("pull_request", world.payload(web, 3))
        world.github.push(web, 3, change("second"), head_sha="b" * 40)
        second = world.deliver("pull_request", world.payload(web, 3, action="synchronize"))
        assert (first.status, second.status) == (202, 202)
        wait_until(lambda: bool(world.bot_reviews(web, 3)), 30, "the review", world)
        wait_until(
            lambda: metric(world, "reviewbot_jobs_superseded_total") >= 1,
            10,
            "the older job to be dropped",
            world,
        )
        time.sleep(0.5)
        (review,) = world.bot_reviews(web, 3)
        assert review["commit_id"] == "b" * 40
        models_asked = [json.dumps(r.body) for r in model.requests]
        assert len(models_asked) == 1 and "second" in models_asked[0]

        # Five PRs of one installation limited to one review at a time, on a 4-thread worker.
        model.reset_log()
        for n in range(1, 6):
            assert world.deliver("pull_request", world.payload(mono, n)).status == 202
        wait_until(
            lambda: all(world.bot_reviews(mono, n) for n in range(1, 6)), 60, "reviews", world
        )
        spans = sorted((round(r.started, 2), round(r.finished, 2)) for r in model.requests)
        assert len(spans) == 5 and model.max_concurrent == 1, spans
        assert metric(world, "reviewbot_jobs_deferred_total") >= 1


def test_failing_jobs_go_to_the_dead_letter_queue(
    redis_server: RedisServer, tmp_path, model: FakeOpenAI
) -> None:
    lost, misconfigured = "acme/lost", "acme/other"
    with app_world(redis_server, tmp_path, {9: [misconfigured]}, model=model, db=4) as world:
        # Installation 5 is named in the webhook, but the App has no such installation: every
        # attempt to get a token fails, so the job is retried, then dead-lettered.
        world.installations[5] = [lost]
        world.github.add_pull(lost, 1, change("doomed"))
        # A bad .reviewbot.toml cannot get better by retrying: dead-lettered at once.
        world.github.add_pull(misconfigured, 2, change("typo"))
        world.github.set_file(misconfigured, ".reviewbot.toml", 'colour = "blue"\n')
        world.start_worker(threads=2)
        world.start_server()
        assert world.deliver("pull_request", world.payload(lost, 1)).status == 202
        assert world.deliver("pull_request", world.payload(misconfigured, 2)).status == 202
        wait_until(lambda: metric(world, "reviewbot_jobs_failed") == 2, 30, "dead letters", world)
        assert metric(world, "reviewbot_job_attempts_failed_total") == 3 + 1
        assert WORKER is not None
        done = subprocess.run(
            [WORKER, "--failed", "--json"],
            env=world.env(),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        entries = {e["job"]["repo"]: e for e in map(json.loads, done.stdout.splitlines())}
        assert entries[lost]["attempts"] == 3  # REVIEWBOT_MAX_ATTEMPTS
        assert "installation 5" in entries[lost]["error"] and "not found" in entries[lost]["error"]
        assert entries[misconfigured]["attempts"] == 1
        assert "unknown key 'colour'" in entries[misconfigured]["error"]
        listing = subprocess.run(
            [WORKER, "--failed"], env=world.env(), capture_output=True, text=True, timeout=60
        )
        lines = listing.stdout.splitlines()
        assert len(lines) == 2 and any(
            f"{lost}#1" in line and "attempts=3" in line for line in lines
        )
        assert "2 job(s) in the dead-letter queue" in listing.stderr
        assert world.bot_reviews(lost, 1) == [] and world.bot_reviews(misconfigured, 2) == []
        assert model.requests == []
