"""The suggestion normaliser: what the model wrote -> what may be committed as it stands."""

from __future__ import annotations

import ast

import pytest

from reviewbot.suggest import normalise

PY = """\
def total(items, tax):
    result = 0
    for item in items:
        if item.taxed:
            result += item.price
    return result
"""
ANCHOR = 5  # `            result += item.price`
REPLACED = [PY.splitlines()[ANCHOR - 1]]
FIXED = "            result += item.price * (1 + tax)"

# (case, model's suggestion, expected text, committable)
CASES = [
    ("dedented", "result += item.price * (1 + tax)", FIXED, True),
    ("over-indented", "                      result += item.price * (1 + tax)", FIXED, True),
    ("plus gutter", "+result += item.price * (1 + tax)", FIXED, True),
    ("plus gutter with space", "+ result += item.price * (1 + tax)", FIXED, True),
    (
        "diff with removed line",
        "-result += item.price\n+result += item.price * (1 + tax)",
        FIXED,
        True,
    ),
    ("line-number gutter", "5 +            result += item.price * (1 + tax)", FIXED, True),
    ("line-number gutter, no marker", "5 result += item.price * (1 + tax)", FIXED, True),
    ("fenced", "```python\nresult += item.price * (1 + tax)\n```", FIXED, True),
    ("tilde fence", "~~~\nresult += item.price * (1 + tax)\n~~~", FIXED, True),
    ("fenced with gutter", "```diff\n+result += item.price * (1 + tax)\n```", FIXED, True),
    ("trailing newline", "result += item.price * (1 + tax)\n", FIXED, True),
    (
        "multi-line, relative indentation kept",
        "if item.price:\n    result += item.price * (1 + tax)",
        "            if item.price:\n                result += item.price * (1 + tax)",
        True,
    ),
    (
        "unparsable python",
        "result += (item.price * (1 + tax)",
        "            result += (item.price * (1 + tax)",
        False,
    ),
    (
        "repeats the line below (wrong range)",
        "result += item.price * (1 + tax)\n    return result",
        "            result += item.price * (1 + tax)\n                return result",
        False,
    ),
    (
        "dedents below the replaced line",
        "    result += item.price * (1 + tax)\nreturn result",
        "            result += item.price * (1 + tax)\n        return result",
        False,
    ),
    (
        "repeats the line above (wrong range)",
        "if item.taxed:\n    result += item.price * (1 + tax)",
        "        if item.taxed:\n            result += item.price * (1 + tax)",  # aligned to it
        False,
    ),
]


@pytest.mark.parametrize(("case", "given", "text", "committable"), CASES, ids=[c[0] for c in CASES])
def test_python_cases(case: str, given: str, text: str, committable: bool) -> None:
    out = normalise(given, REPLACED, path="shop.py", line=ANCHOR, new_text=PY)
    assert (out.text, out.committable) == (text, committable), out.note
    if committable:
        lines = PY.splitlines()
        lines[ANCHOR - 1 : ANCHOR] = out.text.split("\n")
        ast.parse("\n".join(lines))


def test_identical_to_the_original_is_dropped() -> None:
    for given in (
        "result += item.price",
        "            result += item.price",
        "+result += item.price",
    ):
        out = normalise(given, REPLACED, path="shop.py", line=ANCHOR, new_text=PY)
        assert out.text is None and not out.committable


def test_only_markup_is_dropped_and_empty_deletes() -> None:
    assert normalise("```\n```", REPLACED, path="x.py", line=ANCHOR).text is None
    deleted = normalise("", REPLACED, path="x.py", line=ANCHOR)
    assert deleted.text == "" and deleted.committable


def test_tabs_stay_tabs() -> None:
    go = "func f() {\n\tfor _, x := range xs {\n\t\ttotal += x\n\t}\n}\n"
    replaced = ["\t\ttotal += x"]
    out = normalise("total += x * rate", replaced, path="f.go", line=3, new_text=go)
    assert out.text == "\t\ttotal += x * rate" and out.committable
    # spaces the model used for the levels become tabs, the relative indentation kept
    block = normalise("if x > 0 {\n    total += x\n}", replaced, path="f.go", line=3, new_text=go)
    assert block.text == "\t\tif x > 0 {\n\t\t\ttotal += x\n\t\t}" and block.committable
    two = normalise("if x > 0 {\n  total += x\n}", replaced, path="f.go", line=3, new_text=go)
    assert two.text == block.text


def test_multi_line_range_keeps_its_shape() -> None:
    replaced = ["        if x:", "            return 1"]
    out = normalise("if x is not None:\n    return 1", replaced, path="a.py", line=10)
    assert out.text == "        if x is not None:\n            return 1" and out.committable
    # a range whose later line is less indented than its first may be replaced as such
    replaced = ["            return 1", "        return 2"]
    out = normalise("    return 0\nreturn 2", replaced, path="a.py", line=10)
    assert out.text == "            return 0\n        return 2" and out.committable


def test_repeated_line_below_without_the_file_uses_the_known_lines() -> None:
    known = {4: "        if item.taxed:", 5: REPLACED[0], 6: "    return result"}
    out = normalise(
        "result += item.price * 2\nreturn result", REPLACED, path="shop.py", line=5, known=known
    )
    assert not out.committable  # the last line repeats line 6, and it dedents too


def test_numbers_in_code_are_not_a_gutter() -> None:
    replaced = ["    values = ["]
    out = normalise("values = [\n    1,\n    2,", replaced, path="v.txt", line=1)
    assert out.text is not None and "1," in out.text and out.committable
    replaced = ["x = 1"]
    out = normalise("3 + 4", replaced, path="calc.txt", line=40)
    assert out.text == "3 + 4"  # 3 is not the cited line: code, not a gutter


def test_other_parsers_from_the_standard_library() -> None:
    data = '{\n  "a": 1,\n  "b": 2\n}\n'
    bad = normalise('"a": 1', ['  "a": 1,'], path="c.json", line=2, new_text=data)
    assert bad.text == '  "a": 1' and not bad.committable
    good = normalise('"a": 3,', ['  "a": 1,'], path="c.json", line=2, new_text=data)
    assert good.committable
    toml = 'name = "x"\nversion = "1"\n'
    assert not normalise(
        'version = "2', ['version = "1"'], path="p.toml", line=2, new_text=toml
    ).committable


def test_a_file_that_does_not_parse_before_is_not_blamed_on_the_suggestion() -> None:
    broken = "def f(:\n    return 1\n"
    out = normalise("return 2", ["    return 1"], path="b.py", line=2, new_text=broken)
    assert out.committable


def test_another_version_of_the_file_is_ignored() -> None:
    other = PY.replace("result += item.price", "result += item.cost")
    out = normalise("result += (", REPLACED, path="shop.py", line=ANCHOR, new_text=other)
    assert out.committable  # cannot judge by a file that is not the diff's


def test_no_line_is_text_only() -> None:
    out = normalise("x = 1", [], path="a.py", line=None)
    assert out.text == "x = 1" and not out.committable
    assert normalise(None, REPLACED, line=ANCHOR).text is None


def test_crlf_and_trailing_spaces() -> None:
    out = normalise("result += 2   \r\n", REPLACED, path="shop.py", line=ANCHOR)
    assert out.text == "            result += 2"
