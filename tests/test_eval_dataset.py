"""Loading cases (JSONL and AACR-Bench's JSON) and getting their diffs from git."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from gitrepo import GIT, GitRepo

from reviewbot.diffparse import parse_diff
from reviewbot.evaluate.acquire import Acquirer, Unavailable
from reviewbot.evaluate.dataset import DatasetError, language_of, load_dataset

needs_git = pytest.mark.skipif(GIT is None, reason="git is not installed")

DIFF = """\
diff --git a/a.py b/a.py
--- a/a.py
+++ b/a.py
@@ -1,2 +1,2 @@
 x = 1
-y = 2
+y = 3
"""


def aacr_record(url: str, base: str, head: str, **extra: object) -> dict[str, object]:
    """One pull request exactly as AACR-Bench's positive_samples.json spells it."""
    record: dict[str, object] = {
        "change_line_count": 4,
        "project_main_language": "Python",
        "source_commit": base,
        "target_commit": head,
        "githubPrUrl": url,
        "comments": [
            {
                "is_ai_comment": False,
                "note": "The loop stops one short: range(len(xs) - 1) skips the last item.",
                "path": "calc.py",
                "side": "right",
                "source_model": "",
                "from_line": 3,
                "to_line": 3,
                "category": "Code Defect",
                "context": "Diff Level",
            },
            {
                "is_ai_comment": True,
                "note": "",  # AACR-Bench does not count comments without a note
                "path": "calc.py",
                "side": "right",
                "source_model": "x",
                "from_line": 1,
                "to_line": 1,
                "category": "Code Defect",
                "context": "Diff Level",
            },
        ],
        "category": "Bug Fix",
    }
    record.update(extra)
    return record


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_jsonl_cases_with_inline_diff_and_local_repo(tmp_path: Path) -> None:
    lines = [
        {"id": "one", "diff": DIFF, "expected": [{"path": "a.py", "from_line": 2, "to_line": 2}]},
        {
            "id": "two",
            "repo": "clones/r",
            "base": "main",
            "head": "feature",
            "language": "Go",
            "expected": [],
        },
    ]
    path = write(tmp_path / "cases.jsonl", "\n".join(json.dumps(x) for x in lines) + "\n\n")
    cases = load_dataset(path)
    assert [c.id for c in cases] == ["one", "two"]
    assert cases[0].diff == DIFF and cases[0].expected[0].span == (2, 2)
    assert cases[1].repo == tmp_path / "clones" / "r"
    assert cases[1].language == "Go"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"id": "x"}\n', "line 1: a case needs 'diff', or 'repo' with 'base' and 'head'"),
        ('{"id": "x", "diff": ""}\nnot json\n', "line 2: not JSON"),
        ("[1]\n", "item 1: a pull request must be a JSON object"),
        ('{"id": "x", "repo": "r"}\n', "'repo' needs 'base' and 'head'"),
        ('{"id": "x", "diff": "", "expected": [{"path": ""}]}\n', "expected.0.path"),
        ('{"id": "x", "diff": ""}\n{"id": "x", "diff": ""}\n', "case id 'x' appears twice"),
        ('[{"githubPrUrl": "https://example.com/x"}]', "not a GitHub pull request URL"),
    ],
)
def test_bad_datasets_are_one_clear_line(tmp_path: Path, content: str, message: str) -> None:
    path = write(tmp_path / "d.jsonl", content)
    with pytest.raises(DatasetError) as caught:
        load_dataset(path)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_missing_dataset(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="dataset not found"):
        load_dataset(tmp_path / "nope.json")


def test_aacr_format_is_read_as_published(tmp_path: Path) -> None:
    record = aacr_record("https://github.com/acme/calc/pull/7", "aaa", "bbb")
    path = write(tmp_path / "positive_samples.json", json.dumps([record], indent=2))
    [case] = load_dataset(path)
    assert case.id == "acme/calc#7"
    assert case.github_repo == "acme/calc"
    assert (case.base, case.head) == ("aaa", "bbb")
    assert case.language == "Python" and case.changed_lines == 4
    assert len(case.expected) == 1  # the comment without a note is not a label
    assert case.expected[0].category == "Code Defect"
    assert case.expected[0].note is not None and "one short" in case.expected[0].note


def test_language_of_paths() -> None:
    assert language_of(["a.py", "b.py", "c.go"]) == "Python"
    assert language_of(["Makefile"]) is None


