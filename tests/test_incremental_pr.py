"""Incremental review of a pull request, end to end: `reviewbot --pr ... --post` against the fake
GitHub (with its compare endpoint) and the fake model."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from answers import one_issue_per_file, shown_files
from cli_run import run
from fake_github import FakeGitHub
from fake_openai import FakeOpenAI
from github_env import REPO, TOKEN
from gitrepo import GitRepo
from keys import TEST_KEY

BIG = "".join(f"value_{i} = compute({i})\n" for i in range(300))
UTIL = "".join(f"def helper_{i}():\n    return {i}\n\n" for i in range(20))
SUMMARY = "<!-- reviewbot:summary -->"


def edit(text: str, line: int, new: str) -> str:
    lines = text.splitlines(keepends=True)
    lines[line - 1] = new + "\n"
    return "".join(lines)


@dataclass
class World:
    github: FakeGitHub
    model: FakeOpenAI
    repo: GitRepo
    base: str
    heads: list[str]

    def push(self, files: dict[str, str], *, force: bool = False) -> str:
        previous = self.heads[-1]
        if force:
            self.repo.run("reset", "-q", "--hard", self.base)
        for name, text in files.items():
            self.repo.write(name, text)
        head = self.repo.commit("push")
        self.github.push(
            REPO,
            7,
            self.repo.diff_commits(self.base, head),
            head_sha=head,
            change=None if force else self.repo.diff_commits(previous, head),
            force=force,
        )
        self.heads.append(head)
        return head

    def summaries(self) -> list[str]:
        return [r["body"] for r in self.github.reviews if SUMMARY in (r.get("body") or "")]

    def shown(self, since: int) -> dict[str, list[tuple[int, str]]]:
        out: dict[str, list[tuple[int, str]]] = {}
        for request in self.model.requests[since:]:
            for path, lines in shown_files(request.user or "").items():
                out.setdefault(path, []).extend(lines)
        return out


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    with FakeGitHub() as github, FakeOpenAI(api_key=TEST_KEY) as model:
        repo = GitRepo(tmp_path / "repo")
        repo.write("big.py", BIG)
        repo.write("util.py", UTIL)
        base = repo.commit("base")
        repo.write("big.py", edit(edit(BIG, 40, "value_40 = compute(40) + 1"), 41, "x = 1"))
        repo.write("util.py", UTIL + "def added():\n    return None\n")
        head = repo.commit("open")
        github.add_pull(REPO, 7, repo.diff_commits(base, head), head_sha=head, base_sha=base)
        model.responder = one_issue_per_file
        monkeypatch.setenv("GITHUB_API_URL", github.api_url)
        monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
        monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
        monkeypatch.setenv("OPENAI_BASE_URL", model.base_url)
        monkeypatch.setenv("REVIEWBOT_MODEL", "test-model")
        monkeypatch.setenv("REVIEWBOT_GITHUB_WRITE_INTERVAL", "0")
        # These tests count review requests; the self-check has tests of its own.
        monkeypatch.setenv("REVIEWBOT_VERIFY", "false")
        monkeypatch.chdir(tmp_path)
        yield World(github, model, repo, base, [head])


def post(*extra: str) -> None:
    result = run("--pr", f"{REPO}#7", "--post", *extra)
    assert result.exit_code == 0, result.output


def test_first_push_is_a_full_review(world: World) -> None:
    post()
    assert len(world.model.requests) == 1
    assert set(world.shown(0)) == {"big.py", "util.py"}
    [summary] = world.summaries()
    assert f"reviewed `{world.heads[0][:7]}`: 2 files, " in summary
    assert "(full review: first review)" in summary
    assert {c["path"] for c in world.github.review_comments} == {"big.py", "util.py"}


def test_second_push_sends_only_the_new_change(world: World) -> None:
    post()
    first = len(world.model.requests)
    head2 = world.push({"big.py": edit(world.repo.read("big.py"), 200, "value_200 = None")})
    post()
    shown = world.shown(first)
    assert list(shown) == ["big.py"]
    assert [n for n, _ in shown["big.py"]] == [200]  # only the line this push changed
    # earlier findings stay, the new one is added, and there is still one summary
    paths_lines = {(c["path"], c["line"]) for c in world.github.review_comments}
    assert paths_lines == {("big.py", 40), ("util.py", 61), ("big.py", 200)}
    [summary] = world.summaries()
    line = f"reviewed `{world.heads[0][:7]}…{head2[:7]}`: 1 file, 2 changed lines (incremental)"
    assert line in summary
    assert "3 findings" in summary
    assert world.github.rejected == []


def test_rerun_on_the_same_head_makes_no_model_request(world: World) -> None:
    post()
    world.push({"big.py": edit(world.repo.read("big.py"), 200, "value_200 = None")})
    post()
    before = len(world.model.requests)
    reviews = len(world.github.reviews)
    post()
    assert len(world.model.requests) == before
    assert len(world.github.reviews) == reviews  # nothing new to post; the summary is edited
    [summary] = world.summaries()
    assert f"nothing new since `{world.heads[-1][:7]}`" in summary
    assert "3 findings" in summary


def test_force_push_is_reviewed_in_full(world: World) -> None:
    post()
    before = len(world.model.requests)
    world.push({"big.py": edit(BIG, 250, "value_250 = 0")}, force=True)
    post()
    assert set(world.shown(before)) == {"big.py"}
    assert [n for n, _ in world.shown(before)["big.py"]] == [250]
    [summary] = world.summaries()
    assert "(full review: force-push)" in summary
    assert "1 finding" in summary  # the rewritten history's findings are not carried over


def test_full_flag_reviews_everything(world: World) -> None:
    post()
    before = len(world.model.requests)
    world.push({"big.py": edit(world.repo.read("big.py"), 200, "value_200 = None")})
    post("--full")
    assert set(world.shown(before)) == {"big.py", "util.py"}
    [summary] = world.summaries()
    assert "(full review: asked for a full review)" in summary
