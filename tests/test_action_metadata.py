"""action.yml and the example workflow: valid for GitHub, and in step with the entrypoint."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
ISSUE_INPUTS = {
    "github-token",
    "api-key",
    "base-url",
    "provider",
    "model",
    "language",
    "fail-on",
    "max-comments",
    "include",
    "exclude",
    "instructions",
    "prompt-dir",
    "request-changes",
}


def tool(name: str) -> str:
    found = shutil.which(name, path=str(BIN)) or shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: pip install '.[test]'")
    return found


def check(*command: str) -> None:
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def metadata() -> dict[str, object]:
    data = yaml.safe_load((ROOT / "action.yml").read_text())
    assert isinstance(data, dict)
    return data


def test_action_yml_matches_githubs_metadata_schema() -> None:
    check(tool("check-jsonschema"), "--builtin-schema", "vendor.github-actions", "action.yml")


def test_example_workflow_passes_actionlint_and_the_workflow_schema() -> None:
    workflow = "examples/workflows/reviewbot.yml"
    check(tool("actionlint"), "-no-color", workflow)
    check(tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", workflow)


def test_action_is_a_docker_action_built_from_the_dockerfile() -> None:
    runs = metadata()["runs"]
    assert runs == {"using": "docker", "image": "Dockerfile"}


def test_inputs_and_outputs_are_the_documented_contract() -> None:
    data = metadata()
    inputs = data["inputs"]
    assert isinstance(inputs, dict)
    assert set(inputs) == ISSUE_INPUTS
    assert inputs["github-token"]["default"] == "${{ github.token }}"
    assert str(inputs["request-changes"]["default"]) == "false"
    assert str(inputs["max-comments"]["default"]) == "25"
    assert set(data["outputs"]) == {"score", "issues", "review-url"}  # type: ignore[arg-type]
    assert data["branding"]  # type: ignore[index]


def test_every_input_is_read_by_the_entrypoint() -> None:
    source = (ROOT / "reviewbot" / "action.py").read_text()
    read = set(re.findall(r'"([a-z][a-z-]+)"', source))
    assert read >= ISSUE_INPUTS, f"inputs never read: {sorted(ISSUE_INPUTS - read)}"


def test_readme_shows_the_example_workflow() -> None:
    readme = (ROOT / "README.md").read_text()
    example = (ROOT / "examples" / "workflows" / "reviewbot.yml").read_text()
    assert "uses: OWNER/reviewbot@v1" in readme
    assert "uses: OWNER/reviewbot@v1" in example
    assert "pull-requests: write" in readme and "pull-requests: write" in example
