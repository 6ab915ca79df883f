"""Post one review on a pull request, safely.

- The event is COMMENT, or REQUEST_CHANGES when asked for; never APPROVE.
- A POST is never blindly repeated: after a 5xx, a timeout or a rate limit, the PR's reviews are
  read back and the run's hidden nonce looked for before posting again.
- A 422 (which the anchor checks should prevent) moves the inline comments into the summary
  instead of losing them; a 403/404 on posting (fork PR, read-only token) is reported to the
  caller, which falls back to annotations and the job summary.
- The summary lives in the first review we posted on the PR and is edited in place on re-runs.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from github import GithubException
from github.PullRequest import PullRequest
from github.PullRequestReview import PullRequestReview

from reviewbot.errors import UserError
from reviewbot.github.addressed import EarlierComment, earlier_comments, reply_body
from reviewbot.github.comments import CommentPlan, fingerprints_in
from reviewbot.github.connection import ACTIONS_BOT
from reviewbot.github.summary import SUMMARY_MARKER
from reviewbot.i18n import _
from reviewbot.llm import retry_after_seconds

Event = Literal["COMMENT", "REQUEST_CHANGES"]
ALLOWED_EVENTS: frozenset[str] = frozenset({"COMMENT", "REQUEST_CHANGES"})
RUN_MARKER = "<!-- reviewbot:run={} -->"
_RUN = re.compile(r"<!-- reviewbot:run=([0-9a-f]+) -->")
POST_ATTEMPTS = 4
MAX_WAIT = 90.0


# Renders the summary, given GitHub's reason when inline comments had to move into it.
Render = Callable[[str | None], str]
# Renders a later run's short review, given the summary's URL and that same reason.
Followup = Callable[[str, str | None], str]


class PostingForbidden(UserError):
    """The token may not write to this PR (fork PR, read-only token, PR gone)."""


@dataclass(frozen=True)
class PriorState:
    """What earlier runs left on the PR."""

    posted_fingerprints: set[str]
    summary_review: PullRequestReview | None
    change_requests: list[PullRequestReview] = field(default_factory=list)
    earlier: list[EarlierComment] = field(default_factory=list)


@dataclass(frozen=True)
class Published:
    review_url: str | None
    inline_posted: int
    inline_refused: str | None  # GitHub's reason, when inline comments went to the summary
    notes: list[str] = field(default_factory=list)  # what went wrong on the side, for the log


def read_prior_state(pr: PullRequest, login: str | None) -> PriorState:
    """Fingerprints and the summary review earlier runs left. Without a known login, ours are
    the bot's that carry our summary marker (the Actions bot, or a GitHub App's own bot)."""
    reviews = list(pr.get_reviews())
    if login is None:
        login = next(
            (
                r.user.login
                for r in reviews
                if r.user is not None and r.user.type == "Bot" and SUMMARY_MARKER in (r.body or "")
            ),
            ACTIONS_BOT,
        )
    summary = next(
        (
            r
            for r in reviews
            if r.user is not None and r.user.login == login and SUMMARY_MARKER in (r.body or "")
        ),
        None,
    )
    fingerprints: set[str] = set()
    ours = [c for c in pr.get_review_comments() if c.user is not None and c.user.login == login]
    for comment in ours:
        fingerprints |= fingerprints_in(comment.body)
    change_requests = [
        r
        for r in reviews
        if r.user is not None and r.user.login == login and r.state == "CHANGES_REQUESTED"
    ]
    return PriorState(fingerprints, summary, change_requests, earlier_comments(ours))


def _is_transient(exc: GithubException) -> bool:
    if exc.status in (429, 500, 502, 503, 504):
        return True
    message = str(exc.message or exc.data or "").lower()
    return exc.status == 403 and ("rate limit" in message or _retry_after(exc) is not None)


def _retry_after(exc: GithubException) -> float | None:
    return retry_after_seconds({k.lower(): v for k, v in (exc.headers or {}).items()})


def _forbidden(exc: GithubException) -> bool:
    """The token may not write here (as opposed to a rate limit, which also answers 403)."""
    return exc.status in (401, 403, 404) and not _is_transient(exc)


def _error_text(exc: GithubException) -> str:
    data = exc.data if isinstance(exc.data, dict) else {}
    errors = data.get("errors") or []
    details = "; ".join(str(e.get("message", e) if isinstance(e, dict) else e) for e in errors)
    return f"{exc.status} {exc.message or data.get('message', '')}" + (
        f": {details}" if details else ""
    )


class ReviewPoster:
    def __init__(self, pr: PullRequest, head_sha: str) -> None:
        self.pr = pr
        self.head_sha = head_sha
        self.nonce = uuid.uuid4().hex[:16]

    def publish(
        self,
        plan: CommentPlan,
        prior: PriorState,
        event: Event,
        render: Render,
        followup: Followup,
    ) -> Published:
        if event not in ALLOWED_EVENTS:  # neither the model nor a config can make this APPROVE
            raise ValueError(f"refusing review event {event!r}")
        comments = [c.payload for c in plan.inline]
        refused: str | None = None
        review: PullRequestReview | None = None
        # A re-run with nothing new to say only refreshes the summary; a first run, or a change
        # request, needs a review even without inline comments.
        needs_review = prior.summary_review is None or event == "REQUEST_CHANGES"
        if comments or needs_review:
            try:
                review = self._post(self._body(prior, render, followup, None), event, comments)
            except GithubException as exc:
                if exc.status != 422 or not comments:
                    raise
                # The anchor checks should make this impossible; if GitHub disagrees, keep the
                # findings by listing them in the summary rather than losing the review.
                refused, comments = _error_text(exc), []
                if needs_review:
                    review = self._post(self._body(prior, render, followup, refused), event, [])
        if prior.summary_review is not None:
            self._edit(prior.summary_review, render(refused))
        shown = review or prior.summary_review
        notes = self._withdraw_change_requests(prior) if event == "COMMENT" else []
        return Published(shown.html_url if shown else None, len(comments), refused, notes)

    def _withdraw_change_requests(self, prior: PriorState) -> list[str]:
        """Our earlier REQUEST_CHANGES no longer holds: dismiss it rather than leave the PR
        blocked by a finding that is gone."""
        notes = []
        message = _(
            "reviewbot: as of {sha} no finding reaches the threshold that requested changes."
        ).format(sha=f"`{self.head_sha[:7]}`")
        for review in prior.change_requests:
            try:
                review.dismiss(message)
            except GithubException as exc:  # e.g. a protected branch the bot may not dismiss on
                notes.append(
                    _("could not dismiss the earlier change request: {error}").format(
                        error=_error_text(exc)
                    )
                )
        return notes

    @staticmethod
    def _body(prior: PriorState, render: Render, followup: Followup, refused: str | None) -> str:
        """The new review's body: the summary itself the first time, else what is new."""
        if prior.summary_review is None:
            return render(refused)
        return followup(prior.summary_review.html_url, refused)

    def reply_addressed(self, comments: list[EarlierComment]) -> tuple[int, list[str]]:
        """Answer each newly addressed finding's thread once; a failure is a note, not an
        error (the next run tries again, since no marker was left)."""
        posted, notes = 0, []
        for comment in comments:
            if comment.addressed_in is not None:
                continue
            try:
                self.pr.create_review_comment_reply(comment.id, reply_body(self.head_sha))
                posted += 1
            except GithubException as exc:
                notes.append(
                    _("could not reply on an addressed finding: {error}").format(
                        error=_error_text(exc)
                    )
                )
        return posted, notes

    def _post(
        self, body: str, event: Event, comments: list[dict[str, object]]
    ) -> PullRequestReview:
        body = body + "\n" + RUN_MARKER.format(self.nonce)
        commit = self.pr.base.repo.get_commit(self.head_sha)
        delay = 1.0
        for attempt in range(1, POST_ATTEMPTS + 1):
            try:
                return self.pr.create_review(
                    commit=commit,
                    body=body,
                    event=event,
                    comments=comments,  # type: ignore[arg-type]
                )
            except GithubException as exc:
                if _forbidden(exc):
                    raise PostingForbidden(_error_text(exc)) from exc
                if not _is_transient(exc) or attempt == POST_ATTEMPTS:
                    raise
                time.sleep(min(MAX_WAIT, _retry_after(exc) or delay))
                delay *= 2
            except OSError:  # connection reset or timeout: the review may exist
                if attempt == POST_ATTEMPTS:
                    raise
                time.sleep(delay)
                delay *= 2
            existing = self._find_own_review()
            if existing is not None:
                return existing
        raise AssertionError("unreachable")

    def _find_own_review(self) -> PullRequestReview | None:
        for review in self.pr.get_reviews():
            match = _RUN.search(review.body or "")
            if match and match.group(1) == self.nonce:
                return review
        return None

    @staticmethod
    def _edit(review: PullRequestReview, body: str) -> None:
        try:
            review.edit(body)
        except GithubException as exc:
            if _forbidden(exc):
                raise PostingForbidden(_error_text(exc)) from exc
            raise
