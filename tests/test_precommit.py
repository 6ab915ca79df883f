"""The pre-commit hook for real: pre-commit installs this checkout into its own environment and
runs `reviewbot --staged` on commits in a throwaway repository, against the local model server.

The hook repository is a snapshot of this checkout's working tree (tracked files with their
uncommitted edits, plus untracked files that are not ignored), committed in a temporary
repository. `pre-commit try-repo <checkout>` itself only carries staged and tracked changes
over, so a new file that is not yet added (such as a fresh `.pre-commit-hooks.yaml`) would be
missing from what it tests; the snapshot tests exactly what is on disk.

`try-repo` builds a fresh hook environment every time (its store is a temporary directory), so
it is run once; the other tests use an ordinary `.pre-commit-config.yaml` pointing at the same
snapshot, with one PRE_COMMIT_HOME for the session, so that environment is built once.
Building an environment pip-installs the checkout and its dependencies (PyPI or a local wheel
directory): expect 15-60 s for each of the two builds, a few seconds for each later run.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from answers import one_issue_per_file, shown_files
from fake_openai import FakeOpenAI, RecordedRequest, Reply
from gitrepo import GitRepo
from keys import TEST_KEY

pytestmark = pytest.mark.timeout(600)  # environment builds reach PyPI; runs are seconds

CHECKOUT = Path(__file__).resolve().parents[1]
HOOK_TIMEOUT = 300

APP = "def add(a, b):\n    return a + b\n"
STAGED = APP + "def divide(a, b):\n    return a / b\n"
UNSTAGED = STAGED + "\n\nUNSTAGED_SECRET_PLAN = 'not for the model'\n"


@dataclass(frozen=True)
class HookRepo:
    path: Path
    rev: str


def _checkout_files() -> list[str]:
    if not (CHECKOUT / ".git").exists():
        pytest.fail(f"{CHECKOUT} is not a git checkout: the hook test needs one")
    done = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=CHECKOUT,
        capture_output=True,
        check=True,
    )
    return [name for name in done.stdout.decode("utf-8").split("\0") if name]


@pytest.fixture(scope="session")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> HookRepo:
    """This checkout's working tree, committed in a repository of its own."""
    root = tmp_path_factory.mktemp("hook-repo")
    for name in _checkout_files():
        source = CHECKOUT / name
        if not source.is_file():
            continue  # deleted in the working tree, or a submodule
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
    assert (root / ".pre-commit-hooks.yaml").is_file()
    repo = GitRepo(root)
    return HookRepo(root, repo.commit("snapshot of the checkout under test"))


