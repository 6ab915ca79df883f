"""The review cache: reruns cost nothing, any change misses, and the directory stays sane.

End to end through the `reviewbot` command against the local OpenAI-compatible server, whose
request log is the proof of what was (not) sent; plus the store itself under concurrent
writers, a size bound and corrupt entries.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import platformdirs
import pytest
from answers import content, issue, one_issue_per_file, shown_files
from cli_run import run
from fake_openai import FakeOpenAI, RecordedRequest, Reply
from keys import TEST_KEY

from reviewbot.cache import ReviewCache, cache_key, default_cache_dir
from reviewbot.redact import register_secret


@pytest.fixture(autouse=True)
def no_self_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """The review cache's own rules, counted in requests and entries; the self-check's
    answers are cached too (tests/test_selfcheck.py, tests/test_cli.py)."""
    monkeypatch.setenv("REVIEWBOT_VERIFY", "false")


FILES = {
    "calc.py": "def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return a - b\n",
    "names.py": "".join(f"NAME_{n} = 'value {n}'\n" for n in range(120)),
    "util.py": "".join(f"def f{n}(x):\n    return x * {n}\n\n" for n in range(60)),
}


def review_json(*args: str) -> dict[str, Any]:
    result = run(*FILES, "--format", "json", "--max-chunk-tokens", "600", *args)
    assert result.exit_code == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def same_review(data: dict[str, Any]) -> dict[str, Any]:
    """What a reader of the review sees, without the work counters."""
    return {k: v for k, v in data.items() if k != "stats"}


def cache_root() -> Path:
    return Path(os.environ["REVIEWBOT_CACHE_DIR"])


def entries(root: Path | None = None) -> list[Path]:
    return sorted((root or cache_root()).glob("answers/*/*.json"))


@pytest.fixture
def project(
    endpoint_env: FakeOpenAI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> FakeOpenAI:
    monkeypatch.chdir(tmp_path)
    for name, text in FILES.items():
        (tmp_path / name).write_text(text)
    endpoint_env.responder = one_issue_per_file
    return endpoint_env


# ---------------------------------------------------------------------- hits and misses


def test_rerun_on_unchanged_input_sends_nothing_and_gives_the_same_review(
    project: FakeOpenAI,
) -> None:
    first = review_json()
    chunks = first["stats"]["chunks"]
    assert chunks >= 2, "the fixture should need several requests"
    assert len(project.requests) == chunks
    assert len(entries()) == chunks

    second = review_json()
    assert len(project.requests) == chunks, "the rerun must not reach the model"
    assert same_review(second) == same_review(first)
    assert second["stats"]["requests"] == 0
    assert second["stats"]["cached_chunks"] == chunks

    text = run(*FILES, "--max-chunk-tokens", "600")
    assert f"{chunks} cached" in text.stdout
    assert len(project.requests) == chunks


def test_changing_one_file_resends_only_what_changed(project: FakeOpenAI, tmp_path: Path) -> None:
    first = review_json()
    before = len(project.requests)
    (tmp_path / "calc.py").write_text(FILES["calc.py"].replace("a + b", "a + b + 0"))
    second = review_json()
    sent = project.requests[before:]
    assert 1 <= len(sent) < first["stats"]["chunks"]
    assert all("calc.py" in shown_files(r.user or "") for r in sent)
    assert second["stats"]["cached_chunks"] == second["stats"]["chunks"] - len(sent)


def _reask_override(tmp_path: Path) -> list[str]:
    folder = tmp_path / "prompts-override"
    folder.mkdir()
    # Only the re-ask template differs: it is not in the first request, yet shapes answers.
    (folder / "reask.j2").write_text("Your answer was not valid JSON; answer again.\n")
    return ["--prompt-dir", str(folder)]


VARIANTS: dict[str, Any] = {
    "model": lambda tmp, other: ["--model", "another-model"],
    "base url": lambda tmp, other: ["--base-url", other.base_url],
    "prompt template": lambda tmp, other: _reask_override(tmp),
    "language": lambda tmp, other: ["--language", "zh"],
    "instructions": lambda tmp, other: ["--instructions", "Flag every print call."],
    "temperature": lambda tmp, other: ["--temperature", "0.9"],
    "seed": lambda tmp, other: ["--seed", "7"],
    "answer tokens": lambda tmp, other: ["--max-answer-tokens", "1024"],
}


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_a_changed_setting_model_or_prompt_misses(
    endpoint_env: FakeOpenAI,
    other_server: FakeOpenAI,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    variant: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "calc.py").write_text(FILES["calc.py"])
    servers = (endpoint_env, other_server)
    for server in servers:
        server.responder = one_issue_per_file

    def sent() -> int:
        return sum(len(s.requests) for s in servers)

    def review(*extra: str) -> dict[str, Any]:
        result = run("calc.py", "--format", "json", *extra)
        assert result.exit_code == 0, result.stderr
        data: dict[str, Any] = json.loads(result.stdout)
        return data

    review()
    assert sent() == 1
    extra = VARIANTS[variant](tmp_path, other_server)
    changed = review(*extra)
    assert sent() == 2, f"a different {variant} must not be answered from the cache"
    assert changed["stats"]["cached_chunks"] == 0
    assert len(entries()) == 2

    again = review(*extra)
    assert sent() == 2 and again["stats"]["cached_chunks"] == 1
    review()
    assert sent() == 2, "the first setting's entry is still there"


def test_no_cache_neither_reads_nor_writes(project: FakeOpenAI) -> None:
    review_json("--no-cache")
    review_json("--no-cache")
    chunks = len(project.requests) // 2
    assert len(project.requests) == 2 * chunks
    assert entries() == []

    review_json()
    assert len(entries()) == chunks
    data = review_json("--no-cache")
    assert len(project.requests) == 4 * chunks, "--no-cache ignores existing entries too"
    assert data["stats"]["cached_chunks"] == 0


def test_failed_chunks_are_not_cached(project: FakeOpenAI) -> None:
    project.responder = lambda request: Reply(status=503)
    failed = run(*FILES, "--format", "json", "--max-retries", "0")
    assert failed.exit_code == 3
    assert entries() == []
    tries = len(project.requests)

    project.responder = one_issue_per_file
    data = review_json()
    assert len(project.requests) > tries and data["stats"]["cached_chunks"] == 0


# ---------------------------------------------------------------------- where it lives


def test_cache_dir_from_env_and_flag(project: FakeOpenAI, tmp_path: Path) -> None:
    review_json()
    assert entries(), "REVIEWBOT_CACHE_DIR holds the entries"
    chosen = tmp_path / "chosen-cache"
    sent = len(project.requests)
    review_json("--cache-dir", str(chosen))
    assert len(project.requests) == 2 * sent, "another directory starts empty"
    assert len(entries(chosen)) == len(entries())


@pytest.mark.skipif(sys.platform != "linux", reason="XDG_CACHE_HOME is the Linux convention")
def test_default_location_is_the_user_cache_dir(
    project: FakeOpenAI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REVIEWBOT_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "reviewbot"
    assert default_cache_dir() == Path(platformdirs.user_cache_dir("reviewbot", appauthor=False))
    review_json()
    assert entries(tmp_path / "xdg" / "reviewbot")


def test_cache_never_holds_the_api_key(
    project: FakeOpenAI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REVIEWBOT_INSTRUCTIONS", "Be strict.")
    review_json()

    def echo_key(request: RecordedRequest) -> Reply:
        files = shown_files(request.user or "")
        path, lines = next(iter(files.items()))
        leaked = issue(path, lines[0][0], lines[0][1], body=f"The key {TEST_KEY} is exposed.")
        return Reply(content=content(5, [leaked]))

    (tmp_path / "calc.py").write_text(FILES["calc.py"] + "\nKEY = 1\n")
    project.responder = echo_key
    review_json()
    assert not any(TEST_KEY in json.dumps(r.body) for r in project.requests), "nor any prompt"
    review_json()  # stored masked, or not stored at all: either way never with the key

    stored = [p for p in cache_root().rglob("*") if p.is_file()]
    assert stored
    for path in stored:
        assert TEST_KEY.encode() not in path.read_bytes(), path
        assert TEST_KEY not in str(path)


def test_store_refuses_an_entry_holding_a_known_secret(tmp_path: Path) -> None:
    secret = "tok-" + hashlib.sha256(str(tmp_path).encode()).hexdigest()
    register_secret(secret)
    cache = ReviewCache(tmp_path)
    cache.put(cache_key({"n": 1}), {"score": 5, "issues": [{"body": f"uses {secret}"}]})
    cache.put(cache_key({"n": 2}), {"score": 5, "issues": [{"body": "uses ***"}]})
    assert cache.get(cache_key({"n": 1})) is None
    assert cache.get(cache_key({"n": 2})) is not None
    assert all(secret.encode() not in p.read_bytes() for p in tmp_path.rglob("*") if p.is_file())


# ---------------------------------------------------------------------- corrupt entries

CORRUPT = {
    "truncated json": b'{"score": 6, "issues": [{"path": "calc.py", "li',
    "garbage bytes": bytes(range(256)) * 4,
    "empty file": b"",
    "not an object": b"[1, 2, 3]",
    "wrong shape": b'{"score": "great", "issues": {"path": 3}}',
    "score out of range": b'{"score": 99, "issues": []}',
}


@pytest.mark.parametrize("kind", list(CORRUPT))
def test_corrupt_entries_are_ignored_and_overwritten(
    endpoint_env: FakeOpenAI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "calc.py").write_text(FILES["calc.py"])
    endpoint_env.responder = one_issue_per_file

    def review() -> dict[str, Any]:
        result = run("calc.py", "--format", "json")
        assert result.exit_code == 0, result.stderr
        data: dict[str, Any] = json.loads(result.stdout)
        return data

    first = review()
    [entry] = entries()
    entry.write_bytes(CORRUPT[kind])

    second = review()
    assert len(endpoint_env.requests) == 2, "a corrupt entry is a miss"
    assert same_review(second) == same_review(first)
    assert json.loads(entry.read_bytes())["score"] == first["score"], "and is overwritten"

    third = review()
    assert len(endpoint_env.requests) == 2 and third["stats"]["cached_chunks"] == 1


@pytest.mark.parametrize("kind", ["truncated json", "garbage bytes", "empty file", "not an object"])
def test_store_reads_unparsable_entries_as_misses(tmp_path: Path, kind: str) -> None:
    cache = ReviewCache(tmp_path)
    key = cache_key({"chunk": kind})
    cache.put(key, {"score": 5, "issues": []})
    path = next(tmp_path.glob("answers/*/*.json"))
    path.write_bytes(CORRUPT[kind])
    assert cache.get(key) is None
    cache.put(key, {"score": 6, "issues": []})
    assert cache.get(key) == {"score": 6, "issues": []}


# ---------------------------------------------------------------------- concurrency

_WRITER = """
import hashlib, sys
from pathlib import Path
from reviewbot.cache import ReviewCache, cache_key

