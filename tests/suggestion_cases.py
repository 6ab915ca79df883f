"""A change and a model answer whose suggestions cover the normaliser's cases, for the format
tests: each case is a finding on its own changed line of shop.py."""

from __future__ import annotations

import json
from dataclasses import dataclass

from answers import issue
from fake_openai import RecordedRequest, Reply

BASE = """\
def total(items, tax):
    result = 0
    for item in items:
        if item.taxed:
            result = result + item.price
        else:
            result = result + item.cost
    count = len(items) + 0
    label = 'total'
    return result
"""
HEAD = """\
def total(items, tax):
    result = 0
    for item in items:
        if item.taxed:
            result += item.price
        else:
            result += item.cost
    count = len(items)
    label = "total"
    return round(result, 2)
"""
PATH = "shop.py"
LINES = HEAD.splitlines()


@dataclass(frozen=True)
class Case:
    name: str
    line: int
    given: str  # what the model suggests
    text: str | None  # what every format shows (None: no suggestion at all)
    committable: bool


CASES = (
    Case(
        "dedented",
        5,
        "result += item.price * (1 + tax)",
        "            result += item.price * (1 + tax)",
        True,
    ),
    Case(
        "repeats the line above (multi-line on a one-line anchor)",
        7,
        "else:\n    result += item.cost * 2",
        "        else:\n            result += item.cost * 2",
        False,
    ),
    Case(
        "fenced with + gutters",
        8,
        "```python\n+count = len(list(items))\n```",
        "    count = len(list(items))",
        True,
    ),
    Case("unparsable python", 9, 'label = "total', '    label = "total', False),
    Case("identical to the original", 10, "return round(result, 2)", None, False),
)


def title(case: Case) -> str:
    return f"Case: {case.name}"


def answer(request: RecordedRequest) -> Reply:
    """The review answer: one finding per case, with the model's suggestion as given."""
    issues = [
        issue(
            PATH,
            case.line,
            LINES[case.line - 1],
            title=title(case),
            severity="medium",
            suggestion=case.given,
        )
        for case in CASES
    ]
    return Reply(content=json.dumps({"score": 6, "issues": issues}))
