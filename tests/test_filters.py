"""Which files go to the model: default excludes, secrets, globs, unsafe paths."""

from __future__ import annotations

from pathlib import Path

import pytest
from gitrepo import GitRepo

from reviewbot.diffmodel import DiffLine, FileDiff, FileStatus, Hunk, LineKind
from reviewbot.diffparse import file_as_diff, parse_diff
from reviewbot.filters import DEFAULT_EXCLUDES, SECRET_FILES, FileFilter, unsafe_path


def changed(path: str) -> FileDiff:
    return file_as_diff(path, "content = 1\n")


def reason(path: str, **options: object) -> str | None:
    return FileFilter(**options).reason_to_skip(changed(path))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "path",
    [
        "poetry.lock",
        "web/package-lock.json",
        "go.sum",
        "static/app.min.js",
        "css/site.min.css",
        "vendor/lib/x.go",
        "third/vendor/y.c",
        "node_modules/pkg/index.js",
        "dist/bundle.js",
        "proto/api_pb2.py",
        "icons/logo.svg",
    ],
)
def test_default_excludes(path: str) -> None:
    assert reason(path) == "generated, vendored or lock file (default exclude)"
    assert reason(path, use_default_excludes=False) is None


@pytest.mark.parametrize(
    "path",
    ["src/app.py", "vendors.py", "lib/minify.js", "README.md", "src/distance.py", "lockfile.py"],
)
def test_ordinary_files_are_reviewed(path: str) -> None:
    assert reason(path) is None


@pytest.mark.parametrize(
    "path",
    [
        ".env",
        "config/.env.production",
        "certs/server.pem",
        "keys/tls.key",
        "id_rsa",
        "home/.ssh/id_ed25519",
        ".npmrc",
        "deploy/credentials.json",
        "secrets.yaml",
    ],
)
def test_secret_files_are_skipped(path: str) -> None:
    assert reason(path) == "may hold secrets (include it explicitly to review)"


def test_secret_file_reviewed_only_when_named_on_purpose() -> None:
    assert reason(".env", include=[".env"]) is None
    assert reason("certs/server.pem", include=["*.pem"]) is None
    assert reason("certs/server.pem", include=["certs/server.pem"]) is None
    # Catch-all includes select files, but do not opt in to sending secrets.
    for catch_all in (["*"], ["**"], ["**/*"], ["config/**"]):
        assert reason("config/.env", include=catch_all) is not None
        assert reason("config/app.py", include=catch_all) is None


def test_default_exclude_overridden_by_an_explicit_include() -> None:
    assert reason("poetry.lock", include=["poetry.lock"]) is None
    assert reason("vendor/lib/x.go", include=["src/**"]) == "not matched by --include"
    assert reason("vendor/lib/x.go", include=["**"]) is not None


def test_include_and_exclude_globs_with_double_star() -> None:
    include = ["src/**/*.py"]
    assert reason("src/a/b/c.py", include=include) is None
    assert reason("src/top.py", include=include) is None
    assert reason("tests/test_x.py", include=include) == "not matched by --include"
    assert reason("src/a/x.js", include=include) == "not matched by --include"
    exclude = ["**/migrations/**", "docs/"]
    assert reason("app/db/migrations/0001.py", exclude=exclude) == "excluded by --exclude"
    assert reason("docs/guide/x.md", exclude=exclude) == "excluded by --exclude"
    assert reason("app/db/models.py", exclude=exclude) is None
    assert (
        reason("src/a/migrations/m.py", include=include, exclude=exclude) == "excluded by --exclude"
    )


def test_deleted_binary_and_hunkless_files_skipped_with_reasons(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path)
    repo.write("gone.py", "x = 1\n")
    repo.write("logo.png", b"\x89PNG\x00\x01")
    repo.write("run.sh", "echo\n")
    repo.write("old_name.py", "".join(f"n{i} = {i}\n" for i in range(20)))
    repo.commit()
    repo.remove("gone.py")
    repo.write("logo.png", b"\x89PNG\x00\x02")
    repo.chmod("run.sh", 0o755)
    repo.move("old_name.py", "new_name.py")
    repo.write("empty.py", "")
    repo.write("kept.py", "y = 2\n")
    keep, skipped = FileFilter().split(parse_diff(repo.diff()))
    assert [f.path for f in keep] == ["kept.py"]
    assert {s.path: s.reason for s in skipped} == {
        "gone.py": "deleted",
        "logo.png": "binary",
        "run.sh": "no content change (mode change only)",
        "new_name.py": "no content change (rename only)",
        "empty.py": "no content change (empty file)",
    }
    assert next(s for s in skipped if s.path == "gone.py").changed_lines == 1


@pytest.mark.parametrize(
    ("path", "unsafe"),
    [
        ("../../etc/passwd", True),
        ("/etc/passwd", True),
        ("a/../../x", True),
        ("..", True),
        ("C:\\Windows\\x", True),
        ("..\\secret", True),
        ("", True),
        ("src/app.py", False),
        ("a/b..c/d", False),
        ("..foo/x", False),
        ("x/.../y", False),
        ("./x", False),
    ],
)
def test_unsafe_path(path: str, unsafe: bool) -> None:
    assert unsafe_path(path) is unsafe


def test_crafted_diff_escaping_the_repository_is_skipped() -> None:
    text = (
        "diff --git a/../../etc/passwd b/../../etc/passwd\n"
        "--- a/../../etc/passwd\n+++ b/../../etc/passwd\n@@ -1 +1 @@\n-root\n+toor\n"
        "--- /etc/hosts\t2024-01-01\n+++ /etc/hosts\t2024-01-02\n@@ -1 +1 @@\n-a\n+b\n"
        "diff --git a/ok.py b/ok.py\n--- a/ok.py\n+++ b/ok.py\n@@ -1 +1 @@\n-a\n+b\n"
    )
    keep, skipped = FileFilter().split(parse_diff(text))
    assert [f.path for f in keep] == ["ok.py"]
    assert [(s.path, s.reason) for s in skipped] == [
        ("../../etc/passwd", "path outside the repository"),
        ("/etc/hosts", "path outside the repository"),
    ]


def test_rename_from_outside_is_unsafe() -> None:
    file = FileDiff(
        path="inside.py",
        old_path="../outside.py",
        status=FileStatus.RENAMED,
        hunks=[Hunk(1, 1, 1, 1, lines=[DiffLine(LineKind.ADDED, None, 1, "x")])],
    )
    assert FileFilter().reason_to_skip(file) == "path outside the repository"


def test_submodule_update_is_skipped() -> None:
    text = (
        "diff --git a/sub b/sub\nindex 1111111..2222222 160000\n--- a/sub\n+++ b/sub\n"
        "@@ -1 +1 @@\n-Subproject commit 1111111\n+Subproject commit 2222222\n"
    )
    assert FileFilter().reason_to_skip(parse_diff(text).files[0]) == "submodule"


def test_pattern_lists_are_valid_globs() -> None:
    # Every built-in pattern must match at least the obvious file it is meant for.
    samples = {
        "*.lock": "Cargo.lock",
        "node_modules/": "node_modules/a.js",
        ".env.*": ".env.local",
        "id_rsa*": "id_rsa",
        "credentials": "credentials",
    }
    for pattern, sample in samples.items():
        assert pattern in DEFAULT_EXCLUDES + SECRET_FILES
        assert FileFilter().reason_to_skip(changed(sample)) is not None
