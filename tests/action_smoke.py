"""Run the Action's container for real against local GitHub and model servers.

    python tests/action_smoke.py --image IMAGE -- podman [global options] run [run options]

starts both servers on 127.0.0.1, opens a pull request made with git, writes the event payload
and runs the image with the environment a Docker action gets (host network, so the servers are
reachable). It passes when the container exits 0, one review with inline comments is on the PR,
and the step outputs are set. Used by .ci/container.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from answers import one_issue_per_file
from fake_github import FakeGitHub
from fake_openai import FakeOpenAI
from github_env import REPO, TOKEN, event_payload, make_change, parse_outputs

KEY = "sk-smoke-0123456789abcdef"


def container_command(prefix: list[str], image: str, work: Path, env: dict[str, str]) -> list[str]:
    command = [*prefix, "--network", "host"]
    for name, value in env.items():
        command += ["-e", f"{name}={value}"]
    command += [
        "-v",
        f"{work / 'workflow'}:/github/workflow",
        "-v",
        f"{work / 'workspace'}:/github/workspace",
        "--workdir",
        "/github/workspace",
        image,
    ]
    return command


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--image", required=True)
    parser.add_argument("prefix", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    prefix = [part for part in args.prefix if part != "--"]
    with (
        tempfile.TemporaryDirectory() as tmp,
        FakeGitHub() as github,
        FakeOpenAI(api_key=KEY) as model,
    ):
        work = Path(tmp)
        base = {"app.py": "def add(a, b):\n    return a + b\n"}
        head = {"app.py": base["app.py"] + "\ndef div(a, b):\n    return a / b\n"}
        diff, _ = make_change(work / "repo", base, head)
        github.add_pull(REPO, 1, diff)
        model.responder = one_issue_per_file
        (work / "workflow").mkdir()
        (work / "workspace").mkdir()
        (work / "workflow" / "event.json").write_text(json.dumps(event_payload(github, 1)))
        (work / "workflow" / "output").write_text("")
        (work / "workflow" / "summary.md").write_text("")
        env = {
            "GITHUB_ACTIONS": "true",
            "GITHUB_EVENT_NAME": "pull_request",
            "GITHUB_EVENT_PATH": "/github/workflow/event.json",
            "GITHUB_REPOSITORY": REPO,
            "GITHUB_API_URL": github.api_url,
            "GITHUB_OUTPUT": "/github/workflow/output",
            "GITHUB_STEP_SUMMARY": "/github/workflow/summary.md",
            "INPUT_GITHUB-TOKEN": TOKEN,
            "INPUT_API-KEY": KEY,
            "INPUT_BASE-URL": model.base_url,
            "INPUT_MODEL": "smoke-model",
            "INPUT_LANGUAGE": "en",
            "REVIEWBOT_GITHUB_WRITE_INTERVAL": "0",
        }
        done = subprocess.run(
            container_command(prefix, args.image, work, env),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        print(done.stdout + done.stderr)
        outputs = parse_outputs((work / "workflow" / "output").read_text())
        checks = {
            "container exit 0": done.returncode == 0,
            "one review posted": len(github.reviews) == 1,
            "one inline comment on an added line of app.py": [
                (c["path"], c["line"] in (3, 4, 5)) for c in github.review_comments
            ]
            == [("app.py", True)],
            "no 422": github.rejected == [],
            "outputs score/issues/review-url": bool(
                outputs.get("score") and outputs.get("issues") == "1" and outputs.get("review-url")
            ),
            "job summary written": "reviewbot" in (work / "workflow" / "summary.md").read_text(),
            # one review request, and one self-check of its finding
            "model reached": (len(model.review_requests), len(model.verify_requests)) == (1, 1),
            "API key never printed": KEY not in done.stdout + done.stderr,
        }
        for name, passed in checks.items():
            print(f"{'ok  ' if passed else 'FAIL'}  {name}")
        return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
