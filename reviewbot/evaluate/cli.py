"""The `reviewbot-eval` command: a thin face over the dataset, the runner and the report."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, cast

import click

from reviewbot import __version__
from reviewbot.config import ConfigError, Settings, load_settings
from reviewbot.errors import EXIT_INTERRUPTED, UnusableEndpoint, error_handler
from reviewbot.evaluate.acquire import Acquirer
from reviewbot.evaluate.dataset import Case, DatasetError, load_dataset
from reviewbot.evaluate.report import REPORT_FORMATS, render, render_json
from reviewbot.evaluate.runner import Configuration, Evaluation, RunStopped, plan_only
from reviewbot.evaluate.store import ResultStore
from reviewbot.exitcodes import EXIT_OK
from reviewbot.redact import redact
from reviewbot.settingflags import SettingFlags, overrides, setting_options_without

PROG = "reviewbot-eval"
# Settings whose flag this command leaves out: --concurrency here counts cases (a review's
# own request concurrency is `--set concurrency=N`), and exit gates and GitHub posting have
# no meaning for an evaluation.
NOT_HERE = (
    "concurrency",
    "fail_on",
    "on_error",
    "max_comments",
    "request_changes",
    "max_diff_mb",
    "incremental",  # pull requests only
)
# `--compare` shorthands: a name and the settings it sets.
SHORTHANDS: dict[str, dict[str, Any]] = {"verify": {"verify": True}, "no-verify": {"verify": False}}


def say(message: str) -> None:
    """One line on stderr, secrets masked."""
    click.echo(f"{PROG}: {redact(message)}", err=True)


def _instructions(value: str | None) -> str | None:
    """--instructions text, or @FILE's content."""
    if value and value.startswith("@"):
        try:
            return Path(value[1:]).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(
                f"cannot read instructions file {value[1:]}: {exc.strerror}"
            ) from None
    return value


def settings_overrides(flags: dict[str, Any]) -> dict[str, Any]:
    flags["instructions"] = _instructions(flags.get("instructions"))
    return overrides(cast(SettingFlags, flags))


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
        raise ConfigError(f"cannot write {output}: {exc.strerror}") from None


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
@setting_options_without(*NOT_HERE)
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
    with error_handler(say):
        given = settings_overrides(flags)
        given.update(parse_sets(sets))
        configs = configurations(given, config_file, compare)
        cases = _select(load_dataset(dataset), only, limit)
        acquirer = Acquirer(repos=repos, clone=clone)
        if dry_run:
            plan = plan_only(configs, cases, acquirer)
            _write(render_json(plan) if fmt == "json" else _dry_run_text(plan), output)
            sys.exit(EXIT_OK)
        store_path = results or Path(f"reviewbot-eval-{dataset.stem}.jsonl")
        runs = _evaluate(
            Evaluation(
                cases,
                configs,
                ResultStore(store_path),
                acquirer,
                tolerance=tolerance,
                judge_model=judge_model,
                concurrency=concurrency,
            ),
            show_progress=sys.stderr.isatty() and output is None and fmt == "table",
        )
        head = {"dataset": str(dataset), "tolerance": tolerance, "judge_model": judge_model}
        report = {**head, "runs": runs} if compare else {**head, **runs["default"]}
        color = output is None and sys.stdout.isatty()
        _write(render(report, fmt, color=color), output)
        say(f"results: {store_path}")


def _evaluate(evaluation: Evaluation, *, show_progress: bool) -> dict[str, Any]:
    store_path = evaluation.store.path
    progress, evaluation.on_progress = _progress(show_progress)
    try:
        if progress is not None:
            progress.start()
        return evaluation.run()
    except UnusableEndpoint as exc:
        raise RunStopped(
            f"endpoint unusable: {exc} (finished cases are kept in {store_path}; re-run to resume)"
        ) from None
    except KeyboardInterrupt:
        say(f"interrupted; finished cases are kept in {store_path}: re-run to resume")
        sys.exit(EXIT_INTERRUPTED)
    finally:
        if progress is not None:
            progress.stop()


def main() -> None:
    try:
        with error_handler(say):
            command(standalone_mode=True)
    except BrokenPipeError:
        sys.exit(EXIT_OK)
