"""`reviewbot-eval` end to end: the real pipeline against the fake model server."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from eval_fake import Plan, planned_reviewer
from fake_openai import FakeOpenAI, RecordedRequest, Reply
from gitrepo import GIT, GitRepo
from test_eval_dataset import aacr_record

from reviewbot.config import Settings
from reviewbot.evaluate.cli import command
from reviewbot.evaluate.dataset import Case, load_dataset

SHIPPED = Path(__file__).parent / "data" / "eval" / "cases.jsonl"
needs_git = pytest.mark.skipif(GIT is None, reason="git is not installed")
HAS_VERIFY = "verify" in Settings.model_fields
# The self-check (issue 10) adds requests of its own; the exact request counts below are of
# reviews alone.
NO_VERIFY = ["--no-verify"] if HAS_VERIFY else []

# One pull request with four seeded defects (lines 3, 6, 9 and 12 of calc.py).
CALC = [
    "def mean(xs):",
    "    total = 0",
    "    for i in range(len(xs) - 1):",
    "        total += xs[i]",
    "    if len(xs) == 0:",
    "        return total / len(xs)",
    "    return total / len(xs)",
    "def load(path):",
    "    f = open(path)",
    "    return f.read()",
    "def is_admin(role):",
    "    return role is 'admin'",
    "def noop():",
    "    return None",
]


def calc_case() -> dict[str, Any]:
    diff = "diff --git a/calc.py b/calc.py\nnew file mode 100644\n--- /dev/null\n+++ b/calc.py\n"
    diff += f"@@ -0,0 +1,{len(CALC)} @@\n" + "".join(f"+{line}\n" for line in CALC)
    labels = [
        {
            "path": "calc.py",
            "from_line": 3,
            "to_line": 3,
            "category": "bug",
            "note": "Off-by-one: the loop skips the last item.",
        },
        {
            "path": "calc.py",
            "from_line": 6,
            "to_line": 6,
            "category": "bug",
            "note": "Division by zero when the list is empty.",
        },
        {
            "path": "calc.py",
            "from_line": 9,
            "to_line": 10,
            "category": "resource",
            "note": "The file is never closed.",
        },
        {
            "path": "calc.py",
            "from_line": 12,
            "to_line": 12,
            "category": "bug",
            "note": "Strings compared with `is`.",
        },
    ]
    return {"id": "calc", "language": "Python", "diff": diff, "expected": labels}


def write_cases(path: Path, cases: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(c) + "\n" for c in cases), encoding="utf-8")
    return path


def run_eval(*args: str) -> Result:
    return CliRunner().invoke(command, [*args, *NO_VERIFY], catch_exceptions=False)


def report_of(result: Result) -> dict[str, Any]:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_three_of_four_found_plus_two_unrelated_scores_exactly(
    endpoint_env: FakeOpenAI, tmp_path: Path
) -> None:
    # Finds lines 3, 7 (within ±1 of the label at 6) and 10 (inside 9-10); misses 12;
    # flags 1 and 14, which no label is near.
    endpoint_env.responder = planned_reviewer({"calc.py": [3, 7, 10, 1, 14]})
    dataset = write_cases(tmp_path / "cases.jsonl", [calc_case()])
    result = run_eval(str(dataset), "--results", str(tmp_path / "r.jsonl"), "--format", "json")
    report = report_of(result)
    overall = report["overall"]
    assert (overall["generated"], overall["expected"], overall["matched"]) == (5, 4, 3)
    assert overall["precision"] == pytest.approx(3 / 5)
    assert overall["recall"] == pytest.approx(3 / 4)
    assert overall["f1"] == pytest.approx(2 * 0.6 * 0.75 / 1.35)
    assert overall["noise_rate"] == pytest.approx(2 / 5)
    assert overall["requests"] == 1 and overall["prompt_tokens"] > 0
    assert report["by_category"]["resource"]["recall"] == 1.0
    assert report["by_language"]["Python"]["precision"] == pytest.approx(3 / 5)
    [case] = report["cases"]
    assert [m["from_line"] for m in case["missed"]] == [12]
    assert report["skipped"] == []


def test_tolerance_flag_widens_and_narrows_the_match(
    endpoint_env: FakeOpenAI, tmp_path: Path
) -> None:
    endpoint_env.responder = planned_reviewer({"calc.py": [4, 14]})  # 1 and 2 off labels
    dataset = write_cases(tmp_path / "cases.jsonl", [calc_case()])
    results = str(tmp_path / "r.jsonl")
    matched = {}
    for tolerance in ("0", "1", "2"):
        report = report_of(
            run_eval(
                str(dataset), "--results", results, "--format", "json", "--tolerance", tolerance
            )
        )
        matched[tolerance] = report["overall"]["matched"]
    assert matched == {"0": 0, "1": 1, "2": 2}
    assert len(endpoint_env.requests) == 1  # re-scored from the stored findings


def shipped_plan(cases: list[Case]) -> tuple[Plan, int]:
    """The first label of every case, at its exact line; and in every other case one
    finding on an added line no label is near. Returns the plan and the noise count."""
    from reviewbot.diffparse import parse_diff

    plan: Plan = {}
    noise = 0
    for index, case in enumerate(cases):
        first = case.expected[0]
        plan.setdefault(first.path, []).append(first.from_line or 0)
        if index % 2:
            continue
        for changed in parse_diff(case.diff or "").files:
            near = {
                n
                for label in case.expected
                if label.path == changed.path and label.span
                for n in range(label.span[0] - 3, label.span[1] + 4)
            }
            free = [
                ln.new_no
                for h in changed.hunks
                for ln in h.lines
                if ln.kind == "+" and ln.new_no not in near and ln.text.strip()
            ]
            if free:
                plan.setdefault(changed.path, []).append(free[0])
                noise += 1
                break
    return plan, noise


def test_shipped_set_gives_exact_figures_with_the_fake_model(
    endpoint_env: FakeOpenAI, tmp_path: Path
) -> None:
    cases = load_dataset(SHIPPED)
    plan, noise = shipped_plan(cases)
    endpoint_env.responder = planned_reviewer(plan)
    report = report_of(
        run_eval(
            str(SHIPPED),
            "--results",
            str(tmp_path / "r.jsonl"),
            "--format",
            "json",
            "--concurrency",
            "4",
        )
    )
    overall = report["overall"]
    labels = sum(len(c.expected) for c in cases)
    assert (len(cases), labels, noise) == (24, 26, 6)
    assert overall["generated"] == len(cases) + noise == 30
    assert overall["matched"] == len(cases) == 24
    assert overall["expected"] == labels == 26
    assert overall["precision"] == pytest.approx(24 / 30)
    assert overall["recall"] == pytest.approx(24 / 26)
    assert overall["f1"] == pytest.approx(2 * 24 / (30 + 26))
    assert overall["noise_rate"] == pytest.approx(6 / 30)
    assert overall["cases"] == 24 and overall["requests"] == 24
    assert len(report["by_language"]) == 10
    assert report["by_language"]["Go"]["recall"] == pytest.approx(1.0)
    assert report["by_category"]["security"]["recall"] == pytest.approx(6 / 7)
    assert report["skipped"] == []


@needs_git
def test_aacr_format_case_against_a_built_repository_and_a_missing_clone(
    endpoint_env: FakeOpenAI, tmp_path: Path
) -> None:
    repos = tmp_path / "repos"
    repo = GitRepo(repos / "acme" / "calc")
    repo.write("calc.py", "def total(xs):\n    s = 0\n    return s\n")
    base = repo.commit("base")
    repo.write(
        "calc.py",
        "def total(xs):\n    s = 0\n    for i in range(len(xs) - 1):\n        s += xs[i]\n"
        "    return s\n",
    )
    head = repo.commit("head")
    records = [
        aacr_record("https://github.com/acme/calc/pull/7", base, head),
        aacr_record("https://github.com/acme/gone/pull/9", base, head),
    ]
    dataset = tmp_path / "positive_samples.json"
    dataset.write_text(json.dumps(records, indent=2), encoding="utf-8")
    endpoint_env.responder = planned_reviewer({"calc.py": [3, 4]})
    report = report_of(
        run_eval(
            str(dataset),
            "--repos",
            str(repos),
            "--results",
            str(tmp_path / "r.jsonl"),
            "--format",
            "json",
        )
    )
    overall = report["overall"]
    assert (overall["generated"], overall["expected"], overall["matched"]) == (2, 1, 1)
    assert overall["precision"] == pytest.approx(0.5) and overall["recall"] == 1.0
    assert report["by_category"]["Code Defect"]["recall"] == 1.0
    assert [c["id"] for c in report["cases"]] == ["acme/calc#7"]
    assert report["cases"][0]["changed_lines"] == 4  # as the dataset states it
    assert report["skipped"] == [
        {
            "id": "acme/gone#9",
            "reason": f"no clone of acme/gone at {repos / 'acme' / 'gone'} (clone it there, "
            "or pass --clone)",
        }
    ]
    assert len(endpoint_env.requests) == 1


def test_resume_after_an_interrupted_run(endpoint_env: FakeOpenAI, tmp_path: Path) -> None:
    cases = load_dataset(SHIPPED)
    plan, _ = shipped_plan(cases)
    reviewer = planned_reviewer(plan)

    def slow(request: RecordedRequest) -> Reply:
        reply = reviewer(request)
        reply.delay = 0.3
        return reply

    endpoint_env.responder = slow
    results = tmp_path / "r.jsonl"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "reviewbot.evaluate",
            str(SHIPPED),
            "--results",
            str(results),
            "--concurrency",
            "1",
            "--format",
            "json",
            *NO_VERIFY,
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if results.exists() and len(results.read_text().splitlines()) >= 3:
            break
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 130
    assert "interrupted; finished cases are kept in" in err.decode()
    stored = len(results.read_text().splitlines())
    assert 3 <= stored < len(cases)
    first_run_requests = len(endpoint_env.requests)

    endpoint_env.responder = reviewer
    report = report_of(run_eval(str(SHIPPED), "--results", str(results), "--format", "json"))
    resumed = len(endpoint_env.requests) - first_run_requests
    assert resumed == len(cases) - stored
    assert report["overall"]["matched"] == 24 and report["overall"]["generated"] == 30
    # A third run has nothing left to review.
    report_of(run_eval(str(SHIPPED), "--results", str(results), "--format", "json"))
    assert len(endpoint_env.requests) - first_run_requests == resumed


def noisy_when_told(request: RecordedRequest) -> Plan:
    """The "strict" configuration's prompt says to report style: it adds two findings."""
    return {"calc.py": [1, 14]} if "Report style issues too" in (request.system or "") else {}


