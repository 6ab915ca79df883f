"""The semantic check: does a finding describe the same problem as the label it landed on?

AACR-Bench confirms each location match with a model; so can we (`--judge-model`). The
judge gets the two comments, never the code, and answers yes or no. Its answer is
untrusted text: only a clear first yes/no counts, anything else is not a confirmation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from reviewbot.chat import RequestFailed
from reviewbot.evaluate.dataset import Label
from reviewbot.findings import Finding
from reviewbot.llm import Endpoint, ModelClient
from reviewbot.requestargs import Sampling

SYSTEM = (
    "You compare two code review comments made on the same lines of a pull request. "
    "Answer yes when both point out the same underlying problem in the code, even in "
    "different words or with different fixes. Answer no when they raise different problems. "
    "Reply with the single word yes or no."
)

_THINK = re.compile(r"<think(?:ing)?>.*?</think(?:ing)?>", re.DOTALL | re.IGNORECASE)
_VERDICT = re.compile(r"\b(yes|no)\b", re.IGNORECASE)
MAX_COMMENT_CHARS = 4000


def parse_verdict(text: str | None) -> bool | None:
    """True for yes, False for no, None when the answer says neither first."""
    found = _VERDICT.search(_THINK.sub("", text or ""))
    if found is None:
        return None
    return found.group(1).lower() == "yes"


def _finding_text(finding: Finding) -> str:
    text = finding.title
    if finding.body:
        text += "\n" + finding.body
    return text[:MAX_COMMENT_CHARS]


def _label_text(label: Label) -> str:
    text = label.note or ""
    if label.category:
        text = f"[{label.category}] {text}"
    return text[:MAX_COMMENT_CHARS]


def judge_prompt(finding: Finding, label: Label) -> list[dict[str, str]]:
    user = (
        f"Comment A:\n{_finding_text(finding)}\n\n"
        f"Comment B:\n{_label_text(label)}\n\n"
        "Do A and B describe the same problem? Answer yes or no."
    )
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]


@dataclass
class Verdict:
    same: bool | None  # None: the request failed or the answer was neither yes nor no
    problem: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0


class Judge:
    """Asks `model` on the review's endpoint; EndpointError (bad key, unknown model) propagates."""

    def __init__(
        self,
        endpoint: Endpoint,
        model: str,
        *,
        max_retries: int = 3,
        request_timeout: float = 180.0,
    ) -> None:
        self.model = model
        # Plain text, no response_format; temperature 0 so a re-run asks the same question.
        self.client = ModelClient(
            replace(endpoint, model=model, first_mode="none"),
            Sampling(temperature=0.0, top_p=None, max_answer_tokens=None, seed=None),
            stream=False,
            max_retries=max_retries,
            request_timeout=request_timeout,
        )

    def same_problem(self, finding: Finding, label: Label) -> Verdict:
        if not (label.note or "").strip():
            # Nothing to compare with: the location match stands.
            return Verdict(True, "the label has no note")
        try:
            reply = self.client.complete(judge_prompt(finding, label))
        except RequestFailed as exc:
            return Verdict(None, str(exc))
        same = parse_verdict(reply.content)
        problem = None if same is not None else "the judge answered neither yes nor no"
        return Verdict(same, problem, reply.prompt_tokens, reply.completion_tokens)

    def close(self) -> None:
        self.client.close()
