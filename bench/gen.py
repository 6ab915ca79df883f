"""Generated pull requests: a real git repository, a base commit, a change, `git diff`.

The change of a case adds exactly `added` lines over `files` files: one giant file, many tiny
ones, the rest in between; most files are modified in several hunks (replaced, inserted and
removed lines), some are new. The code is varied Python with a few CJK comment lines.
"""

from __future__ import annotations

import random
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

_WORDS = (
    *("user", "order", "item", "cache", "token", "session", "payload", "record", "config"),
    *("buffer", "result", "index", "total", "limit", "offset", "count", "name", "path"),
    *("value", "key", "request", "response", "client", "server", "queue", "batch", "price"),
    *("amount", "retry", "timeout", "handler", "event", "stream", "chunk", "parser", "report"),
)
_TYPES = ("int", "str", "float", "bool", "bytes", "list[str]", "dict[str, int]", "None")
_CJK = (
    "# 检查输入是否为空，避免后面出错",
    "# 这里需要加锁，否则并发时会重复写入",
    "# TODO: 重构这段逻辑，目前性能太差",
    "# 注意：时间戳使用 UTC",
    "# 缓存失效后重新加载配置",
    "# ユーザー入力を検証する",
)


def _name(rng: random.Random, parts: int = 2) -> str:
    return "_".join(rng.choice(_WORDS) for _ in range(parts))


def cjk_comment(rng: random.Random, indent: str = "    ") -> str:
    return f"{indent}{rng.choice(_CJK)}（{_name(rng, 1)}）"


def _code_line(rng: random.Random) -> str:
    """One plausible line of Python, indented, rarely a CJK comment."""
    a, b, c = _name(rng), _name(rng, 1), _name(rng)
    n = rng.randint(0, 999)
    kind = rng.randrange(16)
    indent = " " * rng.choice((0, 4, 4, 8, 8, 12))
    if kind == 0:
        return f"def {a}({b}: {rng.choice(_TYPES)}, {c}: int = {n}) -> {rng.choice(_TYPES)}:"
    if kind == 1:
        return f"{indent}{a} = {b}.get({c!r}, {n})"
    if kind == 2:
        return f"{indent}if {a} is None or len({b}) > {n}:"
    if kind == 3:
        return f"{indent}return {{{b!r}: {a}, {c!r}: {n}}}"
    if kind == 4:
        return f"{indent}for {b} in self.{a}[:{n}]:"
    if kind == 5:
        return f'{indent}logger.info("{a} %s of %d", {b}, {n})'
    if kind == 6:
        return f'{indent}raise ValueError(f"bad {b}: {{{a}!r}}")'
    if kind == 7:
        return f"{indent}{a} += {b} * {n} / max({c}, 1)"
    if kind == 8:
        return f"class {a.title().replace('_', '')}({b.title()}Base):"
    if kind == 9:
        return f"{indent}with open({a}, encoding='utf-8') as {b}:"
    if kind == 10:
        return f"{indent}self.{a} = [{b} for {b} in {c} if {b}.{a} >= {n}]"
    if kind == 11:
        return f"{indent}try:" if rng.random() < 0.5 else f"{indent}except KeyError as {b}:"
    if kind == 12:
        return cjk_comment(rng, indent) if rng.random() < 0.3 else f"{indent}# {a} {c}"
    if kind == 13:
        return f"import {b}" if rng.random() < 0.5 else f"from {b}.{c} import {a}"
    if kind == 14:
        return ""
    return f"{indent}{a} = await self.{b}.{c}({n}, timeout={rng.random():.2f})"


def code_lines(rng: random.Random, count: int, avoid: set[str] | None = None) -> list[str]:
    """`count` lines, none of them in `avoid`: git then shows every one of them as added."""
    lines: list[str] = []
    while len(lines) < count:
        line = _code_line(rng)
        if avoid is None or line not in avoid:
            lines.append(line)
    return lines


@dataclass(frozen=True)
class FilePlan:
    path: str
    added: int
    new: bool


