"""Chunk planning: full coverage, budgets kept, parts in order, tight packing, speed."""

from __future__ import annotations

import math
import random
import time
from collections import Counter
from pathlib import Path

import pytest
from gitrepo import GitRepo

from reviewbot.chunker import ChunkPlan, file_header, plan_chunks
from reviewbot.diffmodel import FileDiff, FileStatus, Hunk
from reviewbot.diffparse import file_as_diff, parse_diff
from reviewbot.hunktext import format_hunk
from reviewbot.tokens import EstimatingCounter, TokenCounter, get_counter

SHARED_DIFFS = Path(__file__).resolve().parents[2] / "shared" / "diffs"
SHARED = sorted(SHARED_DIFFS.glob("*.diff")) if SHARED_DIFFS.is_dir() else []

LineKey = tuple[str, int | None, int | None]


@pytest.fixture(scope="module")
def counter() -> TokenCounter:
    return get_counter()


def changed_lines(files: list[FileDiff]) -> Counter[LineKey]:
    return Counter(
        (f.path, ln.old_no, ln.new_no)
        for f in files
        for h in f.hunks
        for ln in h.lines
        if ln.kind.value != " "
    )


def covered(plan: ChunkPlan) -> Counter[LineKey]:
    seen: Counter[LineKey] = Counter(
        (part.path, ln.old_no, ln.new_no)
        for chunk in plan.chunks
        for part in chunk.parts
        for piece in part.pieces
        for ln in piece.hunk.lines
        if ln.kind.value != " "
    )
    seen.update((o.path, o.old_no, o.new_no) for o in plan.oversized)
    return seen


def rendered(plan: ChunkPlan) -> list[str]:
    """Each chunk's diff text as the prompt shows it (headers and hunks)."""
    return [
        "".join(
            file_header(p.file, p.part, p.parts) + "".join(x.text for x in p.pieces)
            for p in chunk.parts
        )
        for chunk in plan.chunks
    ]


def assert_sound(plan: ChunkPlan, files: list[FileDiff], counter: TokenCounter) -> None:
    """Every changed line exactly once, no chunk over budget, pieces consistent."""
    assert covered(plan) == changed_lines(files)
    for chunk, text in zip(plan.chunks, rendered(plan), strict=True):
        assert chunk.tokens <= plan.budget
        assert counter.count(text) <= plan.budget
        for part in chunk.parts:
            for piece in part.pieces:
                hunk = piece.hunk
                assert piece.text.split("\n", 1)[0] == hunk.header
                old = [ln.old_no for ln in hunk.lines if ln.old_no is not None]
                new = [ln.new_no for ln in hunk.lines if ln.new_no is not None]
                assert old == list(range(hunk.old_start, hunk.old_start + hunk.old_count))
                assert new == list(range(hunk.new_start, hunk.new_start + hunk.new_count))
    for o in plan.oversized:
        assert o.tokens > plan.budget // 2


def parts_in_order(plan: ChunkPlan) -> None:
    last: dict[int, tuple[int, int]] = {}
    for chunk in plan.chunks:
        for part in chunk.parts:
            key = id(part.file)
            previous_chunk, previous_part = last.get(key, (-1, 0))
            assert part.part == previous_part + 1
            assert part.parts > 1 or part.part == 1
            assert chunk.index > previous_chunk or part.part == 1
            last[key] = (chunk.index, part.part)
    for chunk in plan.chunks:
        for part in chunk.parts:
            assert last[id(part.file)][1] == part.parts


@pytest.mark.skipif(not SHARED, reason="../shared/diffs is not here")
@pytest.mark.parametrize("budget", [300, 1000, 4000, 12000])
def test_shared_diffs_fully_covered_within_budget(budget: int, counter: TokenCounter) -> None:
    for path in SHARED:
        files = parse_diff(path.read_text(encoding="utf-8")).files
        plan = plan_chunks(files, budget, counter)
        assert_sound(plan, files, counter)
        parts_in_order(plan)
        assert [c.index for c in plan.chunks] == list(range(len(plan.chunks)))


@pytest.mark.skipif(not SHARED, reason="../shared/diffs is not here")
@pytest.mark.parametrize("budget", [300, 4000])
def test_estimating_counter_keeps_its_own_budget(budget: int) -> None:
    estimate = EstimatingCounter()
    for path in SHARED[::3]:
        files = parse_diff(path.read_text(encoding="utf-8")).files
        assert_sound(plan_chunks(files, budget, estimate), files, estimate)


