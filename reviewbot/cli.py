"""The `reviewbot` command: a thin face that reads the input, runs the stages, reports."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from reviewbot import __version__
from reviewbot.app import plan_review, run_review
from reviewbot.config import FAIL_ON_VALUES, ConfigError, Settings, load_settings
from reviewbot.diffmodel import Diff
from reviewbot.diffparse import DiffParseError, parse_diff
from reviewbot.exitcodes import EXIT_ENDPOINT, EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, final_exit
from reviewbot.findings import SkippedFile
from reviewbot.prompts import PromptError
from reviewbot.redact import redact
from reviewbot.reporters import FORMATS
from reviewbot.sources import SourceError, files_diff, git_diff, read_diff
from reviewbot.terminal import fail, print_plan, write_report

# Under pre-commit (PRE_COMMIT=1) a failure also says how to commit without the review.
HOOK_SKIP_HINT = " (to commit without the review: SKIP=reviewbot git commit)"
HOOK_ENDPOINT_HINT = (
    " (to commit without the review: SKIP=reviewbot git commit; "
    "to pass whenever the endpoint is down: args: [--on-error, pass])"
)


def _instructions(value: str | None) -> str | None:
    if value and value.startswith("@"):
        try:
            return Path(value[1:]).read_text(encoding="utf-8")
        except OSError as exc:
            fail(f"cannot read instructions file {value[1:]}: {exc.strerror}")
    return value


def _load_diff(
    files: tuple[str, ...], diff_arg: str | None, base: str | None, staged: bool, settings: Settings
) -> tuple[Diff, list[SkippedFile]]:
    if diff_arg is not None and (files or base or staged):
        fail("--diff cannot be combined with FILES, --base or --staged")
    if diff_arg is not None:
        text = read_diff(diff_arg, int(settings.max_diff_mb * 1024 * 1024))
        return parse_diff(text), []
    if staged or base:
        return parse_diff(git_diff(base=base, staged=staged, paths=list(files))), []
    if files:
        return files_diff(list(files))
    if not sys.stdin.isatty():
        text = read_diff("-", int(settings.max_diff_mb * 1024 * 1024))
        return parse_diff(text), []
    fail("nothing to review: name FILES, or use --diff, --base, --staged or --pr")
    raise AssertionError  # unreachable: fail() exits


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
    task = progress.add_task("reviewing", total=None)

    def update(done: int, total: int) -> None:
        progress.update(task, completed=done, total=total)

    return progress, update


@click.command(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.argument("files", nargs=-1, type=click.Path())
@click.option(
    "--diff", "diff_arg", metavar="PATH|-", help="Review a unified diff file ('-' = stdin)."
)
@click.option("--base", metavar="REF", help="Review HEAD's changes since its merge base with REF.")
@click.option("--staged", is_flag=True, help="Review staged changes (limited to FILES if given).")
@click.option("--pr", metavar="URL", help="Review a GitHub pull request (URL or owner/repo#N).")
@click.option("--post", is_flag=True, help="With --pr: post the review on the pull request.")
@click.option(
    "--dry-run", is_flag=True, help="No model call: show the chunk plan and token counts."
)
@click.option(
    "--provider",
    help="Preset: openai, deepseek, qwen, siliconflow, ark, lingyiwanwu, "
    "openrouter, ollama, vllm, llamacpp, generic.",
)
@click.option(
    "--base-url", help="OpenAI-compatible base URL (default: provider's, OPENAI_BASE_URL)."
)
@click.option("--api-key", help="API key (prefer the env var: OPENAI_API_KEY or the provider's).")
@click.option("--model", help="Model name.")
@click.option("--language", help="Review language: en, zh, ja, ... (default en).")
@click.option("--instructions", help="Project rules for the reviewer (text, or @file).")
@click.option(
    "--prompt-dir",
    type=click.Path(path_type=Path),
    help="Directory overriding system.j2 / user.j2 / reask.j2.",
)
@click.option("--include", multiple=True, help="Only review paths matching this glob (repeatable).")
@click.option("--exclude", multiple=True, help="Skip paths matching this glob (repeatable).")
@click.option(
    "--no-default-excludes",
    is_flag=True,
    default=None,
    help="Also review lock, minified and generated files.",
)
@click.option("--max-chunk-tokens", type=int, help="Diff tokens per request (default from model).")
@click.option("--max-answer-tokens", type=int, help="max_tokens for each answer (default 4096).")
@click.option("--temperature", type=float, help="Sampling temperature (default 0.2).")
@click.option("--top-p", type=float, help="Nucleus sampling top_p.")
@click.option("--seed", type=int, help="Sampling seed, where the provider supports it.")
@click.option(
    "--stream/--no-stream", default=None, help="Stream answers (default: on for reasoning models)."
)
@click.option(
    "--response-format",
    type=click.Choice(["auto", "json_schema", "json_object", "none"]),
    help="Structured output mode to start with (default auto).",
)
@click.option("--concurrency", type=int, help="Requests in flight at once (default 4).")
@click.option("--max-reasks", type=int, help="Re-asks after an invalid answer (default 2).")
@click.option("--max-retries", type=int, help="Retries of 429/5xx/timeouts (default 3).")
@click.option("--request-timeout", type=float, help="Seconds per request (default 180).")
@click.option("--timeout", type=float, help="Deadline for the whole review, in seconds.")
@click.option("--max-tokens", type=int, help="Token budget for the run; stops sending when spent.")
@click.option("--price-input", type=float, help="Price per million input tokens, for the estimate.")
@click.option("--price-output", type=float, help="Price per million output tokens.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option(
    "--output",
    type=click.Path(path_type=Path),
    help="Write --format to FILE; the terminal still gets the text report.",
)
@click.option(
    "--fail-on",
    type=click.Choice(FAIL_ON_VALUES),
    help="Exit 1 when a finding is at or above this severity (default never; high "
    "under pre-commit).",
)
@click.option(
    "--on-error",
    type=click.Choice(["pass", "fail"]),
    help="When the endpoint is unusable: exit 3 (fail, default) or 0 (pass).",
)
@click.option("--no-cache", is_flag=True, help="Do not read or write the review cache.")
@click.option("--cache-dir", type=click.Path(path_type=Path), help="Cache directory.")
@click.option(
    "--config",
    "config_file",
    type=click.Path(path_type=Path),
    help="Config file (default: .reviewbot.toml or [tool.reviewbot] in pyproject.toml).",
)
@click.option("--color/--no-color", default=None, help="Colour (default: when a terminal).")
@click.option("--max-comments", type=int, help="With --post: inline comments at most (default 25).")
@click.option(
    "--request-changes",
    is_flag=True,
    default=None,
    help="With --post: request changes when findings reach --fail-on.",
)
@click.version_option(__version__, prog_name="reviewbot")
def command(
    files: tuple[str, ...],
    diff_arg: str | None,
    base: str | None,
    staged: bool,
    pr: str | None,
    post: bool,
    dry_run: bool,
    fmt: str,
    output: Path | None,
    config_file: Path | None,
    color: bool | None,
    no_cache: bool,
    no_default_excludes: bool | None,
    **flags: Any,
) -> None:
    """Review code changes with any OpenAI-compatible model.

    \b
      reviewbot app.py                    review whole files
      git diff main | reviewbot --diff -  review a diff
      reviewbot --base main               changes since a ref
      reviewbot --staged                  staged changes
      reviewbot --dry-run --base main     chunk plan, token counts, cost; no model call
    """
    hook_mode = os.environ.get("PRE_COMMIT") == "1"
    flags["instructions"] = _instructions(flags.get("instructions"))
    flags["include"] = list(flags["include"]) or None
    flags["exclude"] = list(flags["exclude"]) or None
    if no_cache:
        flags["cache"] = False
    if no_default_excludes:
        flags["default_excludes"] = False
    try:
        settings = load_settings(flags, config_file)
        if hook_mode and "fail_on" not in settings.model_fields_set:
            # Under pre-commit the default is to block on high; a flag, REVIEWBOT_FAIL_ON or
            # the config file still decide when they say something.
            settings = settings.model_copy(update={"fail_on": "high"})
        if pr is not None:
            from reviewbot.github.face import review_pull_request

            sys.exit(
                review_pull_request(
                    pr, settings, post=post, fmt=fmt, output=output, dry_run=dry_run
                )
            )
        if post:
            fail("--post needs --pr")
        diff, skipped_inputs = _load_diff(files, diff_arg, base, staged, settings)
        if not diff.files and not skipped_inputs:
            click.echo("reviewbot: nothing to review (the diff is empty)", err=True)
            sys.exit(EXIT_OK)
        plan = plan_review(settings, diff, need_key=not dry_run)
        plan.prepared.skipped[:0] = skipped_inputs
    except (ConfigError, SourceError, DiffParseError, PromptError) as exc:
        fail(str(exc) + (HOOK_SKIP_HINT if hook_mode else ""))
        return
    if dry_run:
        print_plan(plan)
        sys.exit(EXIT_OK)
    if not plan.prepared.plan.chunks:
        click.echo(
            "reviewbot: nothing to send to the model "
            f"({len(plan.prepared.skipped)} file(s) skipped)",
            err=True,
        )
    use_color = color if color is not None else sys.stdout.isatty()
    progress, update = _progress(sys.stderr.isatty() and fmt == "text" and not hook_mode)
    try:
        if progress is not None:
            progress.start()
        result = run_review(plan, settings, update)
    except KeyboardInterrupt:
        fail("interrupted", 130)
        return
    finally:
        if progress is not None:
            progress.stop()
    write_report(result, fmt, output, use_color, compact=hook_mode)
    unsent = [f for f in result.failed_chunks if f.unsent]
    if unsent:
        lines = sum(f.changed_lines for f in unsent)
        click.echo(
            f"reviewbot: {len(unsent)} chunk(s) ({lines} changed lines) not sent: the "
            "--max-tokens budget was spent",
            err=True,
        )
    code, unusable = final_exit(result, settings.fail_on, settings.on_error)
    if unusable is not None:
        if code == EXIT_OK:
            click.echo(
                f"reviewbot: endpoint unusable ({redact(unusable)}); passing because --on-error "
                "pass",
                err=True,
            )
            sys.exit(EXIT_OK)
        hint = HOOK_ENDPOINT_HINT if hook_mode else ""
        fail(f"endpoint unusable: {unusable}{hint}", EXIT_ENDPOINT)
    if code == EXIT_FINDINGS and hook_mode:
        click.echo(
            f"reviewbot: findings at or above '{settings.fail_on}' block this commit "
            "(SKIP=reviewbot git commit to bypass)",
            err=True,
        )
    sys.exit(code)


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
            EXIT_USAGE,
        )