def _file_sizes(added: int, files: int, rng: random.Random) -> list[int]:
    """`files` counts of added lines summing to `added`: one giant, many tiny, a middle."""
    files = max(1, min(files, added))
    if files == 1:
        return [added]
    giant = added * 3 // 10
    tiny_count = (files - 1) // 2
    tiny = [rng.randint(1, 3) for _ in range(tiny_count)]
    middle_count = files - 1 - tiny_count
    rest = added - giant - sum(tiny)
    if rest < middle_count:  # small cases: no giant file, everything tiny-ish
        sizes = [1] * files
        for _ in range(added - files):
            sizes[rng.randrange(files)] += 1
        return sizes
    weights = [rng.uniform(0.2, 3.0) for _ in range(middle_count)]
    middle = [1 + int((rest - middle_count) * w / sum(weights)) for w in weights]
    middle[0] += rest - sum(middle)
    return [giant, *tiny, *middle]


def plan_files(added: int, files: int, seed: int) -> list[FilePlan]:
    rng = random.Random(seed)
    sizes = _file_sizes(added, files, rng)
    plans = []
    for number, size in enumerate(sizes):
        folder = f"pkg{number % 23}/mod{number % 7}" if number else "core"
        new = number > 0 and rng.random() < 0.1
        plans.append(FilePlan(f"{folder}/{_name(rng)}_{number}.py", size, new))
    return plans


def _edit(base: list[str], added: int, rng: random.Random) -> list[str]:
    """The base with `added` new lines: replacements, insertions and a few removals.

    Edits touch base lines only, so git shows exactly `added` added lines. A large file also
    gets one long contiguous block, so a hunk must be split.
    """
    avoid = set(base)
    block = added // 3 if added >= 300 else 0
    runs = [block] if block else []
    left = added - block
    while left:
        runs.append(min(left, rng.randint(1, 12)))
        left -= runs[-1]
    edits = sorted((rng.randrange(len(base) + 1), run) for run in runs)
    first_cjk = added >= 5  # every file of some size gets a CJK comment line
    out: list[str] = []
    at = 0
    for position, (start, run) in enumerate(edits):
        out.extend(base[at:start])
        at = max(at, start)
        limit = edits[position + 1][0] if position + 1 < len(edits) else len(base)
        removed = min(rng.choice((0, 0, 1, run, run + 2)), max(0, limit - at))
        at += removed
        new = code_lines(rng, run, avoid)
        if first_cjk and (comment := cjk_comment(rng)) not in avoid:
            new[0], first_cjk = comment, False
        out.extend(new)
    out.extend(base[at:])
    return out


def _write(root: Path, path: str, lines: list[str]) -> None:
    target = root / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("".join(line + "\n" for line in lines), encoding="utf-8")


def _git(root: Path, *args: str) -> str:
    env = {
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "bench",
        "GIT_AUTHOR_EMAIL": "bench@example.com",
        "GIT_COMMITTER_NAME": "bench",
        "GIT_COMMITTER_EMAIL": "bench@example.com",
        "GIT_AUTHOR_DATE": "2024-01-01T00:00:00Z",
        "GIT_COMMITTER_DATE": "2024-01-01T00:00:00Z",
        "LC_ALL": "C",
        "PATH": "/usr/local/bin:/usr/bin:/bin",
    }
    done = subprocess.run(
        ["git", *args], cwd=root, env=env, capture_output=True, check=True, text=True
    )
    return done.stdout


def generate_diff(added: int, files: int, seed: int = 5) -> str:
    """`git diff` of a generated change adding `added` lines over about `files` files."""
    rng = random.Random(seed + 1)
    plans = plan_files(added, files, seed)
    with tempfile.TemporaryDirectory(prefix="reviewbot-bench-") as tmp:
        root = Path(tmp)
        _git(root, "init", "-q", "-b", "main")
        bases: dict[str, list[str]] = {}
        for plan in plans:
            if not plan.new:
                bases[plan.path] = code_lines(rng, max(20, plan.added * 2))
                _write(root, plan.path, bases[plan.path])
        _git(root, "add", "-A")
        _git(root, "commit", "-q", "-m", "base")
        for plan in plans:
            base = bases.get(plan.path, [])
            _write(root, plan.path, _edit(base, plan.added, rng))
        _git(root, "add", "-A")
        return _git(root, "diff", "--cached", "-M", "HEAD")
