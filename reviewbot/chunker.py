"""Pack the files to review into as few chunks as fit a token budget.

A file too large for one chunk is split at hunk boundaries, a hunk too large at line
boundaries. Every changed line lands in exactly one chunk; a single line larger than the
budget is the only thing left out, and it is counted.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field

from reviewbot.diffmodel import DiffLine, FileDiff, Hunk
from reviewbot.diffparse import gc_paused
from reviewbot.hunktext import format_hunk, format_lines, is_change, number_width
from reviewbot.tokens import TokenCounter


@dataclass(slots=True)
class HunkPiece:
    """A hunk, or a run of its lines, with its rendered text and token count."""

    hunk: Hunk
    text: str
    tokens: int

    @property
    def changed_count(self) -> int:
        return self.hunk.changed_count


@dataclass(slots=True)
class FilePart:
    file: FileDiff
    pieces: list[HunkPiece] = field(default_factory=list)
    part: int = 1
    parts: int = 1
    header_tokens: int = 0

    @property
    def tokens(self) -> int:
        return self.header_tokens + sum(p.tokens for p in self.pieces)

    @property
    def changed_count(self) -> int:
        return sum(p.changed_count for p in self.pieces)

    @property
    def path(self) -> str:
        return self.file.path


@dataclass(slots=True)
class Chunk:
    index: int
    parts: list[FilePart] = field(default_factory=list)

    @property
    def tokens(self) -> int:
        return sum(p.tokens for p in self.parts)

    @property
    def changed_count(self) -> int:
        return sum(p.changed_count for p in self.parts)

    @property
    def paths(self) -> list[str]:
        seen: dict[str, None] = {}
        for part in self.parts:
            seen.setdefault(part.path, None)
        return list(seen)

    def new_side_lines(self, path: str) -> dict[int, str]:
        """New-side line number -> code, for the lines of `path` this chunk showed the model."""
        lines: dict[int, str] = {}
        for part in self.parts:
            if part.path == path:
                for piece in part.pieces:
                    for ln in piece.hunk.lines:
                        if ln.new_no is not None:
                            lines[ln.new_no] = ln.text
        return lines


@dataclass(slots=True)
class OversizedLine:
    path: str
    new_no: int | None
    old_no: int | None
    tokens: int


@dataclass(slots=True)
class ChunkPlan:
    chunks: list[Chunk]
    budget: int
    oversized: list[OversizedLine] = field(default_factory=list)

    @property
    def changed_count(self) -> int:
        return sum(c.changed_count for c in self.chunks)


def file_header(file: FileDiff, part: int = 1, parts: int = 1) -> str:
    """The line that introduces a file to the model (also counted against the budget)."""
    status = file.status.value
    if file.old_path and file.old_path != file.path:
        status += f" from {file.old_path}"
    suffix = f" [part {part}/{parts}]" if parts > 1 else ""
    return f"### {file.path} ({status}){suffix}\n"


def _split_hunk(
    hunk: Hunk,
    budget: int,
    first_room: int,
    counter: TokenCounter,
    path: str,
    oversized: list[OversizedLine],
) -> list[HunkPiece]:
    """Cut a hunk too large for `budget` into runs of whole lines, each with its own header.

    The first run gets at most `first_room` tokens (the room left in the current file part).
    """
    width = number_width(hunk)
    line_texts = [format_lines([ln], width) for ln in hunk.lines]
    line_tokens = counter.count_many(line_texts)
    # Plan with the costliest header a run can have (numbers at their widest), record the
    # real one.
    widest = Hunk(
        hunk.old_start + hunk.old_count,
        hunk.old_count,
        hunk.new_start + hunk.new_count,
        hunk.new_count,
        hunk.section,
    )
    header_cost = counter.count(widest.header + "\n")
    pieces: list[HunkPiece] = []
    # The old/new line a run follows: a side with no lines in the run starts there, as in
    # `@@ -5,0 +6,2 @@` (git's convention for an empty side).
    old_before = hunk.old_start - 1 if hunk.old_count else hunk.old_start
    new_before = hunk.new_start - 1 if hunk.new_count else hunk.new_start
    run: list[DiffLine] = []
    run_texts: list[str] = []
    run_tokens = header_cost
    run_changes = False
    limit = first_room

    def close() -> None:
        nonlocal run, run_texts, run_tokens, run_changes, old_before, new_before, limit
        old_nos = [ln.old_no for ln in run if ln.old_no is not None]
        new_nos = [ln.new_no for ln in run if ln.new_no is not None]
        if run_changes:
            sub = Hunk(
                old_nos[0] if old_nos else old_before,
                len(old_nos),
                new_nos[0] if new_nos else new_before,
                len(new_nos),
                hunk.section,
                run,
            )
            header = sub.header + "\n"
            tokens = run_tokens - header_cost + counter.count(header)
            pieces.append(HunkPiece(sub, header + "".join(run_texts), tokens))
        if old_nos:
            old_before = old_nos[-1]
        if new_nos:
            new_before = new_nos[-1]
        run, run_texts, run_tokens, run_changes, limit = [], [], header_cost, False, budget

    for line, text, tokens in zip(hunk.lines, line_texts, line_tokens, strict=True):
        if header_cost + tokens > budget:
            if is_change(line):
                oversized.append(OversizedLine(path, line.new_no, line.old_no, tokens))
            # The line is left out, so the run after it starts a new sub-hunk.
            close()
            if line.old_no is not None:
                old_before = line.old_no
            if line.new_no is not None:
                new_before = line.new_no
            continue
        if run_tokens + tokens > limit:
            close()
        run.append(line)
        run_texts.append(text)
        run_tokens += tokens
        run_changes = run_changes or is_change(line)
    close()
    return pieces


# Header of a split file, priced with the widest part label it could carry.
_MANY = 10**6


def _file_parts(
    file: FileDiff,
    hunk_texts: list[str],
    hunk_tokens: list[int],
    budget: int,
    counter: TokenCounter,
    oversized: list[OversizedLine],
) -> list[FilePart]:
    """The file in one part if it fits, else in parts filled in order up to the budget."""
    if not file.hunks:
        return []
    whole_header = counter.count(file_header(file))
    if whole_header + sum(hunk_tokens) <= budget:
        whole = zip(file.hunks, hunk_texts, hunk_tokens, strict=True)
        return [FilePart(file, [HunkPiece(*w) for w in whole], header_tokens=whole_header)]
    header_tokens = counter.count(file_header(file, _MANY, _MANY))
    piece_budget = max(budget - header_tokens, 1)
    parts: list[FilePart] = []
    current = FilePart(file, header_tokens=header_tokens)
    for hunk, text, tokens in zip(file.hunks, hunk_texts, hunk_tokens, strict=True):
        if tokens <= piece_budget:
            pieces = [HunkPiece(hunk, text, tokens)]
        else:
            # Split anyway, so its first lines may as well fill the current part.
            room = budget - current.tokens
            pieces = _split_hunk(hunk, piece_budget, room, counter, file.path, oversized)
        for piece in pieces:
            if current.pieces and current.tokens + piece.tokens > budget:
                parts.append(current)
                current = FilePart(file, header_tokens=header_tokens)
            current.pieces.append(piece)
    if current.pieces:
        parts.append(current)
    labels = [file_header(file, n, len(parts)) for n in range(1, len(parts) + 1)]
    for number, (part, tokens) in enumerate(zip(parts, counter.count_many(labels), strict=True), 1):
        part.part, part.parts, part.header_tokens = number, len(parts), tokens
    return parts


def plan_chunks(files: list[FileDiff], budget: int, counter: TokenCounter) -> ChunkPlan:
    """Pack file parts into few chunks of at most `budget` tokens (first-fit decreasing).

    Parts go, largest first, into the first chunk with room. Chunks are then ordered by the
    diff order of their files, as far as keeping every split file's parts in order allows:
    a part of a split file only goes into a chunk where that order remains possible.
    """
    with gc_paused():  # many small objects, no cycles: see diffparse.gc_paused
        return _plan_chunks(files, budget, counter)


def _plan_chunks(files: list[FileDiff], budget: int, counter: TokenCounter) -> ChunkPlan:
    oversized: list[OversizedLine] = []
    texts = [format_hunk(h) for f in files for h in f.hunks]
    counts = counter.count_many(texts)
    parts: list[FilePart] = []
    at = 0
    for file in files:
        end = at + len(file.hunks)
        parts.extend(_file_parts(file, texts[at:end], counts[at:end], budget, counter, oversized))
        at = end

    bins: list[list[FilePart]] = []
    room: list[int] = []
    later: dict[int, set[int]] = {}  # chunk -> chunks that must come after it
    placed: dict[tuple[int, int], int] = {}  # (file, part number) -> its chunk

    def reaches(start: int, goal: int) -> bool:
        stack, seen = [start], {start}
        while stack:
            node = stack.pop()
            if node == goal:
                return True
            for nxt in later.get(node, ()):
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        return False

    smallest = min((p.tokens for p in parts), default=0)
    # Chunks with room for the smallest part; the others are not searched again.
    open_bins: list[int] = []
    for part in sorted(parts, key=lambda p: -p.tokens):
        cost = part.tokens
        before = after = None
        if part.parts > 1:
            # The nearest parts of the same file already placed: this part's chunk must
            # come after the one and before the other.
            key = id(part.file)
            before = next(
                (placed[(key, n)] for n in range(part.part - 1, 0, -1) if (key, n) in placed), None
            )
            after = next(
                (
                    placed[(key, n)]
                    for n in range(part.part + 1, part.parts + 1)
                    if (key, n) in placed
                ),
                None,
            )
        slot = next(
            (
                b
                for b in open_bins
                if room[b] >= cost
                and (before is None or not reaches(b, before))
                and (after is None or not reaches(after, b))
            ),
            None,
        )
        if slot is None:
            slot = len(bins)
            bins.append([])
            room.append(budget)
            open_bins.append(slot)
        bins[slot].append(part)
        room[slot] -= cost
        if room[slot] < smallest:
            open_bins.remove(slot)
        if part.parts > 1:
            placed[(id(part.file), part.part)] = slot
            if before is not None:
                later.setdefault(before, set()).add(slot)
            if after is not None:
                later.setdefault(slot, set()).add(after)
    order = {id(f): n for n, f in enumerate(files)}
    for b in bins:
        b.sort(key=lambda p: (order[id(p.file)], p.part))
    keys = [(order[id(b[0].file)], b[0].part) for b in bins]
    chunks = [Chunk(index=i, parts=bins[b]) for i, b in enumerate(_chunk_order(keys, later))]
    return ChunkPlan(chunks=chunks, budget=budget, oversized=oversized)


def _chunk_order(keys: list[tuple[int, int]], later: dict[int, set[int]]) -> list[int]:
    """Chunk indexes sorted by `keys`, but never a chunk before one it must come `later` than.

    Packing only adds a constraint that keeps the graph acyclic, so this topological sort
    (smallest key first among the chunks free to go) returns every chunk.
    """
    waiting = [0] * len(keys)
    for targets in later.values():
        for b in targets:
            waiting[b] += 1
    ready = [(key, b) for b, key in enumerate(keys) if not waiting[b]]
    heapq.heapify(ready)
    result: list[int] = []
    while ready:
        _, b = heapq.heappop(ready)
        result.append(b)
        for nxt in later.get(b, ()):
            waiting[nxt] -= 1
            if not waiting[nxt]:
                heapq.heappush(ready, (keys[nxt], nxt))
    assert len(result) == len(keys), "chunk order constraints form a cycle"
    return result
