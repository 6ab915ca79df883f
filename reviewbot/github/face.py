"""`reviewbot --pr URL [--post]`: the command line's way into pull request reviews.

Errors (UserError) go to the command's error handler."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from reviewbot.app import plan_review
from reviewbot.config import Settings
from reviewbot.exitcodes import EXIT_OK, EXIT_USAGE, final_exit
from reviewbot.github.connection import (
    GitHubError,
    api_url_for,
    connect,
    parse_pull_ref,
    reaching,
)
from reviewbot.github.pullreview import read_pull, review_pull
from reviewbot.i18n import _
from reviewbot.terminal import print_plan, say, write_report


def review_pull_request(
    ref_text: str,
    settings: Settings,
    *,
    post: bool,
    fmt: str,
    output: Path | None,
    dry_run: bool,
) -> int:
    ref = parse_pull_ref(ref_text)
    token = os.environ.get("GITHUB_TOKEN") or os.environ.get("GH_TOKEN")
    if post and not token:
        raise GitHubError("--post needs a GitHub token with pull-requests: write in GITHUB_TOKEN")
    api_url = api_url_for(ref)
    gh = connect(token, api_url, write_interval=settings.github_write_interval)
    if dry_run:
        with reaching(api_url):
            source = read_pull(gh, ref.repo, ref.number)
        plan = plan_review(settings, source.change, need_key=False)
        print_plan(plan)
        return EXIT_OK
    with reaching(api_url):
        outcome = review_pull(gh, ref.repo, ref.number, settings, post=post)
    write_report(outcome.result, fmt, output, sys.stdout.isatty(), compact=False)
    for note in (outcome.scope, outcome.price_note):
        if note:
            say(note)
    if outcome.published is not None:
        say(_("review posted: {url}").format(url=outcome.published.review_url))
        for note in outcome.published.notes:
            say(note)
    if outcome.not_posted is not None:
        say(_("not posted: {reason}").format(reason=outcome.not_posted))
    code, unusable = final_exit(outcome.result, settings.fail_on, settings.on_error)
    if unusable is not None:
        say(_("endpoint unusable: {reason}").format(reason=unusable))
    if post and outcome.not_posted is not None and code == EXIT_OK:
        return EXIT_USAGE
    return code
