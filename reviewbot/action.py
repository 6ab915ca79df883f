"""The GitHub Action's entrypoint: review the event's pull request and post the review.

Runs in the container with the environment a Docker action gets: inputs as `INPUT_<NAME>`
(upper-cased, hyphens kept), the event payload at GITHUB_EVENT_PATH, and the GITHUB_OUTPUT and
GITHUB_STEP_SUMMARY files. It never checks out or runs the pull request's code.
"""

from __future__ import annotations

import json
import os
import sys
import uuid
from pathlib import Path
from typing import Any

from reviewbot.app import MissingApiKey, resolve_endpoint
from reviewbot.config import ConfigError, Settings, load_settings
from reviewbot.errors import error_handler
from reviewbot.exitcodes import EXIT_OK, final_exit
from reviewbot.findings import ReviewResult
from reviewbot.github.connection import connect, reaching
from reviewbot.github.pullreview import PullReview, review_pull
from reviewbot.i18n import _, set_language
from reviewbot.redact import redact, register_secret
from reviewbot.reporters import get_reporter
from reviewbot.reporters.labels import summary_line

PR_EVENTS = ("pull_request", "pull_request_target")
STEP_SUMMARY_LIMIT = 1024 * 1024  # GitHub's per-step cap
LIST_INPUTS = ("include", "exclude")


def log(message: str) -> None:
    print(f"reviewbot: {redact(message)}", flush=True)


def workflow_command(level: str, message: str) -> None:
    text = redact(message).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    print(f"::{level}::{text}", flush=True)


def action_input(name: str) -> str | None:
    value = os.environ.get(f"INPUT_{name.upper()}", "").strip()
    return value or None


def _list(value: str) -> list[str]:
    return [item.strip() for line in value.splitlines() for item in line.split(",") if item.strip()]


def _flag(value: str, name: str) -> bool:
    if value.lower() in ("true", "yes", "1", "on"):
        return True
    if value.lower() in ("false", "no", "0", "off"):
        return False
    raise ConfigError(f"input {name}: expected true or false, not {value!r}")


def settings_from_inputs() -> Settings:
    overrides: dict[str, Any] = {}
    simple = (
        "api-key",
        "base-url",
        "provider",
        "model",
        "language",
        "fail-on",
        "min-severity",
        "instructions",
    )
    for name in simple:
        value = action_input(name)
        if value is not None:
            overrides[name.replace("-", "_")] = value
    for name in LIST_INPUTS:
        value = action_input(name)
        if value is not None:
            overrides[name] = _list(value)
    if (value := action_input("prompt-dir")) is not None:
        overrides["prompt_dir"] = Path(value)
    if (value := action_input("max-comments")) is not None:
        overrides["max_comments"] = value
    if (value := action_input("request-changes")) is not None:
        overrides["request_changes"] = _flag(value, "request-changes")
    if (value := action_input("incremental")) is not None:
        overrides["incremental"] = _flag(value, "incremental")
    if (value := action_input("max-cost")) is not None:
        overrides["max_cost"] = value
    if (value := action_input("verify")) is not None:
        overrides["verify"] = _flag(value, "verify")
    return load_settings(overrides)


def write_outputs(values: dict[str, str]) -> None:
    path = os.environ.get("GITHUB_OUTPUT")
    if not path:
        return
    with open(path, "a", encoding="utf-8") as out:
        for name, value in values.items():
            delimiter = f"reviewbot_{uuid.uuid4().hex}"
            out.write(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")


def write_step_summary(markdown: str) -> None:
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if not path:
        return
    data = redact(markdown).encode("utf-8")
    if len(data) > STEP_SUMMARY_LIMIT:
        note = b"\n\n*(truncated: GitHub keeps 1 MiB of job summary per step)*\n"
        data = data[: STEP_SUMMARY_LIMIT - len(note)].decode("utf-8", "ignore").encode() + note
    with open(path, "ab") as out:
        out.write(data)


def load_event() -> tuple[str, dict[str, Any]]:
    name = os.environ.get("GITHUB_EVENT_NAME", "")
    path = os.environ.get("GITHUB_EVENT_PATH")
    if not path:
        raise ConfigError("GITHUB_EVENT_PATH is not set: run this as a GitHub Action step")
    try:
        payload = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read the event payload {path}: {exc}") from None
    if not isinstance(payload, dict):
        raise ConfigError(f"the event payload {path} is not a JSON object")
    return name, payload


def _outputs(result: ReviewResult, url: str | None) -> dict[str, str]:
    return {
        "score": "" if result.score is None else str(result.score),
        "issues": str(len(result.findings)),
        "review-url": url or "",
    }


def report(outcome: PullReview) -> None:
    result = outcome.result
    url = outcome.published.review_url if outcome.published else None
    write_outputs(_outputs(result, url))
    markdown = get_reporter("markdown").render(result)
    if outcome.scope:
        markdown = f"{outcome.scope}\n\n{markdown}"
    if outcome.not_posted is not None:
        note = _("Not posted on the pull request: {reason}").format(reason=outcome.not_posted)
        markdown += f"\n> {note}\n"
    write_step_summary(markdown)
    if outcome.published is not None:
        log(_("review posted: {url}").format(url=url))
        for note in outcome.published.notes:
            workflow_command("warning", f"reviewbot: {note}")
    if outcome.not_posted is not None:
        # Fork PRs and read-only tokens: the findings still reach the PR as annotations.
        note = _("review not posted: {reason}").format(reason=outcome.not_posted)
        workflow_command("warning", f"reviewbot: {note}")
        sys.stdout.write(redact(get_reporter("github").render(result)))
    for line in (outcome.scope, outcome.price_note):
        if line:
            log(line)
    log(summary_line(result))


def run() -> int:
    name, payload = load_event()
    pull = payload.get("pull_request")
    if name not in PR_EVENTS or not isinstance(pull, dict):
        log(f"'{name or 'unknown'}' is not a pull_request event: nothing to review")
        return EXIT_OK
    base_repo = pull["base"]["repo"]["full_name"]
    head_repo = (pull.get("head", {}).get("repo") or {}).get("full_name")
    is_fork = head_repo != base_repo
    token = action_input("github-token") or os.environ.get("GITHUB_TOKEN")
    register_secret(token)
    settings = settings_from_inputs()
    set_language(settings.language)
    try:
        resolve_endpoint(settings)
    except MissingApiKey as exc:
        if is_fork:
            log(
                "no API key: secrets are not passed to workflows for pull requests from forks; "
                "nothing to review"
            )
            return EXIT_OK
        raise ConfigError(f"{exc} (set the action's api-key input)") from None
    if not token:
        raise ConfigError("no GitHub token: set the github-token input")
    api_url = os.environ.get("GITHUB_API_URL") or "https://api.github.com"
    gh = connect(token, api_url, write_interval=settings.github_write_interval)
    with reaching(api_url):
        outcome = review_pull(gh, base_repo, int(pull["number"]), settings, post=True)
    report(outcome)
    code, unusable = final_exit(outcome.result, settings.fail_on, settings.on_error)
    if unusable is not None:
        level = "warning" if code == EXIT_OK else "error"
        note = _("model endpoint unusable: {reason}").format(reason=unusable)
        workflow_command(level, f"reviewbot: {note}")
    return code


def main() -> None:
    with error_handler(lambda message: workflow_command("error", f"reviewbot: {message}")):
        code = run()
    sys.exit(code)


if __name__ == "__main__":
    main()
