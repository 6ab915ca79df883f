"""A fake reviewer for `reviewbot-eval` tests: it reports issues at lines chosen in advance.

The test decides, per file, which new-side lines the "model" flags; the answer quotes the
code the prompt showed at each line, so the anchorer keeps every finding where it was put.
Judge requests (any other model name) are answered by `judge`.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from answers import issue, shown_files
from fake_openai import RecordedRequest, Reply

Plan = dict[str, list[int]]  # path -> lines to flag


def planned_reviewer(
    plan: Plan,
    *,
    judge: Callable[[RecordedRequest], str] | None = None,
    extra: Callable[[RecordedRequest], Plan] | None = None,
    review_model: str = "test-model",
) -> Callable[[RecordedRequest], Reply]:
    def respond(request: RecordedRequest) -> Reply:
        if request.model != review_model:
            assert judge is not None, f"unexpected model {request.model}"
            return Reply(content=judge(request))
        wanted = {path: list(lines) for path, lines in plan.items()}
        for path, lines in (extra(request) if extra else {}).items():
            wanted.setdefault(path, []).extend(lines)
        issues = []
        for path, shown in shown_files(request.user or "").items():
            code_at = dict(shown)
            for line in wanted.get(path, []):
                if line in code_at:
                    issues.append(issue(path, line, code_at[line], title=f"flagged {path}:{line}"))
        return Reply(content=json.dumps({"score": 5, "issues": issues}))

    return respond
