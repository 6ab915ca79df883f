"""The shipped labelled set: well-formed, current, and every label on a line the PR adds."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

from reviewbot.diffmodel import LineKind
from reviewbot.diffparse import parse_diff
from reviewbot.evaluate.dataset import load_dataset

EVAL = Path(__file__).parent / "data" / "eval"
CASES = EVAL / "cases.jsonl"


def builder() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_cases", EVAL / "make_cases.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while building
    spec.loader.exec_module(module)
    return module


def test_cases_file_is_what_the_builder_writes() -> None:
    make = builder()
    built = [make.case_json(pr) for pr in make.PRS]
    shipped = [json.loads(line) for line in CASES.read_text(encoding="utf-8").splitlines()]
    assert shipped == built


def test_the_set_is_large_and_varied_enough() -> None:
    cases = load_dataset(CASES)
    assert len(cases) >= 20
    assert len({c.language for c in cases}) >= 8
    assert all(c.expected for c in cases)
    assert any(len(c.expected) > 1 for c in cases)
    paths = [f.path for c in cases for f in parse_diff(c.diff or "").files]
    assert len(paths) == len(set(paths)), "paths are unique across the set"


def test_every_label_sits_on_added_lines_of_its_file() -> None:
    for case in load_dataset(CASES):
        diff = parse_diff(case.diff or "")
        for label in case.expected:
            changed = diff.file(label.path)
            assert changed is not None, (case.id, label.path)
            added = {
                ln.new_no for h in changed.hunks for ln in h.lines if ln.kind is LineKind.ADDED
            }
            span = label.span
            assert span is not None
            assert set(range(span[0], span[1] + 1)) <= added, (case.id, label)
            assert label.note and label.category and label.severity