directory, writer, rounds, keys = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
cache = ReviewCache(Path(directory))
for r in range(rounds):
    for k in range(keys):
        payload = f"{writer}:{r}:{k};" * 20000
        digest = hashlib.sha256(payload.encode()).hexdigest()
        cache.put(cache_key({"k": k}), {"k": k, "payload": payload, "digest": digest})
"""


def _check_entry(data: Any, k: int) -> None:
    assert isinstance(data, dict)
    assert data["k"] == k
    assert hashlib.sha256(data["payload"].encode()).hexdigest() == data["digest"]


def test_concurrent_processes_never_expose_a_partial_entry(tmp_path: Path) -> None:
    keys, rounds, writers = 8, 12, 4
    cache = ReviewCache(tmp_path)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(tmp_path), str(w), str(rounds), str(keys)]
        )
        for w in range(writers)
    ]
    whole_reads = 0
    deadline = time.monotonic() + 90
    while any(p.poll() is None for p in procs) and time.monotonic() < deadline:
        for k in range(keys):
            key = cache_key({"k": k})
            try:
                raw = cache._path(key).read_bytes()
            except FileNotFoundError:
                continue
            _check_entry(json.loads(raw), k)  # the file on disk is always a whole entry
            got = cache.get(key)
            if got is not None:
                _check_entry(got, k)
                whole_reads += 1
    for proc in procs:
        assert proc.wait(timeout=60) == 0
    assert whole_reads > 0, "the reader should have overlapped the writers"
    for k in range(keys):
        _check_entry(cache.get(cache_key({"k": k})), k)
    names = [p.name for p in tmp_path.rglob("*") if p.is_file()]
    assert len(names) == keys, f"no temporary files are left behind: {names}"


def test_concurrent_threads_share_one_cache(tmp_path: Path) -> None:
    cache = ReviewCache(tmp_path)
    keys = [cache_key({"t": n}) for n in range(5)]
    partial: list[str] = []
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            for key in keys:
                try:
                    raw = cache._path(key).read_bytes()
                except FileNotFoundError:
                    continue
                try:
                    json.loads(raw)
                except ValueError:
                    partial.append(key)

    def write(n: int) -> None:
        key = keys[n % len(keys)]
        cache.put(key, {"n": n, "payload": "x" * (50_000 + n)})

    reader = threading.Thread(target=read)
    reader.start()
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(write, range(200)))
    finally:
        stop.set()
        reader.join()
    assert partial == []
    for key in keys:
        value = cache.get(key)
        assert value is not None and len(value["payload"]) == 50_000 + value["n"]
    assert len(list(tmp_path.rglob("*.part"))) == 0


# ---------------------------------------------------------------------- size bound


def _fill(cache: ReviewCache, start: int, count: int, size: int = 1000) -> list[str]:
    keys = []
    for n in range(start, start + count):
        key = cache_key({"entry": n})
        cache.put(key, {"n": n, "payload": "y" * size})
        keys.append(key)
    return keys


def test_size_is_bounded_by_evicting_the_least_recently_used(tmp_path: Path) -> None:
    bound = 20_000
    cache = ReviewCache(tmp_path, max_bytes=bound)
    old = _fill(cache, 0, 15)
    assert cache.size() <= bound
    # Make the order explicit: entry 0 is the oldest, then 1, ...; reading entry 0 renews it.
    now = time.time()
    for age, key in enumerate(reversed(old)):
        os.utime(cache._path(key), (now - 100 - age, now - 100 - age))
    assert cache.get(old[0]) is not None

    new = _fill(cache, 100, 6)  # crosses the bound once: about five entries must go
    assert cache.size() <= bound
    assert cache.get(old[0]) is not None, "recently read entries survive"
    assert cache.get(old[1]) is None, "the least recently used go first"
    assert cache.get(new[-1]) is not None


def test_separate_runs_keep_the_bound(tmp_path: Path) -> None:
    bound = 30_000
    for run_number in range(6):
        cache = ReviewCache(tmp_path, max_bytes=bound)  # a new process each time
        _fill(cache, run_number * 100, 12)
        assert cache.size() <= bound
    assert ReviewCache(tmp_path).size() > bound // 2, "eviction stops well short of empty"
