"""A stored review of a case, scored against its labels (and, with a judge, confirmed)."""

from __future__ import annotations

from reviewbot.evaluate.dataset import Case
from reviewbot.evaluate.judge import Judge
from reviewbot.evaluate.matching import Pair, match
from reviewbot.evaluate.metrics import CaseScore
from reviewbot.evaluate.store import CaseRecord


def pair_key(pair: Pair) -> str:
    return f"{pair.finding}:{pair.label}"


def ask_judge(record: CaseRecord, case: Case, tolerance: int, judge: Judge) -> bool:
    """Judge the location pairs that have no verdict yet; True when a verdict was added.

    A failed request leaves the pair without a verdict (not confirmed now, asked again on
    the next run).
    """
    if record.judge_model != judge.model:
        record.judge_model = judge.model
        record.verdicts = {}
    added = False
    for pair in match(record.findings, case.expected, tolerance):
        key = pair_key(pair)
        if key in record.verdicts:
            continue
        verdict = judge.same_problem(record.findings[pair.finding], case.expected[pair.label])
        if verdict.same is not None:
            record.verdicts[key] = verdict.same
            added = True
    return added


def score(case: Case, record: CaseRecord, tolerance: int, judged: bool) -> CaseScore:
    pairs = match(record.findings, case.expected, tolerance)
    confirmed = None
    if judged:
        confirmed = {p.finding: record.verdicts.get(pair_key(p), False) for p in pairs}
    return CaseScore(
        case_id=case.id,
        language=record.language,
        changed_lines=record.changed_lines,
        findings=record.findings,
        labels=case.expected,
        pairs=pairs,
        stats=record.stats,
        confirmed=confirmed,
        incomplete=record.incomplete,
    )