def many_hunk_file(path: str, hunks: int) -> FileDiff:
    text = f"--- a/{path}\n+++ b/{path}\n"
    for n in range(hunks):
        at = 1 + n * 10
        text += (
            f"@@ -{at},3 +{at},3 @@ def f{n}():\n"
            f"     keep = {n}\n-    old_value = compute({n})\n"
            f"+    new_value = compute_better({n}, retries=3)\n     return keep\n"
        )
    return parse_diff(text).files[0]


def test_split_file_parts_come_in_order(counter: TokenCounter) -> None:
    small_before = file_as_diff("a_small.py", "x = 1\n")
    big = many_hunk_file("big.py", 120)
    small_after = file_as_diff("z_small.py", "y = 2\n")
    files = [small_before, big, small_after]
    plan = plan_chunks(files, 600, counter)
    assert_sound(plan, files, counter)
    parts_in_order(plan)
    big_parts = [p for c in plan.chunks for p in c.parts if p.file is big]
    assert len(big_parts) > 3
    n = len(big_parts)
    assert [p.part for p in big_parts] == list(range(1, n + 1))
    headers = [file_header(p.file, p.part, p.parts) for p in big_parts]
    assert headers[0] == f"### big.py (modified) [part 1/{n}]\n"
    first_lines = [p.pieces[0].hunk.lines[0].new_no or 0 for p in big_parts]
    assert first_lines == sorted(first_lines)


def test_huge_hunk_splits_at_line_boundaries(tmp_path: Path, counter: TokenCounter) -> None:
    repo = GitRepo(tmp_path)
    repo.commit("root")
    repo.write("huge.py", "".join(f"value_{i} = compute({i})\n" for i in range(1, 5001)))
    files = parse_diff(repo.diff()).files
    assert files[0].hunks[0].new_count == 5000
    plan = plan_chunks(files, 1000, counter)
    assert_sound(plan, files, counter)
    parts_in_order(plan)
    pieces = [piece for c in plan.chunks for part in c.parts for piece in part.pieces]
    assert len(pieces) > 5
    assert [ln.new_no for p in pieces for ln in p.hunk.lines] == list(range(1, 5001))
    for piece in pieces:
        assert (piece.hunk.old_start, piece.hunk.old_count) == (0, 0)
        assert piece.text.startswith(f"@@ -0,0 +{piece.hunk.new_start},{piece.hunk.new_count} @@\n")
    assert plan.oversized == []


def test_split_of_an_insertion_numbers_the_old_side_like_git(counter: TokenCounter) -> None:
    added = "".join(f"+    inserted_line_{i} = {i}\n" for i in range(600))
    text = (
        "--- a/m.py\n+++ b/m.py\n@@ -2,5 +2,604 @@\n two\n three\n-four\n" + added + " five\n six\n"
    )
    files = parse_diff(text).files
    plan = plan_chunks(files, 500, counter)
    assert_sound(plan, files, counter)
    subs = [piece.hunk for c in plan.chunks for part in c.parts for piece in part.pieces]
    assert len(subs) > 3
    assert (subs[0].old_start, subs[0].old_count) == (2, 3)
    for middle in subs[1:-1]:
        assert (middle.old_start, middle.old_count) == (4, 0)  # inserted after old line 4
    assert (subs[-1].old_start, subs[-1].old_count) == (5, 2)


def test_line_longer_than_the_budget_is_reported(counter: TokenCounter) -> None:
    blob = "DATA = '" + " ".join(f"w{i}" for i in range(3000)) + "'"
    text = (
        "--- a/gen.py\n+++ b/gen.py\n@@ -1,4 +1,5 @@\n import os\n-OLD = '"
        + "x " * 3000
        + "'\n+"
        + blob
        + "\n+small = 1\n keep = 2\n last = 3\n"
    )
    files = parse_diff(text).files
    plan = plan_chunks(files, 1000, counter)
    assert_sound(plan, files, counter)
    assert [(o.old_no, o.new_no) for o in plan.oversized] == [(2, None), (None, 2)]
    assert all(o.path == "gen.py" and o.tokens > 1000 for o in plan.oversized)
    shown = {
        ln.new_no for c in plan.chunks for p in c.parts for pc in p.pieces for ln in pc.hunk.lines
    }
    assert 3 in shown and 2 not in shown


