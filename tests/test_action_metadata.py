"""action.yml and the example workflow: valid for GitHub, and in step with the entrypoint."""

from __future__ import annotations

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
    "incremental",  # issue 13
    "max-cost",
    "min-severity",
    "verify",
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
    assert str(inputs["verify"]["default"]) == "true"
    assert inputs["min-severity"]["default"] == "low"
    assert set(data["outputs"]) == {"score", "issues", "review-url"}  # type: ignore[arg-type]
    assert data["branding"]  # type: ignore[index]


def test_every_input_reaches_the_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Each input, set the way the runner sets it (INPUT_<NAME>, hyphens kept), changes what
    the review runs with; github-token is read by run() itself."""
    from reviewbot.action import settings_from_inputs

    monkeypatch.chdir(tmp_path)
    (tmp_path / "prompts").mkdir()
    values = {
        "api-key": "sk-input-key-0123456789",
        "base-url": "http://127.0.0.1:9/v1",
        "provider": "deepseek",
        "model": "deepseek-chat",
        "language": "zh",
        "fail-on": "medium",
        "max-comments": "7",
        "include": "src/**, lib/**\napp.py",
        "exclude": "docs/**",
        "instructions": "No f-string SQL.",
        "prompt-dir": "prompts",
        "request-changes": "true",
        "incremental": "false",
        "max-cost": "0.5",
        "min-severity": "medium",
        "verify": "false",
    }
    for name, value in values.items():
        monkeypatch.setenv(f"INPUT_{name.upper()}", value)
    settings = settings_from_inputs()
    assert settings.api_key is not None
    assert settings.api_key.get_secret_value() == values["api-key"]
    assert (settings.base_url, settings.provider, settings.model) == (
        "http://127.0.0.1:9/v1",
        "deepseek",
        "deepseek-chat",
    )
    assert (settings.language, settings.fail_on, settings.max_comments) == ("zh", "medium", 7)
    assert settings.include == ["src/**", "lib/**", "app.py"]
    assert settings.exclude == ["docs/**"]
    assert settings.instructions == "No f-string SQL."
    assert settings.prompt_dir == Path("prompts")
    assert settings.request_changes is True
    assert (settings.incremental, settings.max_cost) == (False, 0.5)
    assert (settings.min_severity, settings.verify) == ("medium", False)
    assert set(values) | {"github-token"} == ISSUE_INPUTS
    assert 'action_input("github-token")' in (ROOT / "reviewbot" / "action.py").read_text()


def test_readme_shows_the_example_workflow() -> None:
    readme = (ROOT / "README.md").read_text()
    example = (ROOT / "examples" / "workflows" / "reviewbot.yml").read_text()
    assert "uses: OWNER/reviewbot@v1" in readme
    assert "uses: OWNER/reviewbot@v1" in example
    assert "pull-requests: write" in readme and "pull-requests: write" in example
