"""The `reviewbot-eval` command: a thin face over the dataset, the runner and the report."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from reviewbot import __version__
from reviewbot.config import ConfigError, Settings, load_settings
from reviewbot.evaluate.acquire import Acquirer
from reviewbot.evaluate.dataset import Case, DatasetError, load_dataset
from reviewbot.evaluate.report import REPORT_FORMATS, render, render_json
from reviewbot.evaluate.runner import Configuration, Evaluation, RunStopped, plan_only
from reviewbot.evaluate.store import ResultStore, StoreError
from reviewbot.exitcodes import EXIT_ENDPOINT, EXIT_OK, EXIT_USAGE
from reviewbot.prompts import PromptError
from reviewbot.redact import redact

PROG = "reviewbot-eval"
# `--compare` shorthands: a name and the settings it sets.
SHORTHANDS: dict[str, dict[str, Any]] = {"verify": {"verify": True}, "no-verify": {"verify": False}}


def say(message: str) -> None:
    click.echo(f"{PROG}: {redact(message)}", err=True)


def fail(message: str, code: int = EXIT_USAGE) -> None:
    say(message)
    sys.exit(code)


def _set_value(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def parse_sets(items: tuple[str, ...]) -> dict[str, Any]:
    """`--set key=value` pairs; values are JSON when they parse (true, 3, ["a"]), else text."""
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or not key:
            raise ConfigError(f"--set wants KEY=VALUE, got '{item}'")
        out[key] = _set_value(value.strip())
    return out


def configurations(
    flags: dict[str, Any], config_file: Path | None, compare: str | None
) -> list[Configuration]:
    if compare is None:
        return [Configuration("default", load_settings(flags, config_file))]
    names = [n.strip() for n in compare.split(",") if n.strip()]
    if len(names) < 2 or len(set(names)) != len(names):
        raise ConfigError("--compare wants two or more different names, e.g. verify,no-verify")
    configs = []
    for name in names:
        if name in SHORTHANDS:
            field = next(iter(SHORTHANDS[name]))
            if field not in Settings.model_fields:
                raise ConfigError(f"--compare {name}: this reviewbot has no '{field}' setting")
            settings = load_settings({**flags, **SHORTHANDS[name]}, config_file)
        elif Path(name).is_file():
            settings = load_settings(flags, Path(name))
            name = Path(name).stem  # the report's column: "strict" for configs/strict.toml
        else:
            raise ConfigError(
                f"--compare {name}: neither {' nor '.join(SHORTHANDS)} nor a settings file"
            )
        configs.append(Configuration(name, settings))
    if len({c.name for c in configs}) != len(configs):
        raise ConfigError("--compare: two configurations would have the same name")
    return configs


def _progress(enabled: bool) -> tuple[Any, Any]:
    if not enabled:
        return None, None
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    progress = Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    task = progress.add_task("evaluating", total=None)

    def update(done: int, total: int) -> None:
        progress.update(task, completed=done, total=total)

    return progress, update


def _dry_run_text(plan: dict[str, Any]) -> str:
    lines = []
    for name, run in plan["runs"].items():
        cost = run["estimated_cost"]
        money = (
            f", estimated cost {cost:.4f} (≈600 answer tokens a chunk)"
            if cost is not None
            else " (pass --price-input/--price-output for a cost estimate)"
        )
        lines.append(
            f"{name}: model {run['model']}, {run['cases']} cases, {run['chunks']} chunks, "
            f"{run['prompt_tokens']} prompt tokens{money}"
        )
    lines += [f"skipped {s['id']}: {s['reason']}" for s in plan["skipped"]]
    return "\n".join(lines) + "\n"


def _write(text: str, output: Path | None) -> None:
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror}")


def _select(cases: list[Case], only: tuple[str, ...], limit: int | None) -> list[Case]:
    if only:
        known = {c.id for c in cases}
        unknown = [c for c in only if c not in known]
        if unknown:
            raise DatasetError(f"no case with id {', '.join(unknown)}")
        cases = [c for c in cases if c.id in only]
    return cases[:limit] if limit is not None else cases


@click.command(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.argument("dataset", type=click.Path(path_type=Path))
@click.option(
    "--repos",
    type=click.Path(path_type=Path, file_okay=False),
    help="Directory of clones named OWNER/REPO, for AACR-Bench cases.",
)
@click.option("--clone", is_flag=True, help="Clone missing repositories (and fetch commits).")
@click.option(
    "--results",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Results JSONL, appended per case; a re-run skips finished cases "
    "(default: reviewbot-eval-DATASET.jsonl here).",
)
@click.option(
    "--tolerance",
    type=click.IntRange(min=0),
    default=1,
    show_default=True,
    help="Lines a finding may sit outside a label's range and still match it.",
)
@click.option("--judge-model", help="Confirm each location match with this model (same endpoint).")
@click.option(
    "--compare",
    metavar="A,B",
    help="Run each configuration on the same cases: verify, no-verify or settings files.",
)
@click.option(
    "--concurrency",
    type=click.IntRange(min=1, max=64),
    default=2,
    show_default=True,
    help="Cases reviewed at once (each review keeps its own request concurrency).",
)
@click.option("--case", "only", multiple=True, metavar="ID", help="Only this case (repeatable).")
@click.option("--limit", type=click.IntRange(min=1), help="Only the first N cases.")
@click.option("--dry-run", is_flag=True, help="No model call: chunks, prompt tokens and cost.")
@click.option(
    "--format", "fmt", type=click.Choice(REPORT_FORMATS), default="table", show_default=True
)
@click.option("--output", type=click.Path(path_type=Path, dir_okay=False), help="Write to FILE.")
@click.option(
    "--provider", help="Preset: openai, deepseek, qwen, ollama, ... (as for `reviewbot`)."
)
@click.option("--base-url", help="OpenAI-compatible base URL.")
@click.option("--api-key", help="API key (prefer the env var).")
@click.option("--model", help="Model name.")
@click.option("--language", help="Review language: en, zh, ja, ...")
@click.option("--instructions", help="Project rules for the reviewer.")
@click.option("--prompt-dir", type=click.Path(path_type=Path), help="Prompt template directory.")
@click.option("--max-chunk-tokens", type=int, help="Diff tokens per request.")
@click.option("--max-answer-tokens", type=int, help="max_tokens for each answer.")
@click.option("--temperature", type=float, help="Sampling temperature.")
@click.option("--top-p", type=float, help="Nucleus sampling top_p.")
@click.option("--seed", type=int, help="Sampling seed.")
@click.option("--stream/--no-stream", default=None, help="Stream answers.")
@click.option(
    "--response-format", type=click.Choice(["auto", "json_schema", "json_object", "none"])
)
@click.option("--max-reasks", type=int, help="Re-asks after an invalid answer.")
@click.option("--max-retries", type=int, help="Retries of 429/5xx/timeouts.")
@click.option("--request-timeout", type=float, help="Seconds per request.")
@click.option("--price-input", type=float, help="Price per million input tokens.")
@click.option("--price-output", type=float, help="Price per million output tokens.")
@click.option("--no-cache", is_flag=True, help="Do not read or write the review cache.")
@click.option("--cache-dir", type=click.Path(path_type=Path), help="Cache directory.")
@click.option(
    "--config",
    "config_file",
    type=click.Path(path_type=Path),
    help="Settings file (default: .reviewbot.toml or [tool.reviewbot] in pyproject.toml).",
)
@click.option(
    "--set",
    "sets",
    multiple=True,
    metavar="KEY=VALUE",
    help="Any other reviewbot setting, by its config-file name (repeatable).",
)
@click.version_option(__version__, prog_name=PROG)
def command(
    dataset: Path,
    repos: Path | None,
    clone: bool,
    results: Path | None,
    tolerance: int,
    judge_model: str | None,
    compare: str | None,
    concurrency: int,
    only: tuple[str, ...],
    limit: int | None,
    dry_run: bool,
    fmt: str,
    output: Path | None,
    no_cache: bool,
    config_file: Path | None,
    sets: tuple[str, ...],
    **flags: Any,
) -> None:
    """Score reviewbot against labelled pull requests (your JSONL cases or AACR-Bench).

    \b
      reviewbot-eval tests/data/eval/cases.jsonl --provider deepseek
      reviewbot-eval positive_samples.json --repos clones/ --dry-run
      reviewbot-eval cases.jsonl --compare verify,no-verify --format markdown
    """
    if no_cache:
        flags["cache"] = False
    try:
        flags.update(parse_sets(sets))
        configs = configurations(flags, config_file, compare)
        cases = _select(load_dataset(dataset), only, limit)
    except (ConfigError, DatasetError) as exc:
        fail(str(exc))
        return
    acquirer = Acquirer(repos=repos, clone=clone)
    if dry_run:
        try:
            plan = plan_only(configs, cases, acquirer)
        except (ConfigError, PromptError) as exc:
            fail(str(exc))
            return
        _write(render_json(plan) if fmt == "json" else _dry_run_text(plan), output)
        sys.exit(EXIT_OK)
    store_path = results or Path(f"reviewbot-eval-{dataset.stem}.jsonl")
    progress, update = _progress(sys.stderr.isatty() and output is None and fmt == "table")
    evaluation = Evaluation(
        cases,
        configs,
        ResultStore(store_path),
        acquirer,
        tolerance=tolerance,
        judge_model=judge_model,
        concurrency=concurrency,
        on_progress=update,
    )
    try:
        if progress is not None:
            progress.start()
        runs = evaluation.run()
    except (ConfigError, PromptError, StoreError) as exc:
        fail(str(exc))
        return
    except RunStopped as exc:
        fail(f"endpoint unusable: {exc} (finished cases are kept in {store_path})", EXIT_ENDPOINT)
        return
    except KeyboardInterrupt:
        fail(f"interrupted; finished cases are kept in {store_path}: re-run to resume", 130)
        return
    finally:
        if progress is not None:
            progress.stop()
    head = {"dataset": str(dataset), "tolerance": tolerance, "judge_model": judge_model}
    report = {**head, "runs": runs} if compare else {**head, **runs["default"]}
    color = output is None and sys.stdout.isatty()
    _write(render(report, fmt, color=color), output)
    say(f"results: {store_path}")


def main() -> None:
    try:
        command(standalone_mode=True)
    except BrokenPipeError:
        sys.exit(EXIT_OK)
    except Exception as exc:
        if os.environ.get("REVIEWBOT_DEBUG"):
            raise
        fail(
            f"internal error: {exc.__class__.__name__}: {exc} "
            "(set REVIEWBOT_DEBUG=1 for the traceback)",
        )