def _base_env() -> dict[str, str]:
    """The environment without git, reviewbot, model or pre-commit settings of the developer."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("GIT_", "REVIEWBOT_", "OPENAI_", "PRE_COMMIT"))
        and not name.endswith("_API_KEY")
        and name not in ("PYTHONPATH", "SKIP")
    }
    env.update(GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1", PRE_COMMIT_COLOR="never")
    return env


def pre_commit(
    cwd: Path, *args: str, env: dict[str, str], timeout: float = HOOK_TIMEOUT
) -> subprocess.CompletedProcess[str]:
    """`python -m pre_commit ARGS`, with the pre-commit installed beside pytest."""
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _config(hook: HookRepo, args: list[str]) -> str:
    quoted = ", ".join(f'"{a}"' for a in args)
    return (
        "repos:\n"
        f"  - repo: {hook.path.as_posix()}\n"
        f"    rev: {hook.rev}\n"
        "    hooks:\n"
        "      - id: reviewbot\n"
        f"        args: [{quoted}]\n"
    )


@pytest.fixture(scope="session")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory, hook_repo: HookRepo) -> Path:
    """A PRE_COMMIT_HOME whose reviewbot environment is built once for the session."""
    home = tmp_path_factory.mktemp("pre-commit-home")
    repo = GitRepo(tmp_path_factory.mktemp("install-hooks"))
    repo.write(".pre-commit-config.yaml", _config(hook_repo, []))
    repo.commit("config")
    env = _base_env() | {"PRE_COMMIT_HOME": str(home)}
    done = pre_commit(repo.root, "install-hooks", env=env, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    return home


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


@dataclass
class Project:
    repo: GitRepo
    env: dict[str, str]

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return pre_commit(self.repo.root, "run", "--verbose", *args, env=self.env)

    def commit(self, message: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["git", "commit", "-q", "-m", message],
            cwd=self.repo.root,
            env=self.env | extra_env,
            capture_output=True,
            text=True,
            timeout=HOOK_TIMEOUT,
            check=False,
        )


def model_env(server: FakeOpenAI, *, key: str | None = TEST_KEY) -> dict[str, str]:
    env = {
        "OPENAI_BASE_URL": server.base_url,
        "REVIEWBOT_MODEL": "test-model",
        "REVIEWBOT_CACHE_DIR": os.environ["REVIEWBOT_CACHE_DIR"],  # this test's, from conftest
    }
    if key is not None:
        env["OPENAI_API_KEY"] = key
    return env


def staged_project(root: Path) -> GitRepo:
    """app.py and other.py committed; a new function staged in app.py; more edits unstaged."""
    repo = GitRepo(root)
    repo.write("app.py", APP)
    repo.write("other.py", "x = 1\n")
    repo.commit("base")
    repo.write("app.py", STAGED)
    repo.run("add", "app.py")
    repo.write("app.py", UNSTAGED)
    repo.write("other.py", "x = 'an unstaged change in another file'\n")
    return repo


@pytest.fixture
def make_project(
    tmp_path: Path, hook_repo: HookRepo, pre_commit_home: Path, model_server: FakeOpenAI
) -> Callable[..., Project]:
    def make(args: list[str] | None = None, **env: str) -> Project:
        repo = GitRepo(tmp_path / "project")
        repo.write(".pre-commit-config.yaml", _config(hook_repo, args or []))
        repo.commit("pre-commit config")
        staged_project(repo.root)
        full_env = _base_env() | {"PRE_COMMIT_HOME": str(pre_commit_home)}
        return Project(repo, full_env | model_env(model_server) | env)

    return make


def assert_only_staged_lines_were_sent(server: FakeOpenAI) -> None:
    assert server.requests, "the hook should have asked the model"
    for request in server.requests:
        user = request.user or ""
        assert "UNSTAGED_SECRET_PLAN" not in user
        assert "an unstaged change" not in user
        assert "other.py" not in shown_files(user)
    added = [code for _, code in shown_files(server.requests[0].user or "")["app.py"]]
    assert added == ["def divide(a, b):", "    return a / b"], "the staged diff, not the file"


# ---------------------------------------------------------------------- try-repo


def test_try_repo_blocks_a_high_finding_and_sends_only_the_staged_diff(
    hook_repo: HookRepo, model_server: FakeOpenAI, tmp_path: Path
) -> None:
    repo = staged_project(tmp_path / "project")
    model_server.responder = one_issue_per_file
    env = _base_env() | model_env(model_server)
    done = pre_commit(repo.root, "try-repo", str(hook_repo.path), "reviewbot", "--verbose", env=env)
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert "Failed" in output and "- exit code: 1" in output
    assert "app.py:3: high: Problem at app.py:3 — Explain and fix." in output
    assert "SKIP=reviewbot git commit" in output
    assert len(model_server.review_requests) == 1
    assert_only_staged_lines_were_sent(model_server)
    assert repo.read("app.py") == UNSTAGED, "pre-commit restores the unstaged edits"


# ---------------------------------------------------------------------- installed hook


@pytest.mark.parametrize(
    "args, high_finding, code",
    [
        ([], False, 0),
        ([], True, 1),
        (["--fail-on", "critical"], True, 0),
        (["--fail-on", "medium"], True, 1),
    ],
    ids=["clean", "high-blocks", "high-under-critical-passes", "high-over-medium-blocks"],
)
def test_hook_passes_or_blocks_by_threshold(
    make_project: Callable[..., Project],
    model_server: FakeOpenAI,
    args: list[str],
    high_finding: bool,
    code: int,
) -> None:
    project = make_project(args)
    if high_finding:
        model_server.responder = one_issue_per_file
    done = project.run()
    output = done.stdout + done.stderr
    assert done.returncode == code, output
    assert ("Passed" if code == 0 else "Failed") in output
    if high_finding:
        assert "app.py:3: high: Problem at app.py:3" in output
    else:
        assert "reviewbot: no findings, score 8/10" in output
    assert_only_staged_lines_were_sent(model_server)


def medium_issue_per_file(request: RecordedRequest) -> Reply:
    reply = one_issue_per_file(request, score=7)
    answer = json.loads(reply.content or "{}")
    for issue in answer["issues"]:
        issue["severity"] = "medium"
    return Reply(content=json.dumps(answer))


def test_findings_below_the_threshold_show_on_a_passing_hook(
    make_project: Callable[..., Project], model_server: FakeOpenAI
) -> None:
    """Without `pre-commit run --verbose`: the hook's own `verbose: true` shows them."""
    project = make_project()
    model_server.responder = medium_issue_per_file
    done = pre_commit(project.repo.root, "run", env=project.env)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "Passed" in output
    assert "app.py:3: medium: Problem at app.py:3 — Explain and fix." in output
    assert "reviewbot: 1 finding (1 medium), score 7/10" in output
    reviewbot_lines = [x for x in output.splitlines() if x.startswith(("app.py", "reviewbot:"))]
    assert len(reviewbot_lines) == 2, "one line for the finding, one summary"


