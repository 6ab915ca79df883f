"""`reviewbot --pr URL [--post]`: the command line's way into pull request reviews."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from reviewbot.app import plan_review
from reviewbot.config import Settings
from reviewbot.exitcodes import EXIT_ENDPOINT, EXIT_OK, EXIT_USAGE, exit_code_for
from reviewbot.github.connection import GitHubError, api_url_for, connect, explain, parse_pull_ref
from reviewbot.github.pullreview import failure_reason, review_pull
from reviewbot.github.pullsource import pull_diff
from reviewbot.redact import redact
from reviewbot.terminal import print_plan, write_report


def _say(message: str) -> None:
    click.echo(f"reviewbot: {redact(message)}", err=True)


def review_pull_request(
    ref_text: str,
    settings: Settings,
    *,
    post: bool,
    fmt: str,
    output: Path | None,
    dry_run: bool,
) -> int:
    try:
        ref = parse_pull_ref(ref_text)
    except GitHubError as exc:
        _say(str(exc))
        return EXIT_USAGE
    token = os.environ.get("GITHUB_TOKEN") or os.environ.get("GH_TOKEN")
    if post and not token:
        _say("--post needs a GitHub token with pull-requests: write in GITHUB_TOKEN")
        return EXIT_USAGE
    gh = connect(token, api_url_for(ref))
    if dry_run:
        from github import GithubException

        try:
            diff, skipped = pull_diff(gh.get_repo(ref.repo).get_pull(ref.number))
        except GithubException as exc:
            _say(explain(exc, f"reading pull request {ref.repo}#{ref.number}"))
            return EXIT_USAGE
        plan = plan_review(settings, diff, need_key=False)
        plan.prepared.skipped[:0] = skipped
        print_plan(plan)
        return EXIT_OK
    try:
        outcome = review_pull(gh, ref.repo, ref.number, settings, post=post)
    except GitHubError as exc:
        _say(str(exc))
        return EXIT_USAGE
    write_report(outcome.result, fmt, output, sys.stdout.isatty(), compact=False)
    if outcome.published is not None:
        _say(f"review posted: {outcome.published.review_url}")
        for note in outcome.published.notes:
            _say(note)
    if outcome.not_posted is not None:
        _say(f"not posted: {outcome.not_posted}")
    code = exit_code_for(outcome.result, settings.fail_on, fatal=outcome.fatal)
    if code == EXIT_ENDPOINT:
        _say(f"endpoint unusable: {failure_reason(outcome.result, outcome.fatal)}")
        if settings.on_error == "pass":
            return EXIT_OK
    if post and outcome.not_posted is not None and code == EXIT_OK:
        return EXIT_USAGE
    return code
