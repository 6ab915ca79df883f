"""The evaluation's report: JSON, a terminal table, or Markdown for a PR comment or a wiki.

One run:    rows are overall, then each language, PR size and label category.
--compare:  rows are the metrics, one column per configuration, side by side.
"""

from __future__ import annotations

import io
import json
from typing import Any

REPORT_FORMATS = ("table", "json", "markdown")

_RATES = (
    ("precision", "Precision"),
    ("recall", "Recall"),
    ("f1", "F1"),
    ("line_precision", "Line P"),
    ("line_recall", "Line R"),
    ("noise_rate", "Noise"),
)
_COUNTS = (("generated", "Found"), ("expected", "Expected"), ("matched", "Matched"))
_USAGE = (
    ("tokens_per_pr", "Tokens/PR"),
    ("requests_per_pr", "Requests/PR"),
    ("cost_per_pr", "Cost/PR"),
)
_GROUPS = (("by_language", "language"), ("by_size", "size"), ("by_category", "category"))


def _cell(key: str, value: Any) -> str:
    if value is None:
        return "—"
    if key in ("tokens_per_pr", "requests_per_pr"):
        return f"{value:.1f}"
    if key == "cost_per_pr":
        return f"{value:.4f}"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def _single_rows(run: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    keys = [*_RATES, *_COUNTS, *_USAGE]
    header = ["", "PRs", *(title for _, title in keys)]
    overall = run["overall"]
    rows = [["overall", str(overall["cases"])] + [_cell(k, overall[k]) for k, _ in keys]]
    for group, word in _GROUPS:
        for name, tally in run[group].items():
            prs = "—" if group == "by_category" else str(tally["cases"])
            rows.append([f"{word}: {name}", prs] + [_cell(k, tally[k]) for k, _ in keys])
    return header, rows


def _compare_rows(runs: dict[str, dict[str, Any]]) -> tuple[list[str], list[list[str]]]:
    names = list(runs)
    header = ["", *names]
    rows = []
    for key, title in (*_RATES, *_COUNTS, *_USAGE):
        rows.append([title] + [_cell(key, runs[n]["overall"][key]) for n in names])
    for group, word in _GROUPS:
        groups: list[str] = []
        for run in runs.values():
            groups.extend(g for g in run[group] if g not in groups)
        key = "recall" if group == "by_category" else "f1"
        title = "Recall" if group == "by_category" else "F1"
        for name in groups:
            rows.append(
                [f"{title} · {word}: {name}"]
                + [_cell(key, runs[n][group].get(name, {}).get(key)) for n in names]
            )
    return header, rows


def _heading(report: dict[str, Any]) -> str:
    matcher = "location"
    if report.get("judge_model"):
        matcher += f" + judge {report['judge_model']}"
    return f"{report['dataset']}: tolerance ±{report['tolerance']} lines, matcher {matcher}"


def _skipped(report: dict[str, Any]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    runs = report.get("runs")
    sources = runs.items() if isinstance(runs, dict) else [("", report)]
    for name, run in sources:
        for item in run.get("skipped", []):
            prefix = f"[{name}] " if name else ""
            out.append((prefix + item["id"], item["reason"]))
    return out


def _rows(report: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    if "runs" in report:
        return _compare_rows(report["runs"])
    return _single_rows(report)


def render_json(report: dict[str, Any]) -> str:
    return json.dumps(report, indent=2, ensure_ascii=False) + "\n"


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(report: dict[str, Any]) -> str:
    header, rows = _rows(report)
    lines = ["## Review quality", "", _md_escape(_heading(report)), ""]
    lines.append("| " + " | ".join(_md_escape(h) for h in header) + " |")
    lines.append("|" + "|".join([":--"] + ["--:"] * (len(header) - 1)) + "|")
    for row in rows:
        lines.append("| " + " | ".join(_md_escape(c) for c in row) + " |")
    skipped = _skipped(report)
    if skipped:
        lines += ["", f"Skipped ({len(skipped)}):", ""]
        lines += [f"- `{_md_escape(case)}`: {_md_escape(reason)}" for case, reason in skipped]
    return "\n".join(lines) + "\n"


def render_table(report: dict[str, Any], *, color: bool = False, width: int = 160) -> str:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    # Text, not markup: names come from the dataset and may hold "[...]".
    header, rows = _rows(report)
    table = Table(title=Text(_heading(report)), title_justify="left")
    for index, name in enumerate(header):
        table.add_column(Text(name), justify="left" if index == 0 else "right", no_wrap=True)
    for row in rows:
        table.add_row(*(Text(cell) for cell in row))
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=color, no_color=not color, width=width)
    console.print(table)
    for case, reason in _skipped(report):
        console.print(f"skipped {case}: {reason}", markup=False, highlight=False)
    return buffer.getvalue()


def render(report: dict[str, Any], fmt: str, *, color: bool = False) -> str:
    if fmt == "json":
        return render_json(report)
    if fmt == "markdown":
        return render_markdown(report)
    return render_table(report, color=color)