def test_blocked_commit_retried_is_answered_from_the_cache(
    make_project: Callable[..., Project], model_server: FakeOpenAI
) -> None:
    project = make_project()
    assert pre_commit(project.repo.root, "install", env=project.env).returncode == 0
    model_server.responder = one_issue_per_file
    head = project.repo.run("rev-parse", "HEAD")

    first = project.commit("add divide")
    assert first.returncode != 0, "the high finding blocks the commit"
    assert project.repo.run("rev-parse", "HEAD") == head
    assert len(model_server.review_requests) == 1

    second = project.commit("add divide")
    assert second.returncode != 0
    assert len(model_server.review_requests) == 1, "the retried commit sends nothing"
    finding = "app.py:3: high: Problem at app.py:3 — Explain and fix."
    assert finding in first.stdout + first.stderr
    assert finding in second.stdout + second.stderr

    skipped = project.commit("add divide", SKIP="reviewbot")
    assert skipped.returncode == 0, skipped.stdout + skipped.stderr
    assert project.repo.run("rev-parse", "HEAD") != head
    assert len(model_server.review_requests) == 1
    assert project.repo.read("app.py") == UNSTAGED


def test_no_key_blocks_with_one_line_on_how_to_set_it_or_skip(
    make_project: Callable[..., Project], model_server: FakeOpenAI
) -> None:
    project = make_project()
    del project.env["OPENAI_API_KEY"]
    done = project.run()
    output = done.stdout + done.stderr
    assert done.returncode != 0, output
    [line] = [x for x in output.splitlines() if x.startswith("reviewbot:")]
    assert "no API key: set OPENAI_API_KEY" in line and "SKIP=reviewbot git commit" in line
    assert model_server.requests == []


@pytest.mark.parametrize("on_error, code", [(None, 3), ("pass", 0)])
def test_endpoint_down_is_reported_and_on_error_decides(
    make_project: Callable[..., Project], on_error: str | None, code: int
) -> None:
    args = ["--max-retries", "0"] + (["--on-error", on_error] if on_error else [])
    project = make_project(args, OPENAI_BASE_URL=closed_port_url())
    done = project.run()
    output = done.stdout + done.stderr
    assert done.returncode == (1 if code else 0), output
    assert "endpoint unusable" in output and "could not reach 127.0.0.1" in output
    if code:
        assert f"- exit code: {code}" in output
        assert "SKIP=reviewbot git commit" in output and "--on-error, pass" in output
    else:
        assert "passing because --on-error pass" in output