def test_compare_prints_both_configurations_side_by_side(
    endpoint_env: FakeOpenAI, tmp_path: Path
) -> None:
    endpoint_env.responder = planned_reviewer({"calc.py": [3, 6]}, extra=noisy_when_told)
    dataset = write_cases(tmp_path / "cases.jsonl", [calc_case()])
    plain = tmp_path / "plain.toml"
    plain.write_text('language = "en"\n')
    strict = tmp_path / "strict.toml"
    strict.write_text('instructions = "Report style issues too."\n')
    results = str(tmp_path / "r.jsonl")
    pair = f"{plain},{strict}"
    data = report_of(
        run_eval(str(dataset), "--results", results, "--compare", pair, "--format", "json")
    )
    runs = data["runs"]
    assert list(runs) == ["plain", "strict"]  # named after the settings files
    assert runs["plain"]["overall"]["precision"] == 1.0
    assert runs["strict"]["overall"]["precision"] == pytest.approx(2 / 4)
    assert runs["plain"]["overall"]["recall"] == runs["strict"]["overall"]["recall"] == 0.5
    table = run_eval(str(dataset), "--results", results, "--compare", pair)
    assert table.exit_code == 0
    precision = next(line for line in table.stdout.splitlines() if "Precision" in line)
    assert precision.index("1.000") < precision.index("0.500")
    header = next(line for line in table.stdout.splitlines() if "plain" in line)
    assert header.index("plain") < header.index("strict")
    markdown = run_eval(
        str(dataset), "--results", results, "--compare", pair, "--format", "markdown"
    )
    assert "|  | plain | strict |" in markdown.stdout
    assert "| Precision | 1.000 | 0.500 |" in markdown.stdout
    assert len(endpoint_env.requests) == 2  # one review per configuration, then reused


