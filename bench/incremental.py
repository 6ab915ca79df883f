"""Tokens a pull request's life costs, with incremental review and without (issue 13).

`python bench/incremental.py [--files 30] [--pushes 10]`

A pull request is opened with a large change (every file of a generated repository changed)
and then receives small pushes (a couple of lines of one file each). Each push is reviewed and
posted as the GitHub Action does, against the local fake GitHub and fake model servers from
`tests/`, once with incremental review and once reviewing the whole pull request every time
(with the review cache off, as on a fresh Actions runner). It prints the tokens each push
sent and the ratio; the target is at most 25% of the non-incremental tokens.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from answers import one_issue_per_file  # noqa: E402
from fake_github import FakeGitHub  # noqa: E402
from fake_openai import FakeOpenAI  # noqa: E402
from gitrepo import GitRepo  # noqa: E402

from reviewbot.config import load_settings  # noqa: E402
from reviewbot.github.connection import connect  # noqa: E402
from reviewbot.github.pullreview import review_pull  # noqa: E402

TOKEN = "ghs_benchtoken"
KEY = "sk-bench-0123456789abcdef0123456789abcdef"
REPO = "bench/widgets"
TARGET = 0.25


@dataclass(frozen=True)
class Push:
    head: str
    pr_diff: str  # the pull request's whole diff at this head
    change: str | None  # what this push changed since the previous head


def _module(index: int, lines: int) -> str:
    out = [f'"""Module {index}."""', "", "import logging", "", "log = logging.getLogger(__name__)"]
    for n in range(lines - len(out)):
        if n % 10 == 0:
            out.append(f"def handler_{index}_{n}(value: int) -> int:")
        elif n % 10 == 9:
            out.append("")
        else:
            out.append(f"    value = value * {n % 7 + 1} + {index}  # step {n}")
    return "\n".join(out) + "\n"


def _edit(text: str, every: int, start: int, count: int, tag: str) -> str:
    lines = text.splitlines()
    done = 0
    for i in range(start, len(lines), every):
        if lines[i].startswith("    value"):
            lines[i] = lines[i].replace("value *", f"value ^ {tag} *", 1)
            done += 1
            if done == count:
                break
    return "\n".join(lines) + "\n"


def history(root: Path, files: int, lines: int, pushes: int) -> tuple[str, list[Push]]:
    """The base commit, and `pushes` heads: one large change, then small ones."""
    repo = GitRepo(root)
    names = [f"src/mod_{i:02}.py" for i in range(files)]
    for i, name in enumerate(names):
        repo.write(name, _module(i, lines))
    base = repo.commit("base")
    for name in names:
        repo.write(name, _edit(repo.read(name), 3, 6, lines // 4, "0x5"))
    first = repo.commit("open the pull request")
    out = [Push(first, repo.diff_commits(base, first), None)]
    for p in range(1, pushes):
        name = names[(p * 7) % files]
        repo.write(name, _edit(repo.read(name), 11, 3 + p, 3, f"0x{p}a"))
        head = repo.commit(f"push {p}")
        out.append(Push(head, repo.diff_commits(base, head), repo.diff_commits(out[-1].head, head)))
    return base, out


def life(base: str, pushes: list[Push], incremental: bool) -> list[dict[str, int]]:
    """Review and post every push; the tokens and requests each one took."""
    rows = []
    with (
        FakeGitHub(tokens={TOKEN: "write"}) as github,
        FakeOpenAI(api_key=KEY, responder=one_issue_per_file) as model,
    ):
        github.add_pull(REPO, 1, pushes[0].pr_diff, head_sha=pushes[0].head, base_sha=base)
        settings = load_settings(
            {
                "model": "gpt-4o-mini",
                "base_url": model.base_url,
                "api_key": KEY,
                "cache": False,
                "incremental": incremental,
                # Review tokens only: the self-check's cost is measured in bench/verify_cost.py.
                "verify": False,
            }
        )
        for n, push in enumerate(pushes):
            if n:
                github.push(REPO, 1, push.pr_diff, head_sha=push.head, change=push.change)
            sent = len(model.requests)
            outcome = review_pull(
                connect(TOKEN, github.api_url, write_interval=0), REPO, 1, settings, post=True
            )
            stats = outcome.result.stats
            rows.append(
                {
                    "prompt_tokens": stats.prompt_tokens,
                    "completion_tokens": stats.completion_tokens,
                    "requests": len(model.requests) - sent,
                    "changed_lines": stats.changed_lines,
                }
            )
        assert github.rejected == [], github.rejected
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=30, help="files of the pull request")
    parser.add_argument("--lines", type=int, default=240, help="lines per file")
    parser.add_argument("--pushes", type=int, default=10, help="pushes, the first one large")
    args = parser.parse_args(argv)
    os.environ["REVIEWBOT_GITHUB_WRITE_INTERVAL"] = "0"
    with tempfile.TemporaryDirectory() as tmp:
        base, pushes = history(Path(tmp) / "repo", args.files, args.lines, args.pushes)
        full = life(base, pushes, incremental=False)
        incr = life(base, pushes, incremental=True)
    print(f"{'push':>4}  {'full: tokens':>12} {'req':>4}   {'incremental: tokens':>19} {'req':>4}")
    for n, (a, b) in enumerate(zip(full, incr, strict=True), 1):
        ta = a["prompt_tokens"] + a["completion_tokens"]
        tb = b["prompt_tokens"] + b["completion_tokens"]
        print(f"{n:>4}  {ta:>12,} {a['requests']:>4}   {tb:>19,} {b['requests']:>4}")
    total_full = sum(r["prompt_tokens"] + r["completion_tokens"] for r in full)
    total_incr = sum(r["prompt_tokens"] + r["completion_tokens"] for r in incr)
    later_full = total_full - (full[0]["prompt_tokens"] + full[0]["completion_tokens"])
    later_incr = total_incr - (incr[0]["prompt_tokens"] + incr[0]["completion_tokens"])
    ratio = total_incr / total_full
    print(f"total: {total_full:,} tokens without incremental review, {total_incr:,} with")
    print(
        f"ratio over the {len(pushes)} pushes: {ratio:.1%} (target at most {TARGET:.0%}: "
        f"{'met' if ratio <= TARGET else 'missed'})"
    )
    if later_full:
        print(f"the {len(pushes) - 1} small pushes alone: {later_incr / later_full:.1%}")
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
