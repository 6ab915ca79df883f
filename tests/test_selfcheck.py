"""The self-check, suggestions, --min-severity and the owners' rules, in the engine.

Driven in-process by scripted chat clients (tests/fake_chat.py): one for the reviews, one for
the self-check, so each test says exactly what each model answers.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest
from answers import content, issue, shown_files
from engine_diffs import DIFF
from fake_chat import HANG, Entry, Messages, ScriptedChat
from keys import TEST_KEY

from reviewbot.app import Plan, plan_review, run_review
from reviewbot.change import Change
from reviewbot.chat import EndpointError, RequestFailed
from reviewbot.config import Settings, load_settings
from reviewbot.diffparse import parse_diff
from reviewbot.exitcodes import EXIT_FINDINGS, EXIT_OK, final_exit
from reviewbot.findings import ReviewResult, Severity

pytestmark = pytest.mark.usefixtures("here")


def settings(**overrides: Any) -> Settings:
    base: dict[str, Any] = {
        "api_key": TEST_KEY,
        "model": "m",
        "max_chunk_tokens": 300,
        "token_encoding": "estimate",
        "cache": False,
        "concurrency": 2,
    }
    return load_settings(base | overrides)


def plan_for(s: Settings, diff: str = DIFF, **kwargs: Any) -> Plan:
    return plan_review(s, Change(parse_diff(diff), **kwargs))


def two_issues(messages: Messages) -> Entry:
    """A real bug on the first added line of each file and a nit on the second."""
    issues = []
    for path, lines in shown_files(messages[1]["content"]).items():
        issues.append(issue(path, lines[0][0], lines[0][1], title=f"bug in {path}"))
        issues.append(
            issue(path, lines[1][0], lines[1][1], title=f"nit in {path}", severity="medium")
        )
    return content(6, issues)


def listed(messages: Messages) -> list[dict[str, Any]]:
    user = messages[1]["content"]
    found: list[dict[str, Any]] = json.loads(
        user.split("Findings:\n", 1)[1].split("\n\nCode they cite:", 1)[0]
    )
    return found


def drop_nits(messages: Messages) -> Entry:
    return json.dumps(
        {
            "verdicts": [
                {"id": f["id"], "keep": not f["title"].startswith("nit"), "reason": "taste"}
                for f in listed(messages)
            ]
        }
    )


def review(
    verifier: ScriptedChat, reviews: ScriptedChat | None = None, **overrides: Any
) -> ReviewResult:
    s = settings(**overrides)
    return run_review(
        plan_for(s), s, chat=reviews or ScriptedChat(responder=two_issues), verify_chat=verifier
    )


# ---------------------------------------------------------------------- keep, drop, correct


def test_rejected_findings_are_dropped_listed_and_counted() -> None:
    verifier = ScriptedChat(responder=drop_nits)
    result = review(verifier)
    assert sorted(f.title for f in result.findings) == ["bug in a.py", "bug in b.py", "bug in c.py"]
    assert sorted(f.title for f in result.rejected) == ["nit in a.py", "nit in b.py", "nit in c.py"]
    assert {f.reason for f in result.rejected} == {"taste"}
    assert len(verifier.calls) == 3  # one request per chunk with findings
    stats = result.stats
    assert (stats.rejected, stats.unverified, stats.verify_requests) == (3, 0, 3)
    assert stats.verify_prompt_tokens == 300 and stats.verify_completion_tokens == 60
    assert stats.prompt_tokens == 300  # the review's own, counted apart
    assert stats.requests == 3


def test_only_the_cited_lines_go_to_the_self_check() -> None:
    verifier = ScriptedChat(responder=drop_nits)
    review(verifier)
    system, user = (m["content"] for m in verifier.calls[0].messages)
    assert '"verdicts"' in system and "<<<DATA" in user
    shown = [int(n) for n in re.findall(r"^\s*(\d+) \+", user, flags=re.MULTILINE)]
    assert shown == [1, 2, 3, 4]  # lines 1 and 2 cited, two lines of context after


def test_a_corrected_severity_replaces_the_first_and_counts_for_fail_on() -> None:
    def lower_bugs(messages: Messages) -> Entry:
        return json.dumps(
            {
                "verdicts": [
                    {"id": f["id"], "keep": True, "severity": "low"} for f in listed(messages)
                ]
            }
        )

    kept = review(ScriptedChat(responder=lambda m: '{"verdicts": []}'))
    assert final_exit(kept, "high", "fail")[0] == EXIT_FINDINGS
    result = review(ScriptedChat(responder=lower_bugs), fail_on="high")
    assert {f.severity for f in result.findings} == {Severity.LOW}
    assert final_exit(result, "high", "fail")[0] == EXIT_OK


def test_rejected_findings_do_not_count_for_fail_on() -> None:
    def reject_all(messages: Messages) -> Entry:
        return json.dumps({"verdicts": [{"id": f["id"], "keep": False} for f in listed(messages)]})

    result = review(ScriptedChat(responder=reject_all))
    assert result.findings == [] and result.stats.rejected == 6
    assert final_exit(result, "low", "fail")[0] == EXIT_OK
    assert result.rejected[0].reason == "rejected by the self-check"


def test_an_invalid_answer_is_reasked() -> None:
    verifier = ScriptedChat(["no verdicts here", '{"verdicts": "?"}'], responder=drop_nits)
    result = review(verifier, concurrency=1, max_reasks=2)
    assert result.stats.rejected == 3 and result.stats.unverified == 0
    assert len(verifier.calls) == 5  # chunk 1 asked three times, then one each
    again = verifier.calls[1].messages
    assert again[2] == {"role": "assistant", "content": "no verdicts here"}
    assert "JSON" in again[3]["content"]
    assert result.stats.reasks == 2


def test_a_missing_verdict_keeps_the_finding_unverified() -> None:
    def judge_first_only(messages: Messages) -> Entry:
        return json.dumps({"verdicts": [{"id": 1, "keep": True, "reason": "real"}]})

    result = review(ScriptedChat(responder=judge_first_only))
    assert len(result.findings) == 6 and result.stats.unverified == 3 and not result.rejected


# ---------------------------------------------------------------------- fail open


@pytest.mark.parametrize(
    "failure",
    [RequestFailed("server error 500 (3 retries)"), EndpointError("not found (404): model v")],
)
def test_a_failed_self_check_keeps_every_finding(failure: Exception) -> None:
    verifier = ScriptedChat(responder=lambda messages: failure)
    result = review(verifier, concurrency=1)
    assert len(result.findings) == 6 and result.stats.unverified == 6
    assert result.fatal is None and result.failed_chunks == []
    if isinstance(failure, EndpointError):
        assert len(verifier.calls) == 1  # an unusable endpoint is not asked again
    else:
        assert len(verifier.calls) == 3


def test_invalid_answers_after_the_reasks_keep_the_findings() -> None:
    verifier = ScriptedChat(responder=lambda messages: "still not json")
    result = review(verifier, max_reasks=1)
    assert len(result.findings) == 6 and result.stats.unverified == 6
    assert len(verifier.calls) == 6


def test_a_hung_self_check_is_cut_by_the_deadline_and_fails_open() -> None:
    verifier = ScriptedChat(responder=lambda messages: HANG)
    started = time.monotonic()
    result = review(verifier, timeout=1.5)
    assert time.monotonic() - started < 4
    assert len(result.findings) == 6 and result.stats.unverified == 6
    assert result.failed_chunks == []


def test_a_review_endpoint_failure_is_still_fatal() -> None:
    reviews = ScriptedChat(responder=lambda messages: EndpointError("401 bad key"))
    verifier = ScriptedChat(responder=drop_nits)
    result = review(verifier, reviews)
    assert result.fatal == "401 bad key" and verifier.calls == []


# ---------------------------------------------------------------------- off, cached, threshold


def test_no_verify_sends_no_self_check() -> None:
    verifier = ScriptedChat(responder=drop_nits)
    result = review(verifier, verify=False)
    assert verifier.calls == [] and len(result.findings) == 6
    assert (result.stats.verify_requests, result.stats.unverified) == (0, 0)


def test_a_rerun_with_the_same_findings_makes_no_request(tmp_path: Path) -> None:
    first = ScriptedChat(responder=drop_nits)
    before = review(first, cache=True, cache_dir=tmp_path)
    again, verifier = ScriptedChat(), ScriptedChat()  # unscripted: any call would fail
    after = review(verifier, again, cache=True, cache_dir=tmp_path)
    assert again.calls == [] and verifier.calls == []
    assert [f.title for f in after.findings] == [f.title for f in before.findings]
    assert after.stats.rejected == 3 and after.stats.verify_requests == 0


def test_the_verify_model_gets_its_own_cache_entries(tmp_path: Path) -> None:
    review(ScriptedChat(responder=drop_nits), cache=True, cache_dir=tmp_path)
    verifier = ScriptedChat(responder=drop_nits)
    review(verifier, cache=True, cache_dir=tmp_path, verify_model="bigger")
    assert len(verifier.calls) == 3


def test_min_severity_hides_and_counts_and_is_not_verified() -> None:
    verifier = ScriptedChat(responder=drop_nits)
    result = review(verifier, min_severity="high")
    assert sorted(f.title for f in result.findings) == ["bug in a.py", "bug in b.py", "bug in c.py"]
    assert result.stats.below_threshold == 3 and result.stats.rejected == 0
    assert all(len(listed(c.messages)) == 1 for c in verifier.calls)  # nits never sent

    unchecked = review(ScriptedChat(), verify=False, min_severity="high")
    assert len(unchecked.findings) == 3 and unchecked.stats.below_threshold == 3


# ---------------------------------------------------------------------- suggestions


def with_suggestion(suggestion: str) -> Any:
    def answer(messages: Messages) -> Entry:
        path, lines = next(iter(shown_files(messages[1]["content"]).items()))
        found = issue(path, lines[0][0], lines[0][1], suggestion=suggestion)
        return content(6, [found])

    return answer


def test_suggestions_are_normalised_before_any_reporter() -> None:
    diff = (
        "diff --git a/m.py b/m.py\n--- a/m.py\n+++ b/m.py\n@@ -1,3 +1,3 @@\n"
        " def f(items):\n     for item in items:\n"
        "-        total += item\n+        total += item.price\n"
    )
    s = settings(verify=False)
    files = {"m.py": "def f(items):\n    for item in items:\n        total += item.price\n"}

    def result_for(suggestion: str) -> Any:
        plan = plan_for(s, diff, head=files.get)
        chat = ScriptedChat(responder=with_suggestion(suggestion))
        (finding,) = run_review(plan, s, chat=chat).findings
        return finding

    fixed = result_for("```python\n+total += item.price * 2\n```")
    assert fixed.suggestion == "        total += item.price * 2" and fixed.suggestion_committable
    broken = result_for("total += (item.price")
    assert broken.suggestion == "        total += (item.price" and not broken.suggestion_committable
    assert result_for("total += item.price").suggestion is None  # identical: dropped


# ---------------------------------------------------------------------- the owners' rules


def test_rules_from_the_base_go_into_the_system_prompt_and_path_rules_by_chunk() -> None:
    s = settings(
        verify=False,
        instructions="Config rule.",
        rules=[{"paths": ["b.py"], "text": "Rule for b only."}],
    )
    base = {"AGENTS.md": "Base rule: use logging."}
    chat = ScriptedChat(responder=lambda messages: content(8))
    run_review(plan_for(s, base=base.get), s, chat=chat)
    systems = {
        next(iter(shown_files(c.messages[1]["content"]))): c.messages[0]["content"]
        for c in chat.calls
    }
    assert all("Base rule: use logging." in text for text in systems.values())
    assert all("Config rule." in text for text in systems.values())
    assert "Rule for b only." in systems["b.py"]
    assert "Rule for b only." not in systems["a.py"] + systems["c.py"]
    for call in chat.calls:  # the rules sit outside the data boundary
        assert "Base rule" not in call.messages[1]["content"]


def test_repo_rules_off_and_absent() -> None:
    base = {"AGENTS.md": "Base rule: use logging."}
    for s, reader in ((settings(repo_rules=False), base.get), (settings(), None)):
        plan = plan_for(s, base=reader)
        assert "Base rule" not in plan.renderer.system_for(plan.prepared.plan.chunks[0])
