"""Each case's diff: given inline, or `git diff BASE HEAD` in a local clone.

A case whose clone or commits are missing is skipped with the reason; the run goes on.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from reviewbot.change import Change
from reviewbot.diffparse import parse_diff
from reviewbot.evaluate.dataset import Case
from reviewbot.sources import SourceError, decode

# Like the CLI's git source: the user's diff settings must not change what the model sees.
_SAFE_CONFIG = [
    "-c",
    "core.quotePath=true",
    "-c",
    "diff.noprefix=false",
    "-c",
    "diff.mnemonicPrefix=false",
]
_DIFF_ARGS = ["diff", "--no-color", "--no-ext-diff", "--no-textconv", "-M"]
_DIFF_ARGS += ["--src-prefix=a/", "--dst-prefix=b/"]
CLONE_TIMEOUT = 1800.0


class Unavailable(SourceError):
    """The case's diff cannot be had; the message is the reason it is skipped."""


@dataclass(frozen=True)
class Acquirer:
    """Where clones live (`repos/<owner>/<name>`) and whether missing ones may be fetched."""

    repos: Path | None = None
    clone: bool = False

    def diff_for(self, case: Case) -> str:
        if case.diff is not None:
            return case.diff
        assert case.base is not None and case.head is not None  # Case validates this
        repo = self._repository(case)
        for commit in (case.base, case.head):
            self._ensure_commit(repo, commit, case)
        return decode(_git([*_DIFF_ARGS, case.base, case.head, "--"], repo))

    def _repository(self, case: Case) -> Path:
        if case.repo is not None:
            if not (case.repo / ".git").exists() and not _is_bare(case.repo):
                raise Unavailable(f"no git repository at {case.repo}")
            return case.repo
        assert case.github_repo is not None
        if self.repos is None:
            raise Unavailable(f"no clone of {case.github_repo}: pass --repos DIR")
        path = self.repos / case.github_repo
        if (path / ".git").exists() or _is_bare(path):
            return path
        if not self.clone:
            raise Unavailable(
                f"no clone of {case.github_repo} at {path} (clone it there, or pass --clone)"
            )
        url = f"https://github.com/{case.github_repo}"
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            _git(["clone", "--quiet", "--no-checkout", url, str(path)], None, CLONE_TIMEOUT)
        except Unavailable as exc:
            raise Unavailable(f"cannot clone {url}: {exc}") from None
        return path

    def _ensure_commit(self, repo: Path, commit: str, case: Case) -> None:
        if _has_commit(repo, commit):
            return
        if self.clone and case.github_repo is not None:
            with contextlib.suppress(Unavailable):
                _git(["fetch", "--quiet", "origin", commit], repo, CLONE_TIMEOUT)
            if _has_commit(repo, commit):
                return
        raise Unavailable(f"commit {commit[:12]} is not in {repo}")


def _is_bare(path: Path) -> bool:
    return (path / "HEAD").is_file() and (path / "objects").is_dir()


def _has_commit(repo: Path, commit: str) -> bool:
    try:
        _git(["cat-file", "-e", f"{commit}^{{commit}}"], repo)
    except Unavailable:
        return False
    return True


def _git(args: list[str], cwd: Path | None, timeout: float | None = None) -> bytes:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env["GIT_TERMINAL_PROMPT"] = "0"  # a private or missing repository fails, never prompts
    try:
        done = subprocess.run(
            ["git", *_SAFE_CONFIG, *args],
            cwd=cwd,
            env=env,
            capture_output=True,
            check=False,
            timeout=timeout,
        )
    except FileNotFoundError:
        raise Unavailable("git is not installed or not on PATH") from None
    except subprocess.TimeoutExpired:
        raise Unavailable(f"git {args[0]} took longer than {timeout:.0f}s") from None
    if done.returncode != 0:
        lines = decode(done.stderr).strip().splitlines()
        raise Unavailable(f"git {args[0]} failed: {lines[0] if lines else 'unknown error'}")
    return done.stdout


@dataclass(frozen=True)
class CaseDiff:
    """A case as a DiffSource: the change the review pipeline gets."""

    case: Case
    acquirer: Acquirer

    def read(self) -> Change:
        return Change(parse_diff(self.acquirer.diff_for(self.case)))