def judge_says(request: RecordedRequest) -> str:
    comment_a, _, comment_b = (request.user or "").partition("Comment B:")
    # The reviewer's titles name the line; the judge agrees only for the off-by-one.
    return "yes" if "calc.py:3" in comment_a and "Off-by-one" in comment_b else "no"


def test_judge_model_reports_stricter_figures_beside_location_ones(
    endpoint_env: FakeOpenAI, tmp_path: Path
) -> None:
    endpoint_env.responder = planned_reviewer({"calc.py": [3, 6, 9, 1]}, judge=judge_says)
    dataset = write_cases(tmp_path / "cases.jsonl", [calc_case()])
    report = report_of(
        run_eval(
            str(dataset),
            "--results",
            str(tmp_path / "r.jsonl"),
            "--format",
            "json",
            "--judge-model",
            "judge",
        )
    )
    overall = report["overall"]
    assert report["judge_model"] == "judge"
    assert (overall["line_matched"], overall["matched"], overall["generated"]) == (3, 1, 4)
    assert overall["line_precision"] == pytest.approx(3 / 4)
    assert overall["line_recall"] == pytest.approx(3 / 4)
    assert overall["precision"] == pytest.approx(1 / 4)
    assert overall["recall"] == pytest.approx(1 / 4)
    assert overall["noise_rate"] == pytest.approx(3 / 4)
    judged = [r for r in endpoint_env.requests if r.model == "judge"]
    assert len(judged) == 3  # one question per location match
    confirmed = [f["confirmed"] for f in report["cases"][0]["findings"]]
    assert confirmed == [None, True, False, False]  # findings in line order: 1, 3, 6, 9


