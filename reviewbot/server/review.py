"""One queued job: review a pull request with the Action's pipeline and post the review.

The only coupling to the pipeline is `review_pull(gh, repo, number, settings, post=True)`,
called with an installation token instead of GITHUB_TOKEN.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from typing import Any

from dramatiq.middleware import CurrentMessage

from reviewbot.config import ConfigError
from reviewbot.diffparse import DiffParseError
from reviewbot.exitcodes import every_sent_chunk_failed, failure_reason
from reviewbot.github.connection import connect
from reviewbot.github.pullreview import review_pull
from reviewbot.i18n import using
from reviewbot.prompts import PromptError
from reviewbot.redact import redact
from reviewbot.server.appauth import InstallationTokens
from reviewbot.server.jobs import DONE_TTL, PermanentJobError, Queue, ReviewJob
from reviewbot.server.leases import Leases, release
from reviewbot.server.logs import log
from reviewbot.server.reposettings import read_repo_config, repo_settings

ERROR_TTL = 8 * 86400  # outlives Dramatiq's dead-letter retention (7 days)


class ModelUnavailable(RuntimeError):
    """The model endpoint failed the whole review; worth another attempt later."""


class NotPosted(RuntimeError):
    """GitHub did not take the review; worth another attempt later."""


@dataclass
class JobRunner:
    queue: Queue
    tokens: InstallationTokens
    api_url: str

    def __post_init__(self) -> None:
        settings = self.queue.settings
        self.leases = Leases(self.queue.client, settings.key_prefix, settings.lock_ttl_seconds)
        defaults, _ = repo_settings(None, "REVIEWBOT_* environment")
        self.write_interval = defaults.github_write_interval

    def __call__(self, **fields: Any) -> None:
        job = ReviewJob(**fields)
        message = CurrentMessage.get_current_message()
        job_id = message.message_id if message is not None else None
        context = {"delivery": job.delivery, "repo": job.repo, "pr": job.number, "job": job_id}
        started = time.monotonic()
        try:
            outcome = self.run(job, context)
        except (ConfigError, PromptError, DiffParseError) as exc:
            self._failed(job_id, context, exc, permanent=True)
            raise PermanentJobError(redact(str(exc))) from None
        except Exception as exc:
            self._failed(job_id, context, exc, permanent=False)
            raise
        log("job.done", outcome=outcome, seconds=round(time.monotonic() - started, 3), **context)

    def _failed(
        self, job_id: str | None, context: dict[str, Any], exc: Exception, *, permanent: bool
    ) -> None:
        text = redact(f"{exc.__class__.__name__}: {exc}")
        self.queue.count("job_attempts_failed")
        if job_id is not None:
            self.queue.client.set(self.queue.keys.error(job_id), text, ex=ERROR_TTL)
        log("job.failed", error=text, permanent=permanent, **context)

    def _superseded(self, job: ReviewJob) -> str | None:
        keys = self.queue.keys
        newest = self.queue.client.get(keys.head(job.repo, job.number))
        if isinstance(newest, bytes) and newest.decode() != job.head_sha:
            return "superseded"
        if self.queue.client.exists(keys.done(job.repo, job.number, job.head_sha)):
            return "already-reviewed"
        return None

    def _wait(self, job: ReviewJob, reason: str, context: dict[str, Any]) -> str:
        delay = min(2.0, self.leases.ttl / 2) * (0.5 + random.random())
        self.queue.requeue(job, delay_seconds=delay)
        self.queue.count("jobs_deferred")
        log("job.deferred", reason=reason, delay=round(delay, 2), **context)
        return f"deferred ({reason})"

    def run(self, job: ReviewJob, context: dict[str, Any]) -> str:
        skip = self._superseded(job)
        if skip is not None:
            self.queue.count(f"jobs_{skip.replace('-', '_')}")
            return skip
        pull_lock = self.leases.pull_lock(job.repo, job.number)
        if pull_lock is None:
            return self._wait(job, "pull request busy", context)
        installation = job.installation_id or self.tokens.installation_for(job.repo)
        slot = self.leases.installation_slot(
            installation, self.queue.settings.installation_concurrency
        )
        if slot is None:
            release([pull_lock])
            return self._wait(job, "installation at its concurrency limit", context)
        with self.leases.held([pull_lock, slot]):
            skip = self._superseded(job)  # a newer push may have come while this one waited
            if skip is not None:
                self.queue.count(f"jobs_{skip.replace('-', '_')}")
                return skip
            return self._review(job, installation, context)

    def _review(self, job: ReviewJob, installation: int, context: dict[str, Any]) -> str:
        self.queue.count("jobs_started")
        log("job.start", head=job.head_sha[:12], installation=installation, **context)
        gh = connect(
            self.tokens.token(installation), self.api_url, write_interval=self.write_interval
        )
        text = read_repo_config(gh, job.repo, job.base_ref)
        settings, ignored = repo_settings(text, f"{job.repo}@{job.base_ref}:.reviewbot.toml")
        if ignored:
            log("config.ignored", keys=ignored, why="server-only settings", **context)
        with using(settings.language):  # per job: repositories review in their own language
            outcome = review_pull(gh, job.repo, job.number, settings, post=True)
        result = outcome.result
        stats = result.stats
        self.queue.count("tokens_prompt", stats.prompt_tokens)
        self.queue.count("tokens_completion", stats.completion_tokens)
        if stats.estimated_cost and stats.currency:
            self.queue.count(f"cost_{stats.currency}", float(stats.estimated_cost))
        if result.fatal is not None or every_sent_chunk_failed(result):
            raise ModelUnavailable(failure_reason(result))
        if outcome.not_posted is not None:
            raise NotPosted(outcome.not_posted)
        keys = self.queue.keys
        self.queue.client.set(keys.done(job.repo, job.number, job.head_sha), "1", ex=DONE_TTL)
        published = outcome.published
        if published is not None:
            self.queue.count("reviews_posted")
        log(
            "review.posted",
            url=published.review_url if published else None,
            findings=len(result.findings),
            head=outcome.pull.head_sha[:12],
            **context,
        )
        return "reviewed"
