"""Review a pull request end to end: read it, review it, and (when asked) post the review.

Shared by the `reviewbot --pr` command and the GitHub Action; neither adds logic of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from github import Github, GithubException
from github.PullRequest import PullRequest

from reviewbot.app import plan_review, run_review
from reviewbot.change import Change
from reviewbot.config import Settings
from reviewbot.exitcodes import every_sent_chunk_failed, reaches
from reviewbot.findings import ReviewResult
from reviewbot.github.addressed import addressed, resolved
from reviewbot.github.comments import plan_comments
from reviewbot.github.connection import GitHubError, bot_login, explain
from reviewbot.github.publish import (
    Event,
    PostingForbidden,
    Published,
    ReviewPoster,
    read_prior_state,
)
from reviewbot.github.pullsource import PullInfo, pull_diff, pull_info
from reviewbot.github.summary import SummaryContext, render_followup, render_summary
from reviewbot.i18n import _
from reviewbot.review import ProgressCallback


@dataclass
class PullReview:
    pull: PullInfo
    result: ReviewResult
    published: Published | None = None
    not_posted: str | None = None  # why a requested post did not happen
    addressed: int = 0  # "addressed" replies posted on earlier findings' threads


@dataclass(frozen=True)
class PullDiff:
    pr: PullRequest
    pull: PullInfo
    change: Change


def read_pull(gh: Github, repo_name: str, number: int) -> PullDiff:
    """The pull request and its diff, or a GitHubError naming the fix."""
    try:
        pr = gh.get_repo(repo_name).get_pull(number)
        return PullDiff(pr, pull_info(pr), pull_diff(pr))
    except GithubException as exc:
        raise GitHubError(explain(exc, f"reading pull request {repo_name}#{number}")) from None


def review_event(result: ReviewResult, settings: Settings) -> Event:
    if not settings.request_changes:
        return "COMMENT"
    threshold = settings.fail_on if settings.fail_on != "never" else "high"
    return "REQUEST_CHANGES" if reaches(result, threshold) else "COMMENT"


def review_pull(
    gh: Github,
    repo_name: str,
    number: int,
    settings: Settings,
    *,
    post: bool,
    on_progress: ProgressCallback | None = None,
) -> PullReview:
    source = read_pull(gh, repo_name, number)
    pr, pull = source.pr, source.pull
    plan = plan_review(settings, source.change)
    result = run_review(plan, settings, on_progress)
    outcome = PullReview(pull, result)
    if not post:
        return outcome
    if result.fatal is not None or every_sent_chunk_failed(result):
        outcome.not_posted = _("the model endpoint failed, so there is no review to post")
        return outcome
    try:
        login = bot_login(gh)
        prior = read_prior_state(pr, login)
        comments = plan_comments(
            result.findings, source.change.diff, prior.posted_fingerprints, settings.max_comments
        )
        gone = addressed(prior.earlier, result.findings)
        fixed = resolved(gone, pull.head_sha)

        def context(refused: str | None) -> SummaryContext:
            return SummaryContext(pull, comments, refused, fixed)

        poster = ReviewPoster(pr, pull.head_sha)
        outcome.published = poster.publish(
            comments,
            prior,
            review_event(result, settings),
            lambda refused: render_summary(result, context(refused)),
            lambda url, refused: render_followup(result, context(refused), url),
        )
        replied, notes = poster.reply_addressed(gone)
        outcome.published.notes.extend(notes)
        outcome.addressed = replied
    except PostingForbidden as exc:
        outcome.not_posted = _("GitHub refused the review ({reason})").format(reason=exc)
    except GithubException as exc:
        outcome.not_posted = explain(exc, "posting the review")
    return outcome
