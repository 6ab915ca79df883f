"""Run the Action's entrypoint as the runner does, against the local GitHub and model servers."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fake_github import FakeGitHub
from fake_openai import FakeOpenAI
from gitrepo import GitRepo
from keys import TEST_KEY

TOKEN = "ghs_testtoken"
READ_TOKEN = "ghs_readonlytoken"
REPO = "octo/widgets"
ENTRYPOINT = shutil.which("reviewbot-action", path=str(Path(sys.executable).parent))


def make_change(root: Path, files: dict[str, str], changed: dict[str, str]) -> tuple[str, str]:
    """A real `git diff` between a base with `files` and a head with `changed` applied."""
    repo = GitRepo(root)
    for name, text in files.items():
        repo.write(name, text)
    base = repo.commit("base")
    for name, text in changed.items():
        repo.write(name, text)
    repo.commit("head")
    return repo.diff_commits(base, "HEAD"), base


def event_payload(
    github: FakeGitHub, number: int, action: str = "opened", token: str = TOKEN
) -> dict[str, Any]:
    """A `pull_request` event payload built from the server's own PR and repository objects."""

    def get(path: str) -> Any:
        request = urllib.request.Request(
            github.api_url + path, headers={"Authorization": f"token {token}"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)

    pull = get(f"/repos/{REPO}/pulls/{number}")
    return {
        "action": action,
        "number": number,
        "pull_request": pull,
        "repository": pull["base"]["repo"],
        "sender": pull["user"],
    }


@dataclass
class ActionRun:
    returncode: int
    stdout: str
    stderr: str
    outputs: dict[str, str]
    step_summary: str


def parse_outputs(text: str) -> dict[str, str]:
    outputs: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        if "<<" in line:
            name, delimiter = line.split("<<", 1)
            value: list[str] = []
            for item in lines:
                if item == delimiter:
                    break
                value.append(item)
            outputs[name] = "\n".join(value)
        elif "=" in line:
            name, value_text = line.split("=", 1)
            outputs[name] = value_text
    return outputs


def run_action(
    tmp: Path,
    github: FakeGitHub,
    model: FakeOpenAI | None,
    number: int,
    *,
    token: str = TOKEN,
    api_key: str | None = TEST_KEY,
    inputs: dict[str, str] | None = None,
    payload: dict[str, Any] | None = None,
    event_name: str = "pull_request",
    timeout: float = 120,
) -> ActionRun:
    assert ENTRYPOINT is not None, "reviewbot-action is not installed in this environment"
    tmp = tmp.resolve()
    tmp.mkdir(parents=True, exist_ok=True)
    event = tmp / "event.json"
    event.write_text(json.dumps(payload or event_payload(github, number, token=token)))
    output, summary = tmp / "output.txt", tmp / "summary.md"
    output.write_text("")
    summary.write_text("")
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("INPUT_", "GITHUB_", "OPENAI_")) and not key.endswith("_API_KEY")
    }
    env.update(
        GITHUB_ACTIONS="true",
        GITHUB_EVENT_NAME=event_name,
        GITHUB_EVENT_PATH=str(event),
        GITHUB_REPOSITORY=REPO,
        GITHUB_API_URL=github.api_url,
        GITHUB_SERVER_URL="https://github.com",
        GITHUB_OUTPUT=str(output),
        GITHUB_STEP_SUMMARY=str(summary),
        GITHUB_WORKSPACE=str(tmp),
        REVIEWBOT_GITHUB_WRITE_INTERVAL="0",
        **{"INPUT_GITHUB-TOKEN": token, "INPUT_MODEL": "test-model"},
    )
    if model is not None:
        env["INPUT_BASE-URL"] = model.base_url
    if api_key is not None:
        env["INPUT_API-KEY"] = api_key
    for name, value in (inputs or {}).items():
        env[f"INPUT_{name.upper()}"] = value
    done = subprocess.run(
        [ENTRYPOINT],
        cwd=tmp,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return ActionRun(
        done.returncode,
        done.stdout,
        done.stderr,
        parse_outputs(output.read_text()),
        summary.read_text(),
    )