def test_dry_run_sends_nothing_and_estimates_cost(
    endpoint_env: FakeOpenAI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")
    result = run_eval(str(SHIPPED), "--dry-run", "--price-input", "1", "--price-output", "2")
    assert result.exit_code == 0, result.output
    assert "default: model test-model, 24 cases, 24 chunks," in result.stdout
    assert "estimated cost" in result.stdout
    assert endpoint_env.requests == []


def test_wrong_key_stops_with_exit_3_and_one_line(
    endpoint_env: FakeOpenAI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-wrong-key-123456789")
    result = run_eval(str(SHIPPED), "--results", str(tmp_path / "r.jsonl"))
    assert result.exit_code == 3
    [line] = result.stderr.splitlines()
    assert line.startswith("reviewbot-eval: endpoint unusable:")
    assert "sk-wrong-key-123456789" not in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope.jsonl"], "dataset not found: nope.jsonl"),
        ([str(SHIPPED), "--set", "no_such_setting=1"], "unknown key 'no_such_setting'"),
        ([str(SHIPPED), "--set", "oops"], "--set wants KEY=VALUE"),
        ([str(SHIPPED), "--compare", "only-one"], "--compare wants two or more"),
        ([str(SHIPPED), "--compare", "a.toml,b.toml"], "neither verify nor no-verify"),
        ([str(SHIPPED), "--case", "nope"], "no case with id nope"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    endpoint_env: FakeOpenAI, args: list[str], message: str
) -> None:
    result = run_eval(*args)
    assert result.exit_code == 2
    [line] = result.stderr.splitlines()
    assert message in line


def test_set_passes_any_setting_through(endpoint_env: FakeOpenAI, tmp_path: Path) -> None:
    endpoint_env.responder = planned_reviewer({})
    dataset = write_cases(tmp_path / "cases.jsonl", [calc_case()])
    result = run_eval(
        str(dataset),
        "--results",
        str(tmp_path / "r.jsonl"),
        "--set",
        "instructions=Mind the loops.",
        "--set",
        "temperature=0",
    )
    assert result.exit_code == 0, result.output
    [request] = endpoint_env.requests
    assert "Mind the loops." in (request.system or "") + (request.user or "")
    assert request.body["temperature"] == 0


def test_help_takes_the_setting_flags_from_settings_minus_the_face_only_ones() -> None:
    text = run_eval("--help").stdout
    for flag in ("--provider", "--model", "--prompt-dir", "--language", "--no-cache", "--set"):
        assert flag in text
    for flag in ("--fail-on", "--on-error", "--max-comments", "--request-changes"):
        assert flag not in text
    assert "Cases reviewed at once" in text  # --concurrency counts cases here


def test_instructions_from_a_file(endpoint_env: FakeOpenAI, tmp_path: Path) -> None:
    endpoint_env.responder = planned_reviewer({})
    rules = tmp_path / "rules.md"
    rules.write_text("Never use eval().")
    dataset = write_cases(tmp_path / "cases.jsonl", [calc_case()])
    result = run_eval(
        str(dataset), "--results", str(tmp_path / "r.jsonl"), "--instructions", f"@{rules}"
    )
    assert result.exit_code == 0, result.output
    [request] = endpoint_env.requests
    assert "Never use eval()." in (request.system or "") + (request.user or "")
    missing = run_eval(str(dataset), "--instructions", f"@{tmp_path / 'nope.md'}")
    assert missing.exit_code == 2
    assert "cannot read instructions file" in missing.stderr


@pytest.mark.skipif(not HAS_VERIFY, reason="this reviewbot has no self-check (issue 10)")
def test_compare_verify_against_no_verify(endpoint_env: FakeOpenAI, tmp_path: Path) -> None:
    endpoint_env.responder = planned_reviewer({"calc.py": [3, 6, 1, 14]})
    # The self-check drops the two findings no label is near.
    endpoint_env.verdicts = {  # type: ignore[attr-defined]
        "flagged calc.py:1": {"keep": False, "reason": "not a problem"},
        "flagged calc.py:14": {"keep": False, "reason": "not a problem"},
    }
    dataset = write_cases(tmp_path / "cases.jsonl", [calc_case()])
    args = [str(dataset), "--results", str(tmp_path / "r.jsonl"), "--compare", "verify,no-verify"]
    result = CliRunner().invoke(command, [*args, "--format", "json"], catch_exceptions=False)
    runs = report_of(result)["runs"]
    assert runs["verify"]["overall"]["precision"] == 1.0
    assert runs["no-verify"]["overall"]["precision"] == pytest.approx(2 / 4)
    assert runs["verify"]["overall"]["recall"] == runs["no-verify"]["overall"]["recall"] == 0.5
    table = CliRunner().invoke(command, args, catch_exceptions=False)
    header = next(line for line in table.stdout.splitlines() if "no-verify" in line)
    assert header.index("verify") < header.index("no-verify")