def test_many_tiny_files_pack_tightly(counter: TokenCounter) -> None:
    rnd = random.Random(7)
    files = [
        file_as_diff(
            f"pkg/m{i}.py",
            "".join(f"v{j} = {rnd.randint(0, 10**6)}\n" for j in range(rnd.randint(1, 6))),
        )
        for i in range(600)
    ]
    budget = 1000
    plan = plan_chunks(files, budget, counter)
    assert_sound(plan, files, counter)
    total = sum(c.tokens for c in plan.chunks)
    assert len(plan.chunks) <= math.ceil(total / budget) + 1
    # With no split file to keep in order, chunks come in the diff order of their first file.
    position = {id(f): n for n, f in enumerate(files)}
    firsts = [position[id(c.parts[0].file)] for c in plan.chunks]
    assert firsts == sorted(firsts) and firsts[0] == 0
    for chunk in plan.chunks:
        inside = [position[id(p.file)] for p in chunk.parts]
        assert inside == sorted(inside)


def test_empty_input_gives_no_chunks(counter: TokenCounter) -> None:
    assert plan_chunks([], 1000, counter).chunks == []
    hunkless = FileDiff(path="moved.py", old_path="old.py", status=FileStatus.RENAMED)
    assert plan_chunks([hunkless], 1000, counter).chunks == []


def test_chunk_helpers(counter: TokenCounter) -> None:
    files = [file_as_diff("a.py", "a = 1\nb = 2\n"), file_as_diff("b.py", "c = 3\n")]
    plan = plan_chunks(files, 4000, counter)
    assert len(plan.chunks) == 1
    chunk = plan.chunks[0]
    assert (chunk.paths, chunk.changed_count, plan.changed_count) == (["a.py", "b.py"], 3, 3)
    assert chunk.new_side_lines("a.py") == {1: "a = 1", 2: "b = 2"}
    assert chunk.parts[0].pieces[0].text == format_hunk(files[0].hunks[0])


def generated_diff(files: int, lines_per_file: int, seed: int = 1) -> str:
    rnd = random.Random(seed)
    words = ["self", "value", "result", "items", "count", "return", "data", "config", "len"]
    out = []
    for f in range(files):
        path = f"pkg/mod{f // 20}/file_{f}.py"
        out.append(
            f"diff --git a/{path} b/{path}\nindex 1111111..2222222 100644\n"
            f"--- a/{path}\n+++ b/{path}\n"
        )
        old = new = 1
        left = lines_per_file
        while left > 0:
            added = min(left, rnd.randint(5, 60))
            removed = min(left - added, rnd.randint(0, 5))
            body = ["     x = 1"] * 3
            body += [f"-    {' '.join(rnd.choices(words, k=6))}" for _ in range(removed)]
            body += [
                f"+    {' '.join(rnd.choices(words, k=rnd.randint(2, 10)))}  # {i}"
                for i in range(added)
            ]
            body += ["     y = 2"] * 3
            out.append(
                f"@@ -{old},{6 + removed} +{new},{6 + added} @@ def f{old}():\n"
                + "\n".join(body)
                + "\n"
            )
            old += 6 + removed + 10
            new += 6 + added + 10
            left -= added + removed
    return "".join(out)


def test_100k_changed_lines_timing(counter: TokenCounter) -> None:
    text = generated_diff(400, 250)
    started = time.process_time()
    diff = parse_diff(text)
    parsed = time.process_time()
    plan = plan_chunks(diff.files, 12000, counter)
    planned = time.process_time()
    assert diff.changed_count == 100_000
    assert plan.changed_count == 100_000 and not plan.oversized
    print(
        f"\n100k changed lines ({len(text) / 1e6:.1f} MB): parse {parsed - started:.2f} s, "
        f"plan_chunks {planned - parsed:.2f} s CPU, {len(plan.chunks)} chunks"
    )


def test_sub_hunks_keep_the_section(counter: TokenCounter) -> None:
    text = "--- a/s.py\n+++ b/s.py\n@@ -1,0 +1,400 @@ class Big:\n" + "".join(
        f"+    attr_{i} = {i}\n" for i in range(400)
    )
    plan = plan_chunks(parse_diff(text).files, 400, counter)
    hunks: list[Hunk] = [pc.hunk for c in plan.chunks for p in c.parts for pc in p.pieces]
    assert len(hunks) > 2 and all(h.section == "class Big:" for h in hunks)
    assert (hunks[1].old_start, hunks[1].old_count) == (1, 0)
