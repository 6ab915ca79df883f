"""The repository owners' rules: AGENTS.md (or .github/copilot-instructions.md) and the config's
path-scoped `[[rules]]`.

The files are read from the base side through a `Reader` (path -> text or None): a change must
not rewrite the rules it is reviewed by. Locally that is `git show <rev>:<path>`; on GitHub the
contents API at the base commit (reviewbot.github.basefiles). The text is capped in tokens.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pathspec
from pydantic import BaseModel, ConfigDict, Field

from reviewbot.tokens import TokenCounter

RULES_FILES = ("AGENTS.md", ".github/copilot-instructions.md")
MAX_RULES_TOKENS = 2000
MAX_RULES_BYTES = 512 * 1024  # read no more than this of a rules file; the cap cuts far sooner

Reader = Callable[[str], str | None]


class PathRule(BaseModel):
    """One `[[rules]]` table of the config: `text` for the files matching `paths`."""

    model_config = ConfigDict(extra="forbid")

    paths: list[str] = Field(min_length=1)
    text: str = Field(min_length=1)


@dataclass(frozen=True)
class RepoRules:
    text: str | None = None
    source: str | None = None  # the file it came from
    cut: bool = False


def cap_tokens(text: str, counter: TokenCounter, cap: int) -> tuple[str, bool]:
    """`text` cut at a line boundary to at most `cap` tokens; True when it was cut."""
    if counter.count(text) <= cap:
        return text, False
    lines = text.splitlines(keepends=True)
    kept: list[str] = []
    used = 0
    for line, tokens in zip(lines, counter.count_many(lines), strict=True):
        if used + tokens > cap:
            if not kept:  # one enormous first line: keep a proportional share of it
                share = max(0, int(len(line) * (cap - used) / max(tokens, 1)))
                kept.append(line[:share])
            break
        kept.append(line)
        used += tokens
    return "".join(kept).rstrip(), True


def read_repo_rules(read: Reader, counter: TokenCounter, cap: int = MAX_RULES_TOKENS) -> RepoRules:
    """AGENTS.md at the root, else .github/copilot-instructions.md, capped at `cap` tokens."""
    for name in RULES_FILES:
        text = read(name)
        if text is None or not text.strip():
            continue
        body, cut = cap_tokens(text.strip(), counter, cap)
        if cut:
            body += f"\n[{name} was cut here: the repository's rules are capped at {cap:,} tokens]"
        return RepoRules(body, name, cut)
    return RepoRules()


def rules_for_paths(rules: Sequence[PathRule], paths: Sequence[str]) -> list[str]:
    """The `text` of every rule whose globs match one of `paths`, in config order."""
    out = []
    for rule in rules:
        spec = pathspec.GitIgnoreSpec.from_lines(rule.paths)
        if any(spec.match_file(path) for path in paths):
            out.append(rule.text.strip())
    return out


def owners_rules(
    instructions: str | None, repo: RepoRules, path_rules: Sequence[str] = ()
) -> str | None:
    """Everything the owners ask, for the system prompt: config instructions, the repository's
    rules file, then the rules for this chunk's paths."""
    parts = [(instructions or "").strip()]
    if repo.text:
        parts.append(f"From {repo.source}:\n{repo.text}")
    parts.extend(path_rules)
    joined = "\n\n".join(p for p in parts if p)
    return joined or None


# -- reading the base side locally ---------------------------------------------------------------


def _git(args: list[str], cwd: Path | None) -> bytes | None:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


def local_base_rev(base: str | None, cwd: Path | None = None) -> str | None:
    """The commit whose rules apply: the merge base with `base`, else HEAD; None outside git
    (or in a repository without commits)."""
    if base is not None:
        out = _git(["merge-base", base, "HEAD"], cwd)
    else:
        out = _git(["rev-parse", "--verify", "--quiet", "HEAD^{commit}"], cwd)
    sha = out.decode("ascii", "replace").strip() if out else ""
    return sha or None


def git_reader(rev: str, cwd: Path | None = None, max_bytes: int = MAX_RULES_BYTES) -> Reader:
    """Files (paths from the repository root) as they are in commit `rev`, or in the index for
    `rev == ""`; blobs only: a directory or a missing path is None."""

    def read(path: str) -> str | None:
        kind = _git(["cat-file", "-t", f"{rev}:{path}"], cwd)
        if kind is None or kind.strip() != b"blob":
            return None
        data = _git(["cat-file", "blob", f"{rev}:{path}"], cwd)
        if data is None:
            return None
        return data[:max_bytes].decode("utf-8", "replace")

    return read
