"""A throwaway git repository for tests that need real `git diff` output.

    repo = GitRepo(tmp_path)
    repo.write("app.py", "a = 1\n")
    repo.commit("base")
    repo.write("app.py", "a = 2\n")
    text = repo.diff()          # staged + unstaged changes against HEAD, with -M

The repository ignores the user's and the system's git configuration, so settings such as
diff.noprefix, core.autocrlf or diff.external cannot change what the tests see.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

GIT = shutil.which("git")

_CONFIG = {
    "user.name": "Test",
    "user.email": "test@example.com",
    "core.autocrlf": "false",
    "core.quotepath": "true",
    "commit.gpgsign": "false",
}


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_DATE="2024-01-01T00:00:00Z",
        GIT_COMMITTER_DATE="2024-01-01T00:00:00Z",
        LC_ALL="C",
    )
    return env


class GitRepo:
    """A git repository in `root` (created if needed); all paths are relative to it."""

    def __init__(self, root: Path | str) -> None:
        if GIT is None:
            raise RuntimeError("git is not installed")
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._env = _environment()
        self.run("init", "-q", "-b", "main")
        for key, value in _CONFIG.items():
            self.run("config", key, value)

    def run_bytes(self, *args: str) -> bytes:
        """Run `git <args>` in the repository and return its raw stdout."""
        assert GIT is not None
        done = subprocess.run(
            [GIT, *args], cwd=self.root, env=self._env, capture_output=True, check=False
        )
        if done.returncode != 0:
            message = done.stderr.decode("utf-8", "replace").strip()
            raise RuntimeError(f"git {' '.join(args)} failed ({done.returncode}): {message}")
        return done.stdout

    def run(self, *args: str) -> str:
        """Run `git <args>` and return stdout decoded as UTF-8 (newlines untouched)."""
        return self.run_bytes(*args).decode("utf-8", "surrogateescape")

    def path(self, name: str) -> Path:
        return self.root / name

    def write(self, name: str, content: str | bytes) -> Path:
        """Write a file exactly (str as UTF-8, no newline translation), making parent dirs."""
        target = self.path(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.is_symlink():
            target.unlink()
        data = content.encode("utf-8") if isinstance(content, str) else content
        target.write_bytes(data)
        return target

    def read(self, name: str) -> str:
        return self.path(name).read_bytes().decode("utf-8")

    def remove(self, name: str) -> None:
        self.path(name).unlink()

    def symlink(self, name: str, points_to: str) -> None:
        target = self.path(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists() or target.is_symlink():
            target.unlink()
        os.symlink(points_to, target)

    def chmod(self, name: str, mode: int) -> None:
        self.path(name).chmod(mode)

    def move(self, old: str, new: str) -> None:
        self.path(new).parent.mkdir(parents=True, exist_ok=True)
        self.path(old).rename(self.path(new))

    def commit(self, message: str = "change") -> str:
        """Stage everything and commit it (empty commits allowed); returns the commit id."""
        self.run("add", "-A")
        self.run("commit", "-q", "--allow-empty", "-m", message)
        return self.run("rev-parse", "HEAD").strip()

    def diff(self, *args: str) -> str:
        """`git diff -M --cached <args>` after staging everything: the pending change vs HEAD.

        New, deleted and renamed files show up because the work tree is staged first.
        """
        self.run("add", "-A")
        return self.run("diff", "--cached", "-M", *args)

    def diff_bytes(self, *args: str) -> bytes:
        self.run("add", "-A")
        return self.run_bytes("diff", "--cached", "-M", *args)

    def diff_commits(self, base: str, head: str, *args: str) -> str:
        return self.run("diff", "-M", *args, base, head)

    def show(self, revision: str, name: str) -> str:
        """A file's content at a revision (`git show REV:PATH`)."""
        return self.run("show", f"{revision}:{name}")
