"""Review a pull request end to end: read it, review it, and (when asked) post the review.

Shared by the `reviewbot --pr` command and the GitHub Action; neither adds logic of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from github import Github, GithubException
from github.PullRequest import PullRequest

from reviewbot.app import plan_review, resolve_model, resolve_provider, run_review
from reviewbot.change import Change
from reviewbot.config import Settings
from reviewbot.diffmodel import Diff
from reviewbot.exitcodes import every_sent_chunk_failed, reaches
from reviewbot.findings import ReviewResult
from reviewbot.github.addressed import addressed, resolved
from reviewbot.github.comments import plan_comments
from reviewbot.github.connection import GitHubError, bot_login, explain
from reviewbot.github.incremental import (
    ReviewScope,
    combine,
    next_record,
    nothing_new_result,
    plan_scope,
)
from reviewbot.github.publish import (
    Event,
    PostingForbidden,
    PriorState,
    Published,
    ReviewPoster,
    read_prior_state,
)
from reviewbot.github.pullsource import PullInfo, pull_diff, pull_info
from reviewbot.github.runrecord import decode_record, encode_record
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
    scope: str | None = None  # what a posting run looked at: "reviewed abc1234…def5678: ..."
    price_note: str | None = None  # why no cost is shown, to say once


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


def _prior(gh: Github, pr: PullRequest) -> PriorState | None:
    """What earlier runs left, or None when GitHub would not say (posting will ask again)."""
    try:
        return read_prior_state(pr, bot_login(gh))
    except GithubException:
        return None


def _scope(
    pr: PullRequest, prior: PriorState | None, source: PullDiff, settings: Settings
) -> ReviewScope:
    head = source.pull.head_sha
    if prior is None:
        return ReviewScope("full", head, reason="the earlier reviews could not be read")
    summary = prior.summary_review
    record = decode_record(summary.body) if summary is not None else None
    if summary is not None and record is None and settings.incremental:
        return ReviewScope("full", head, reason="the earlier review left no record to build on")
    return plan_scope(
        pr.base.repo, record, head, source.change.diff, incremental=settings.incremental
    )


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
    # Incremental review needs what the last posted review saw, so only a posting run has it.
    prior = _prior(gh, pr) if post else None
    scope = _scope(pr, prior, source, settings) if post else ReviewScope("full", pull.head_sha)
    change = scope.change() if scope.mode == "incremental" else source.change
    price_note = None
    if scope.mode == "nothing-new":
        model = resolve_model(settings, resolve_provider(settings))
        result = nothing_new_result(scope, model)
        change = Change(Diff())
    else:
        plan = plan_review(settings, change)
        result = combine(scope, run_review(plan, settings, on_progress))
        price_note = plan.price_note
    outcome = PullReview(
        pull, result, scope=scope.describe(change.diff) if post else None, price_note=price_note
    )
    if not post:
        return outcome
    if result.fatal is not None or every_sent_chunk_failed(result):
        outcome.not_posted = _("the model endpoint failed, so there is no review to post")
        return outcome
    record = encode_record(next_record(scope, result))
    try:
        if prior is None:
            prior = read_prior_state(pr, bot_login(gh))
        comments = plan_comments(
            result.findings, source.change.diff, prior.posted_fingerprints, settings.max_comments
        )
        gone = addressed(prior.earlier, result.findings)
        poster = ReviewPoster(pr, pull.head_sha)
        context = SummaryContext(
            pull,
            comments,
            scope_line=outcome.scope,
            record=record,
            resolved=resolved(gone, pull.head_sha),
        )
        outcome.published = poster.publish(
            comments,
            prior,
            review_event(result, settings),
            lambda refused: render_summary(result, replace(context, inline_refused=refused)),
            lambda url, refused: render_followup(
                result, replace(context, inline_refused=refused), url
            ),
        )
        replied, notes = poster.reply_addressed(gone)
        outcome.published.notes.extend(notes)
        outcome.addressed = replied
    except PostingForbidden as exc:
        outcome.not_posted = _("GitHub refused the review ({reason})").format(reason=exc)
    except GithubException as exc:
        outcome.not_posted = explain(exc, "posting the review")
    return outcome