@needs_git
def test_aacr_case_diff_comes_from_the_clone(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "repos" / "acme" / "calc")
    repo.write("calc.py", "def total(xs):\n    s = 0\n    return s\n")
    base = repo.commit("base")
    repo.write(
        "calc.py",
        "def total(xs):\n    s = 0\n    for i in range(len(xs) - 1):\n        s += xs[i]\n"
        "    return s\n",
    )
    head = repo.commit("head")
    record = aacr_record("https://github.com/acme/calc/pull/7", base, head)
    [case] = load_dataset(write(tmp_path / "p.json", json.dumps([record])))
    text = Acquirer(repos=tmp_path / "repos").diff_for(case)
    diff = parse_diff(text)
    [changed] = diff.files
    assert changed.path == "calc.py"
    added = {ln.new_no: ln.text for h in changed.hunks for ln in h.lines if ln.kind == "+"}
    assert added == {3: "    for i in range(len(xs) - 1):", 4: "        s += xs[i]"}


@needs_git
def test_missing_clone_or_commit_is_a_reason_not_a_crash(tmp_path: Path) -> None:
    repos = tmp_path / "repos"
    repo = GitRepo(repos / "acme" / "calc")
    repo.write("a.py", "x = 1\n")
    base = repo.commit("base")
    records = [
        aacr_record("https://github.com/acme/missing/pull/1", base, base),
        aacr_record("https://github.com/acme/calc/pull/2", base, "f" * 40),
    ]
    missing, bad_commit = load_dataset(write(tmp_path / "p.json", json.dumps(records)))
    acquirer = Acquirer(repos=repos)
    with pytest.raises(Unavailable) as caught:
        acquirer.diff_for(missing)
    assert str(caught.value) == (
        f"no clone of acme/missing at {repos / 'acme' / 'missing'} (clone it there, or pass "
        "--clone)"
    )
    with pytest.raises(Unavailable, match=f"commit ffffffffffff is not in {repo.root}"):
        acquirer.diff_for(bad_commit)
    with pytest.raises(Unavailable, match="pass --repos DIR"):
        Acquirer().diff_for(missing)


@needs_git
def test_jsonl_case_against_a_local_repository(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "r")
    repo.write("a.py", "x = 1\ny = 2\n")
    repo.commit("base")
    repo.run("checkout", "-q", "-b", "feature")
    repo.write("a.py", "x = 1\ny = 3\n")
    repo.commit("change")
    line = {"id": "local", "repo": "r", "base": "main", "head": "feature", "expected": []}
    [case] = load_dataset(write(tmp_path / "c.jsonl", json.dumps(line)))
    text = Acquirer().diff_for(case)
    assert "-y = 2\n+y = 3\n" in text
    assert "diff --git a/a.py b/a.py" in text
    nowhere = case.model_copy(update={"repo": tmp_path / "nowhere"})
    with pytest.raises(Unavailable, match="no git repository at"):
        Acquirer().diff_for(nowhere)


@needs_git
def test_clone_fetches_a_missing_repository_and_an_unreachable_commit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # "GitHub" is a local directory: the user's git config rewrites the URL, as
    # url.<base>.insteadOf does for mirrors.
    remote = GitRepo(tmp_path / "remotes" / "acme" / "calc")
    remote.run("config", "uploadpack.allowAnySHA1InWant", "true")
    remote.write("a.py", "x = 1\n")
    base = remote.commit("base")
    remote.run("checkout", "-q", "-b", "pr")
    remote.write("a.py", "x = 2\n")
    head = remote.commit("pull request head")
    remote.run("update-ref", "refs/pull/7/head", head)
    remote.run("checkout", "-q", "main")
    remote.run("branch", "-q", "-D", "pr")  # the head is on no branch a clone gets
    home = tmp_path / "home"
    home.mkdir()
    (home / ".gitconfig").write_text(
        f'[url "file://{tmp_path / "remotes"}/"]\n\tinsteadOf = https://github.com/\n'
    )
    monkeypatch.setenv("HOME", str(home))
    record = aacr_record("https://github.com/acme/calc/pull/7", base, head)
    [case] = load_dataset(write(tmp_path / "p.json", json.dumps([record])))
    repos = tmp_path / "repos"
    with pytest.raises(Unavailable, match="pass --clone"):
        Acquirer(repos=repos).diff_for(case)
    text = Acquirer(repos=repos, clone=True).diff_for(case)
    assert "-x = 1\n+x = 2\n" in text
    assert (repos / "acme" / "calc" / ".git").is_dir()
    missing = aacr_record("https://github.com/acme/none/pull/1", base, head)
    [gone] = load_dataset(write(tmp_path / "q.json", json.dumps([missing])))
    with pytest.raises(Unavailable) as caught:
        Acquirer(repos=repos, clone=True).diff_for(gone)
    assert str(caught.value).startswith("cannot clone https://github.com/acme/none: git clone")
