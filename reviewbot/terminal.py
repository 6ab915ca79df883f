"""What the command line prints: one-line errors, the --dry-run plan, and reports."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

import click

from reviewbot.app import Plan
from reviewbot.exitcodes import EXIT_USAGE
from reviewbot.findings import ReviewResult
from reviewbot.llm import shown_url
from reviewbot.pricing import TYPICAL_ANSWER_TOKENS
from reviewbot.redact import redact
from reviewbot.reporters import ReportOptions, get_reporter
from reviewbot.reporters.labels import plural

# The report's width when stdout is a file or a pipe: wide enough for code, narrow enough to
# read in a pull request comment or a log viewer.
PIPE_WIDTH = 100


def report_width() -> int:
    """The terminal's width as rich measures it; PIPE_WIDTH when stdout is not a terminal.

    Asks stdout itself rather than rich's is_terminal, which FORCE_COLOR (set by many CI
    systems) turns on for pipes too.
    """
    from rich.console import Console

    try:
        tty = sys.stdout.isatty()
    except (AttributeError, ValueError):
        tty = False
    return Console(file=sys.stdout).width if tty else PIPE_WIDTH


def say(message: str) -> None:
    """One line on stderr, secrets masked."""
    click.echo(f"reviewbot: {redact(message)}", err=True)


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    say(message)
    sys.exit(code)


def print_plan(plan: Plan) -> None:
    chunks = plan.prepared.plan.chunks
    tokens = plan.prompt_tokens()
    out = [
        f"model: {plan.endpoint.model}  endpoint: {shown_url(plan.endpoint.base_url)}  "
        f"chunk budget: {plan.prepared.plan.budget} tokens  counter: {plan.counter.name}"
    ]
    for chunk, count in zip(chunks, tokens, strict=False):
        files = ", ".join(
            f"{p.path}" + (f" [{p.part}/{p.parts}]" if p.parts > 1 else "") for p in chunk.parts
        )
        out.append(
            f"chunk {chunk.index + 1}: {plural(count, 'prompt token')}, "
            f"{plural(chunk.changed_count, 'changed line')}: {files}"
        )
    for skipped in plan.prepared.skipped:
        out.append(f"skipped {skipped.path}: {skipped.reason}")
    total = sum(tokens)
    line = f"total: {plural(len(chunks), 'chunk')}, {total:,} prompt tokens"
    if plan.prices:
        answer = TYPICAL_ANSWER_TOKENS * len(chunks)  # a typical answer; the real one varies
        cost = plan.prices.format(plan.prices.cost(total, answer))
        line += f"; estimated cost {cost} for {total:,} prompt tokens + ~{answer:,} answer tokens"
    elif plan.price_note:
        line += f"; {plan.price_note}"
    out.append(line)
    click.echo("\n".join(out))


def write_report(
    result: ReviewResult, fmt: str, output: Path | None, color: bool, compact: bool
) -> None:
    options = ReportOptions(color=color, width=report_width(), compact=compact)
    if output is not None:
        text = get_reporter(fmt, ReportOptions(color=False)).render(result)
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            fail(f"cannot write {output}: {exc.strerror}")
        if fmt == "github":
            # The runner reads workflow commands from stdout only: a file of them alone would
            # annotate nothing.
            click.echo(text, nl=False)
            return
        # The terminal still gets the human report.
        click.echo(get_reporter("text", options).render(result), nl=False, color=color)
        return
    click.echo(get_reporter(fmt, options).render(result), nl=False, color=color)
