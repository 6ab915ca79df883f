"""The resumable result store and the semantic judge (against the fake model server)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fake_openai import FakeOpenAI, RecordedRequest, Reply
from keys import TEST_KEY

from reviewbot.evaluate.dataset import Case, Label
from reviewbot.evaluate.judge import Judge, parse_verdict
from reviewbot.evaluate.scoring import ask_judge, score
from reviewbot.evaluate.store import CaseRecord, ResultStore
from reviewbot.findings import Finding, Severity, Stats
from reviewbot.llm import Endpoint, EndpointError


def finding(line: int, title: str) -> Finding:
    return Finding(path="a.py", line=line, severity=Severity.HIGH, title=title, body="Details.")


def record(case: str, run: str = "r1", **extra: object) -> CaseRecord:
    data: dict[str, object] = {"run": run, "case": case, "language": "Python", "changed_lines": 3}
    data.update(extra)
    return CaseRecord.model_validate(data)


def test_store_keeps_the_latest_record_and_survives_a_cut_line(tmp_path: Path) -> None:
    store = ResultStore(tmp_path / "out" / "results.jsonl")
    assert store.load() == {}
    store.append(record("a", findings=[finding(2, "x")], stats=Stats(requests=1)))
    store.append(record("b"))
    # An interruption in the middle of a write leaves half a line behind.
    with store.path.open("a", encoding="utf-8") as handle:
        handle.write('{"run": "r1", "case": "c", "langu')
    store.append(record("a", findings=[], stats=Stats(requests=2)))
    store.append(record("a", run="r2"))
    loaded = store.load()
    assert sorted(loaded) == [("r1", "a"), ("r1", "b"), ("r2", "a")]
    assert loaded[("r1", "a")].stats.requests == 2
    assert loaded[("r1", "a")].findings == []
    lines = store.path.read_text().splitlines()
    assert lines[2] == '{"run": "r1", "case": "c", "langu'  # ended, not glued to the next


@pytest.mark.parametrize(
    ("text", "verdict"),
    [
        ("yes", True),
        ("Yes.", True),
        ("No, they differ.", False),
        ("<think>yes or no? the first says no</think>\nYES", True),
        ("They are the same problem.", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_verdict(text: str | None, verdict: bool | None) -> None:
    assert parse_verdict(text) is verdict


def same_when_both_mention(request: RecordedRequest) -> Reply:
    text = request.user or ""
    comment_a, _, comment_b = text.partition("Comment B:")
    words = {"off-by-one", "await", "injection"}
    same = any(w in comment_a.lower() and w in comment_b.lower() for w in words)
    return Reply(content="yes" if same else "no")


def test_judge_confirms_or_rejects_each_location_match(tmp_path: Path) -> None:
    case = Case(
        id="c",
        diff="",
        expected=[
            Label(path="a.py", from_line=3, note="Off-by-one: the loop skips the last item."),
            Label(path="a.py", from_line=9, to_line=9, note="SQL injection from the query string."),
            Label(path="a.py", from_line=20, to_line=20, note="Missing await on save()."),
        ],
    )
    rec = record(
        "c",
        findings=[
            finding(3, "Off-by-one in the loop bound"),
            finding(9, "Variable name is unclear"),  # right place, other problem
            finding(40, "Unrelated"),
        ],
    )
    with FakeOpenAI(api_key=TEST_KEY, responder=same_when_both_mention) as server:
        endpoint = Endpoint(base_url=server.base_url, api_key=TEST_KEY, model="reviewer")
        judge = Judge(endpoint, "judge-model")
        try:
            assert ask_judge(rec, case, 1, judge) is True
            assert ask_judge(rec, case, 1, judge) is False  # nothing new to ask
        finally:
            judge.close()
        requests = list(server.requests)
    assert rec.judge_model == "judge-model"
    assert rec.verdicts == {"0:0": True, "1:1": False}
    assert len(requests) == 2
    assert all(r.model == "judge-model" for r in requests)
    assert all("response_format" not in r.body for r in requests)
    assert requests[0].body["temperature"] == 0.0
    overall = score(case, rec, 1, judged=True)
    assert (overall.matched, len(overall.pairs)) == (1, 2)
    assert score(case, rec, 1, judged=False).matched == 2


def test_judge_failures_are_unconfirmed_and_asked_again(tmp_path: Path) -> None:
    case = Case(id="c", diff="", expected=[Label(path="a.py", from_line=3, note="Off-by-one.")])
    rec = record("c", findings=[finding(3, "Off-by-one")])
    with FakeOpenAI(api_key=TEST_KEY) as server:
        server.script(Reply(status=400), "maybe")
        endpoint = Endpoint(base_url=server.base_url, api_key=TEST_KEY, model="m")
        judge = Judge(endpoint, "j", max_retries=0)
        try:
            assert ask_judge(rec, case, 1, judge) is False  # refused
            assert ask_judge(rec, case, 1, judge) is False  # neither yes nor no
            assert rec.verdicts == {}
            assert score(case, rec, 1, judged=True).matched == 0
            server.script("yes")
            assert ask_judge(rec, case, 1, judge) is True
        finally:
            judge.close()
    assert rec.verdicts == {"0:0": True}


def test_judge_with_a_wrong_key_stops_with_the_endpoint_error() -> None:
    case = Case(id="c", diff="", expected=[Label(path="a.py", from_line=3, note="x")])
    rec = record("c", findings=[finding(3, "x")])
    with FakeOpenAI(api_key=TEST_KEY) as server:
        endpoint = Endpoint(base_url=server.base_url, api_key="wrong-key", model="m")
        judge = Judge(endpoint, "j")
        try:
            with pytest.raises(EndpointError, match="rejected the API key"):
                ask_judge(rec, case, 1, judge)
        finally:
            judge.close()


def test_label_without_a_note_keeps_its_location_match() -> None:
    case = Case(id="c", diff="", expected=[Label(path="a.py", from_line=3)])
    rec = record("c", findings=[finding(3, "x")])
    endpoint = Endpoint(base_url="http://127.0.0.1:9/v1", api_key="k", model="m")
    judge = Judge(endpoint, "j")
    assert ask_judge(rec, case, 1, judge) is True  # no request: nothing to compare
    assert rec.verdicts == {"0:0": True}
