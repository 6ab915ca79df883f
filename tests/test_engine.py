"""The review engine driven in-process by a scripted chat client: no HTTP, no threads left.

The loopback-server tests prove the real SDK path; these pin the engine's own rules (re-ask,
salvage, budget, deadline, cache, fatal errors, merge) fast and exactly.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from answers import content, issue, shown_files
from engine_diffs import DIFF, code, new_file
from fake_chat import HANG, Entry, Messages, ScriptedChat, reply
from keys import TEST_KEY

from reviewbot.app import Plan, plan_review, run_review
from reviewbot.change import Change
from reviewbot.chat import EndpointError, RequestFailed
from reviewbot.config import Settings, load_settings
from reviewbot.diffparse import parse_diff
from reviewbot.exitcodes import EXIT_ENDPOINT, EXIT_OK, final_exit
from reviewbot.findings import ReviewResult
from reviewbot.outcome import ChunkOutcome
from reviewbot.pool import Step, Work
from reviewbot.review import EngineOptions, Progress, Reviewer

pytestmark = pytest.mark.usefixtures("here")  # no config file of the checkout applies


def settings(**overrides: Any) -> Settings:
    base: dict[str, Any] = {
        "api_key": TEST_KEY,
        "model": "m",
        "max_chunk_tokens": 300,
        "token_encoding": "estimate",
        "cache": False,
        "concurrency": 1,
        "verify": False,  # the self-check has its own tests (test_selfcheck.py)
    }
    return load_settings(base | overrides)


def plan_for(s: Settings, diff: str = DIFF) -> Plan:
    return plan_review(s, Change(parse_diff(diff)))


def review(script: list[Entry], **overrides: Any) -> tuple[ReviewResult, ScriptedChat]:
    s = settings(**overrides)
    plan = plan_for(s)
    assert len(plan.prepared.plan.chunks) == 3  # one chunk a file: the tests count on it
    chat = ScriptedChat(script)
    return run_review(plan, s, chat=chat), chat


def one_issue(messages: Messages, severity: str = "high", score: int = 6) -> str:
    """One issue on the first added line of each file the prompt showed."""
    issues = [
        issue(path, lines[0][0], lines[0][1], severity=severity)
        for path, lines in shown_files(messages[1]["content"]).items()
    ]
    return content(score, issues)


def answering(messages: Messages) -> Entry:
    return one_issue(messages)


# ---------------------------------------------------------------------- asking


def test_every_chunk_is_asked_once_and_findings_are_anchored() -> None:
    s = settings()
    chat = ScriptedChat(responder=answering)
    result = run_review(plan_for(s), s, chat=chat)
    assert len(chat.calls) == 3
    assert [(f.path, f.line, f.anchor) for f in result.findings] == [
        ("a.py", 1, "line"),
        ("b.py", 1, "line"),
        ("c.py", 1, "line"),
    ]
    assert result.score == 6
    assert result.fatal is None
    assert result.model == "scripted-model"
    assert result.stats.requests == 3
    assert result.stats.prompt_tokens == 300 and result.stats.completion_tokens == 60
    assert result.stats.reviewed_lines == 36


def test_an_invalid_answer_is_reasked_with_the_errors() -> None:
    result, chat = review(["this is not json", content(7), content(7), content(7)], max_reasks=2)
    assert result.stats.reasks == 1
    assert result.failed_chunks == []
    second = chat.calls[1].messages
    assert second[:2] == chat.calls[0].messages
    assert second[2] == {"role": "assistant", "content": "this is not json"}
    assert second[3]["role"] == "user" and "JSON" in second[3]["content"]


def test_a_valid_answer_in_reasoning_content_is_taken() -> None:
    hidden = reply("", reasoning=content(9))
    result, chat = review([hidden, content(9), content(9)])
    assert result.stats.reasks == 0 and result.score == 9 and len(chat.calls) == 3


def test_the_valid_part_of_an_invalid_answer_is_salvaged_when_reasks_are_spent() -> None:
    good = issue("a.py", 1, code("a", 0))
    bad = {"path": "a.py", "title": "no line, no severity"}
    half = json.dumps({"score": 5, "issues": [good, bad]})
    result, chat = review([half, half, content(8), content(8)], max_reasks=1)
    assert [f.title for f in result.findings] == [good["title"]]
    assert result.failed_chunks == []
    assert result.stats.reasks == 1 and len(chat.calls) == 4


def test_no_valid_answer_fails_the_chunk_with_the_first_errors() -> None:
    result, _ = review(["nope", "nope", "nope", content(8), content(8)], max_reasks=2)
    assert len(result.failed_chunks) == 1
    failed = result.failed_chunks[0]
    assert failed.paths == ["a.py"] and not failed.unsent
    assert failed.reason.startswith("no valid answer after 2 re-asks: ")
    assert result.stats.reviewed_lines == 24


def test_usage_is_counted_locally_when_the_endpoint_reports_none() -> None:
    silent = [reply(content(8), usage_reported=False, prompt_tokens=0, completion_tokens=0)]
    result, _ = review(silent * 3)
    assert result.stats.prompt_tokens > 100 * 3  # the prompts, counted by the token counter
    assert result.stats.completion_tokens > 0


# ---------------------------------------------------------------------- limits


def test_a_spent_budget_sends_nothing_more_and_marks_chunks_unsent() -> None:
    s = settings()
    plan = plan_for(s)
    first = plan.renderer.messages(plan.prepared.plan.chunks[0])
    estimate = sum(len(m["content"]) for m in first) // 3
    # Room for the first chunk only: it uses its estimate, so the next cannot fit.
    s = settings(max_tokens=estimate + 5)
    chat = ScriptedChat([reply(content(8), prompt_tokens=estimate, completion_tokens=5)])
    result = run_review(plan_for(s), s, chat=chat)
    assert len(chat.calls) == 1
    assert [(f.paths, f.unsent) for f in result.failed_chunks] == [
        (["b.py"], True),
        (["c.py"], True),
    ]
    assert "--max-tokens budget" in result.failed_chunks[0].reason
    assert final_exit(result, "never", "fail") == (EXIT_OK, None)  # the user's choice


def test_a_budget_too_small_for_any_chunk_sends_nothing() -> None:
    result, chat = review([], max_tokens=1)
    assert chat.calls == []
    assert all(f.unsent for f in result.failed_chunks) and len(result.failed_chunks) == 3


def test_the_deadline_returns_on_time_and_cancels_a_hung_request() -> None:
    started = time.monotonic()
    result, chat = review([content(8), HANG], timeout=1.0)
    elapsed = time.monotonic() - started
    assert elapsed < 3.0
    assert chat.cancelled.is_set()
    reasons = {tuple(f.paths): f.reason for f in result.failed_chunks}
    assert reasons[("b.py",)] == "the review's --timeout was reached before this chunk ended"
    assert reasons[("c.py",)] == reasons[("b.py",)]
    assert result.stats.reviewed_lines == 12  # chunk a is kept


def test_a_chunk_is_not_sent_when_the_deadline_is_too_near() -> None:
    class Slow(ScriptedChat):
        def complete(self, messages: Messages, deadline: float | None = None) -> Any:
            time.sleep(0.7)  # leaves less than the half second a request needs
            return super().complete(messages, deadline)

    s = settings(timeout=1.0)
    chat = Slow(responder=answering)
    result = run_review(plan_for(s), s, chat=chat)
    assert len(chat.calls) == 1
    assert [f.reason for f in result.failed_chunks] == [
        "the review's --timeout was reached before this chunk was sent"
    ] * 2


# ---------------------------------------------------------------------- cache


def test_a_cached_answer_makes_no_call(tmp_path: Path) -> None:
    s = settings(cache=True, cache_dir=tmp_path)
    first = ScriptedChat(responder=answering)
    before = run_review(plan_for(s), s, chat=first)
    assert len(first.calls) == 3
    again = ScriptedChat()  # any call would fail the test: the script is empty
    after = run_review(plan_for(s), s, chat=again)
    assert again.calls == []
    assert after.stats.cached_chunks == 3
    assert after.findings == before.findings and after.score == before.score


def test_the_cache_key_follows_the_sampling(tmp_path: Path) -> None:
    s = settings(cache=True, cache_dir=tmp_path)
    run_review(plan_for(s), s, chat=ScriptedChat(responder=answering))
    warmer = settings(cache=True, cache_dir=tmp_path, temperature=0.9)
    chat = ScriptedChat(responder=answering)
    assert run_review(plan_for(warmer), warmer, chat=chat).stats.cached_chunks == 0
    assert len(chat.calls) == 3


def test_an_answer_without_score_is_not_cached(tmp_path: Path) -> None:
    s = settings(cache=True, cache_dir=tmp_path, max_reasks=0)
    bad = json.dumps({"score": "n/a", "issues": [issue("a.py", 1, "a_0")]})
    run_review(plan_for(s), s, chat=ScriptedChat([bad], responder=answering))
    chat = ScriptedChat(responder=answering)
    assert run_review(plan_for(s), s, chat=chat).stats.cached_chunks == 2
    assert [list(shown_files(c.user)) for c in chat.calls] == [["a.py"]]


# ---------------------------------------------------------------------- fatal errors


def test_a_fatal_error_stops_new_requests_keeps_done_chunks_and_lands_on_the_result() -> None:
    stop = EndpointError("example.test rejected the API key (401)")
    result, chat = review([content(8, []), stop])
    assert len(chat.calls) == 2  # chunk c never sent
    assert result.fatal == str(stop)
    reasons = [(f.paths, f.reason) for f in result.failed_chunks]
    assert reasons == [(["b.py"], str(stop)), (["c.py"], f"not sent: {stop}")]
    assert result.stats.reviewed_lines == 12
    assert final_exit(result, "never", "fail") == (EXIT_ENDPOINT, str(stop))
    assert final_exit(result, "never", "pass") == (EXIT_OK, str(stop))
    assert "fatal" not in result.model_dump(mode="json")  # not part of the JSON contract


def test_a_request_failure_fails_only_its_chunk() -> None:
    result, _ = review([RequestFailed("server error 500"), content(8), content(8)])
    assert result.fatal is None
    assert [f.reason for f in result.failed_chunks] == ["server error 500"]
    assert final_exit(result, "never", "fail") == (EXIT_OK, None)


def test_a_bug_in_one_chunk_does_not_sink_the_others() -> None:
    result, _ = review([ZeroDivisionError("boom"), content(8), content(8)])
    assert [f.reason for f in result.failed_chunks] == ["internal error: ZeroDivisionError('boom')"]
    assert result.stats.reviewed_lines == 24


# ---------------------------------------------------------------------- merge


def test_findings_merge_in_order_dedupe_keeps_the_worst_and_score_weights_by_lines() -> None:
    diff = new_file("a", 12) + new_file("b", 30)
    s = settings(max_chunk_tokens=500, concurrency=3)
    plan = plan_review(s, Change(parse_diff(diff)))
    assert len(plan.prepared.plan.chunks) == 2

    def answers(messages: Messages) -> Entry:
        files = shown_files(messages[1]["content"])
        if "b.py" in files:
            (line, code), *_ = files["b.py"]
            twice = [
                issue("b.py", line, code, severity="low", title="Same  thing"),
                issue("b.py", line, code, severity="critical", title="same thing"),
                issue("b.py", 5, files["b.py"][4][1], severity="medium"),
            ]
            return content(2, twice)
        (line, code), *_ = files["a.py"]
        return content(10, [issue("a.py", line, code, severity="low")])

    result = run_review(plan, s, chat=ScriptedChat(responder=answers))
    assert [(f.path, f.line, f.severity.value) for f in result.findings] == [
        ("a.py", 1, "low"),
        ("b.py", 1, "critical"),
        ("b.py", 5, "medium"),
    ]
    assert result.score == int((10 * 12 + 2 * 30) / 42 + 0.5)
    assert result.worst_severity() is not None and result.worst_severity().value == "critical"


def test_secrets_in_findings_are_redacted() -> None:
    leaked = content(5, [issue("a.py", 1, "a_0", body=f"the key {TEST_KEY} is exposed")])
    result, _ = review([leaked, content(8), content(8)])
    assert TEST_KEY not in result.findings[0].body


# ---------------------------------------------------------------------- follow-up work


def engine(
    chat: ScriptedChat, s: Settings, diff: str = DIFF, **kwargs: Any
) -> tuple[Reviewer, Plan]:
    plan = plan_for(s, diff)
    options = EngineOptions(
        chunk_budget=plan.prepared.plan.budget,
        concurrency=s.concurrency,
        max_reasks=s.max_reasks,
        deadline_seconds=s.timeout,
        token_budget=s.max_tokens,
        prices=None,
    )
    reviewer = Reviewer(chat, plan.renderer, options, cache=None, counter=plan.counter, **kwargs)
    return reviewer, plan


def test_follow_up_work_runs_on_the_pool_and_replaces_the_outcome() -> None:
    def verify(reviewer: Reviewer, outcome: ChunkOutcome) -> Work[ChunkOutcome] | None:
        if not outcome.findings:
            return None

        def second_pass() -> Step[ChunkOutcome]:
            reviewer.ask(outcome, [{"role": "user", "content": "check"}] * 2)
            outcome.findings = outcome.findings[:0]  # the check refuted every finding
            return Step(outcome)

        return second_pass

    chat = ScriptedChat(responder=answering)
    reviewer, plan = engine(chat, settings(concurrency=2), follow_up=verify)
    progress: list[Progress] = []
    reviewer.on_progress = progress.append
    result = reviewer.run(plan.prepared)
    assert len(chat.calls) == 6  # three reviews, three checks, within one pool
    assert result.findings == []
    assert result.stats.requests == 6
    assert result.stats.prompt_tokens == 600
    assert sorted({(p.done, p.total) for p in progress}) == [(0, 3), (1, 3), (2, 3), (3, 3)]


def test_follow_up_cut_by_the_deadline_keeps_the_first_outcome() -> None:
    def hang(reviewer: Reviewer, outcome: ChunkOutcome) -> Work[ChunkOutcome] | None:
        def second_pass() -> Step[ChunkOutcome]:
            reviewer.ask(outcome, [{"role": "user", "content": "check"}] * 2)
            return Step(outcome)

        return second_pass

    chat = ScriptedChat([one_issue_for("a"), HANG])
    reviewer, plan = engine(chat, settings(timeout=1.0), new_file("a", 12), follow_up=hang)
    started = time.monotonic()
    result = reviewer.run(plan.prepared)
    assert time.monotonic() - started < 3.0
    assert result.failed_chunks == []
    assert [f.path for f in result.findings] == ["a.py"]


def one_issue_for(name: str) -> str:
    return content(6, [issue(f"{name}.py", 1, code(name, 0))])


# ---------------------------------------------------------------------- settings and prompts


def test_flags_beat_the_environment_and_the_config_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".reviewbot.toml").write_text(
        'model = "from-file"\nconcurrency = 2\nmax_reasks = 1\n'
    )
    monkeypatch.setenv("REVIEWBOT_CONCURRENCY", "3")
    s = load_settings({"max_reasks": 4, "model": None}, cwd=tmp_path)
    assert (s.model, s.concurrency, s.max_reasks) == ("from-file", 3, 4)
    assert s.request_timeout == 180.0


def test_the_prompt_shows_the_chunk_and_the_reask_names_the_errors() -> None:
    s = settings(language="de", instructions="Watch the padding.")
    plan = plan_for(s)
    system, user = plan.renderer.messages(plan.prepared.plan.chunks[1])
    assert system["role"] == "system" and "Watch the padding." in system["content"]
    assert "b_11 = compute(11)" in user["content"] and "a_0" not in user["content"]
    assert "score: Field required" in plan.renderer.reask(["score: Field required"], False)


def test_a_template_override_changes_the_cache_fingerprint(tmp_path: Path) -> None:
    plain = plan_for(settings()).renderer
    (tmp_path / "system.j2").write_text("Review the code. Answer in JSON.\n")
    custom = plan_for(settings(prompt_dir=tmp_path)).renderer
    assert custom.system == "Review the code. Answer in JSON."
    assert custom.fingerprint != plain.fingerprint


def test_progress_knows_the_total_first_and_counts_tokens_and_cost_as_answers_come() -> None:
    s = settings(price_input=1.0, price_output=2.0)
    plan = plan_for(s)
    progress: list[Progress] = []
    result = run_review(plan, s, progress.append, chat=ScriptedChat(responder=answering))
    assert progress[0] == Progress(0, 3, 0, 0, 0.0), "before the first request"
    assert all(p.total == 3 for p in progress)
    assert [p.done for p in progress] == sorted(p.done for p in progress)
    last = progress[-1]
    assert (last.done, last.prompt_tokens, last.completion_tokens) == (
        3,
        result.stats.prompt_tokens,
        result.stats.completion_tokens,
    )
    assert last.cost == pytest.approx(result.stats.estimated_cost)
    spent = [p.prompt_tokens for p in progress]
    assert spent == sorted(spent) and spent[0] < spent[-1]
