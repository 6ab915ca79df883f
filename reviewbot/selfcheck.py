"""What happens to a chunk's findings once its review is in, on the engine's own pool.

First, at once: every suggestion is made safe to commit or marked text only
(reviewbot.suggest), so no reporter ever sees the model's raw text. Then, if the self-check is
on, one more request for the chunk, queued on the same pool: the model re-examines the findings
(each with only the code it cites) and what it rejects is dropped. The self-check fails open: a
finding without a verdict, or whose request fails after retries and re-asks, is kept and counted
unverified; the review never fails because of it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial

from reviewbot.cache import ReviewCache, cache_key
from reviewbot.chat import ChatClient, EndpointError, RequestFailed
from reviewbot.findings import Finding, RejectedFinding, Severity
from reviewbot.outcome import ChunkOutcome
from reviewbot.pool import Step, Work
from reviewbot.requestargs import Sampling
from reviewbot.review import Reviewer
from reviewbot.rules import Reader
from reviewbot.suggest import Suggestion, checkable, normalise
from reviewbot.verdicts import VerifyAnswer, apply_verdicts, parse_verdicts
from reviewbot.verify import VerifyRenderer

Reask = Callable[[list[str], bool], str]


class VerdictCache:
    """Validated self-check answers, keyed like review answers: a re-run with the same findings
    and code makes no request."""

    def __init__(
        self,
        store: ReviewCache,
        *,
        model: str,
        base_url: str | None,
        template: str,
        sampling: Sampling,
    ) -> None:
        self.store = store
        s = sampling
        self.salt: dict[str, object] = {
            "kind": "verify",
            "model": model,
            "base_url": base_url,
            "templates": template,
            "sampling": [s.temperature, s.top_p, s.max_answer_tokens, s.seed],
        }

    def key(self, messages: list[dict[str, str]]) -> str:
        return cache_key({**self.salt, "messages": messages})

    def get(self, messages: list[dict[str, str]]) -> VerifyAnswer | None:
        hit = self.store.get(self.key(messages))
        if hit is None:
            return None
        try:
            return VerifyAnswer.model_validate(hit)
        except ValueError:
            return None

    def put(self, messages: list[dict[str, str]], answer: VerifyAnswer) -> None:
        self.store.put(self.key(messages), answer.model_dump(mode="json"))


@dataclass(frozen=True)
class SelfCheckOptions:
    client: ChatClient
    renderer: VerifyRenderer
    reask: Reask
    max_reasks: int
    min_severity: Severity = Severity.LOW
    cache: VerdictCache | None = None


class FindingsCheck:
    """The engine's follow-up: `follow_up(reviewer, outcome)` for Reviewer(follow_up=...)."""

    def __init__(self, verify: SelfCheckOptions | None, new_text: Reader | None = None) -> None:
        self.verify = verify
        self.new_text = new_text
        self._files: dict[str, str | None] = {}
        self._files_lock = threading.Lock()
        self._broken: str | None = None  # the self-check's endpoint is unusable: stop asking

    # -- suggestions ---------------------------------------------------------------------------

    def _file(self, path: str) -> str | None:
        if self.new_text is None or not checkable(path):
            return None
        with self._files_lock:
            if path in self._files:
                return self._files[path]
        text = self.new_text(path)
        with self._files_lock:
            self._files[path] = text
        return text

    def fix_suggestions(self, outcome: ChunkOutcome) -> None:
        fixed = []
        for finding in outcome.findings:
            if finding.suggestion is None:
                fixed.append(finding)
                continue
            placed = finding.anchor == "line" and finding.path is not None
            path = finding.path if placed else None
            try:
                out = normalise(
                    finding.suggestion,
                    finding.code if placed else [],
                    path=path,
                    line=finding.line if placed else None,
                    new_text=self._file(path) if path is not None else None,
                    known=outcome.chunk.new_side_lines(path) if path is not None else None,
                )
            except Exception:  # a bug here must not cost the finding: show the text, unchecked
                out = Suggestion(finding.suggestion, False, "not checked")
            fixed.append(
                finding.model_copy(
                    update={"suggestion": out.text, "suggestion_committable": out.committable}
                )
            )
        outcome.findings = fixed

    # -- the follow-up ---------------------------------------------------------------------------

    def follow_up(self, reviewer: Reviewer, outcome: ChunkOutcome) -> Work[ChunkOutcome] | None:
        if outcome.failure is not None:
            return None
        self.fix_suggestions(outcome)
        if self.verify is None:
            return None
        floor = self.verify.min_severity.rank
        to_check = [f for f in outcome.findings if f.severity.rank >= floor]
        if not to_check:
            return None
        # Until its verdicts are in, the findings count as unverified: what the deadline keeps.
        outcome.unverified = len(to_check)
        return partial(self._verify, reviewer, outcome, to_check)

    def _verify(
        self, reviewer: Reviewer, outcome: ChunkOutcome, to_check: list[Finding]
    ) -> Step[ChunkOutcome]:
        assert self.verify is not None
        request = self.verify.renderer.request(outcome.chunk, to_check)
        tally = ChunkOutcome(outcome.chunk)  # the self-check's requests and tokens
        answer = self.verify.cache.get(request.messages) if self.verify.cache else None
        from_cache = answer is not None
        if answer is None and self._broken is None:
            try:
                answer = self._answer(reviewer, tally, request.messages)
            except EndpointError as exc:
                self._broken = str(exc)
            except RequestFailed:
                pass
        applied = apply_verdicts(to_check, answer)
        if answer is not None and not from_cache and not applied.unverified and self.verify.cache:
            self.verify.cache.put(request.messages, answer)  # complete answers only
        judged = {id(f) for f in to_check}
        rest = [f for f in outcome.findings if id(f) not in judged]
        checked = replace(
            outcome,
            findings=[*applied.kept, *rest],
            rejected=[
                RejectedFinding(**f.model_dump(), code=f.code, reason=reason)
                for f, reason in applied.rejected
            ],
            unverified=applied.unverified,
            reasks=outcome.reasks + tally.reasks,
            verify_requests=tally.requests,
            verify_prompt_tokens=tally.prompt_tokens,
            verify_completion_tokens=tally.completion_tokens,
        )
        return Step(checked)

    def _answer(
        self, reviewer: Reviewer, tally: ChunkOutcome, messages: list[dict[str, str]]
    ) -> VerifyAnswer | None:
        """A valid answer, re-asking like a review; else the valid verdicts salvaged, or None."""
        assert self.verify is not None
        conversation = list(messages)
        salvage: VerifyAnswer | None = None
        for attempt in range(self.verify.max_reasks + 1):
            reply = reviewer.ask(tally, conversation, client=self.verify.client)
            parsed = parse_verdicts(reply.content)
            if parsed.answer is None and not (reply.content or "").strip() and reply.reasoning:
                parsed = parse_verdicts(reply.reasoning)
            if parsed.answer is not None:
                return parsed.answer
            salvage = parsed.salvage or salvage
            if attempt == self.verify.max_reasks:
                break
            tally.reasks += 1
            conversation = [
                *messages,
                {"role": "assistant", "content": (reply.content or "")[-8000:]},
                {
                    "role": "user",
                    "content": self.verify.reask(parsed.errors, reply.finish_reason == "length"),
                },
            ]
        return salvage
