"""The `reviewbot` command: a thin face that reads the input, runs the stages, reports."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, NoReturn, Unpack

import click

from reviewbot import __version__
from reviewbot.app import plan_review, run_review
from reviewbot.change import DiffSource
from reviewbot.config import Settings, load_settings
from reviewbot.errors import UserError, error_handler
from reviewbot.exitcodes import EXIT_ENDPOINT, EXIT_FINDINGS, EXIT_OK, final_exit
from reviewbot.findings import ReviewResult
from reviewbot.i18n import _, ngettext, set_language
from reviewbot.redact import redact
from reviewbot.reporters import FORMATS
from reviewbot.review import Progress as ReviewProgress
from reviewbot.review import ProgressCallback
from reviewbot.settingflags import SettingFlags, overrides, setting_options
from reviewbot.sources import DiffFile, GitChanges, WholeFiles
from reviewbot.terminal import fail, print_plan, say, write_report


# Under pre-commit (PRE_COMMIT=1) a failure also says how to commit without the review.
def _hook_skip_hint() -> str:
    return " " + _("(to commit without the review: SKIP=reviewbot git commit)")


def _hook_endpoint_hint() -> str:
    return " " + _(
        "(to commit without the review: SKIP=reviewbot git commit; "
        "to pass whenever the endpoint is down: args: [--on-error, pass])"
    )


def _instructions(value: str | None) -> str | None:
    if value and value.startswith("@"):
        try:
            return Path(value[1:]).read_text(encoding="utf-8")
        except OSError as exc:
            fail(f"cannot read instructions file {value[1:]}: {exc.strerror}")
    return value


def _check_paths(settings: Settings, output: Path | None) -> None:
    """Path options that cannot work, refused before any work is done (--prompt-dir is
    checked where the prompts are read)."""
    if output is not None:
        if output.is_dir():
            raise UserError(f"--output {output} is a directory; name a file")
        folder = output.parent
        if not folder.is_dir():
            raise UserError(f"--output {output}: directory {folder} does not exist")
    if settings.cache and settings.cache_dir.exists() and not settings.cache_dir.is_dir():
        raise UserError(f"cache directory {settings.cache_dir} is not a directory (--cache-dir)")


def _source(
    files: tuple[str, ...], diff_arg: str | None, base: str | None, staged: bool, settings: Settings
) -> DiffSource:
    """The source the flags name."""
    if diff_arg is not None and (files or base or staged):
        fail("--diff cannot be combined with FILES, --base or --staged")
    max_bytes = int(settings.max_diff_mb * 1024 * 1024)
    if diff_arg is not None:
        return DiffFile(diff_arg, max_bytes)
    if staged or base:
        return GitChanges(base=base, staged=staged, paths=files)
    if files:
        return WholeFiles(files)
    if not sys.stdin.isatty():
        return DiffFile("-", max_bytes)
    fail("nothing to review: name FILES, or use --diff, --base, --staged or --pr")


def _progress(enabled: bool, chunks: int) -> tuple[Any, ProgressCallback | None]:
    """A progress bar on stderr: chunks done of all from the start, tokens and cost so far."""
    if not enabled:
        return None, None
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    progress = Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        "{task.fields[spent]}",
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    task = progress.add_task("reviewing", total=chunks, spent="")

    def update(state: ReviewProgress) -> None:
        spent = f"{state.prompt_tokens + state.completion_tokens:,} tokens"
        if state.cost is not None:
            spent += f" · cost {state.cost:.4f}"
        progress.update(task, completed=state.done, total=state.total, spent=spent)

    return progress, update


def _exit(result: ReviewResult, settings: Settings, hook_mode: bool) -> NoReturn:
    """The notes after the report, and the exit code."""
    unsent = [f for f in result.failed_chunks if f.unsent]
    if unsent:
        lines = sum(f.changed_lines for f in unsent)
        # The budget's own reason: "not sent: the run's --max-cost budget ($0.50) would be ..."
        note = _("{chunks} ({lines}) {reason}").format(
            chunks=ngettext("{n} chunk", "{n} chunks", len(unsent)).format(n=len(unsent)),
            lines=ngettext("{n} changed line", "{n} changed lines", lines).format(n=f"{lines:,}"),
            reason=unsent[0].reason,
        )
        click.echo(f"reviewbot: {note}", err=True)
    code, unusable = final_exit(result, settings.fail_on, settings.on_error)
    if unusable is not None:
        if code == EXIT_OK:
            note = _("endpoint unusable ({reason}); passing because --on-error pass").format(
                reason=redact(unusable)
            )
            click.echo(f"reviewbot: {note}", err=True)
            sys.exit(EXIT_OK)
        hint = _hook_endpoint_hint() if hook_mode else ""
        fail(_("endpoint unusable: {reason}").format(reason=unusable) + hint, EXIT_ENDPOINT)
    if code == EXIT_FINDINGS and hook_mode:
        note = _(
            "findings at or above '{threshold}' block this commit "
            "(SKIP=reviewbot git commit to bypass)"
        ).format(threshold=settings.fail_on)
        click.echo(f"reviewbot: {note}", err=True)
    sys.exit(code)


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
@setting_options
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option(
    "--output",
    type=click.Path(path_type=Path),
    help="Write --format to FILE; the terminal still gets the text report (with --format "
    "github, the annotations, which work only on stdout).",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(path_type=Path),
    help="Config file (default: .reviewbot.toml or [tool.reviewbot] in pyproject.toml).",
)
@click.option("--color/--no-color", default=None, help="Colour (default: when a terminal).")
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
    **flags: Unpack[SettingFlags],
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
    with error_handler(say, hint=_hook_skip_hint() if hook_mode else ""):
        flags["instructions"] = _instructions(flags["instructions"])
        settings = load_settings(overrides(flags), config_file)
        if hook_mode and "fail_on" not in settings.model_fields_set:
            # Under pre-commit the default is to block on high; a flag, REVIEWBOT_FAIL_ON or
            # the config file still decide when they say something.
            settings = settings.model_copy(update={"fail_on": "high"})
        set_language(settings.language)
        _check_paths(settings, output)
        if pr is not None:
            from reviewbot.github.face import review_pull_request

            sys.exit(
                review_pull_request(
                    pr, settings, post=post, fmt=fmt, output=output, dry_run=dry_run
                )
            )
        if post:
            fail("--post needs --pr")
        change = _source(files, diff_arg, base, staged, settings).read()
        if change.empty:
            click.echo("reviewbot: " + _("nothing to review (the diff is empty)"), err=True)
            sys.exit(EXIT_OK)
        plan = plan_review(settings, change, need_key=not dry_run)
        if dry_run:
            print_plan(plan)
            sys.exit(EXIT_OK)
        if not plan.prepared.plan.chunks:
            n = len(plan.prepared.skipped)
            note = ngettext(
                "nothing to send to the model ({n} file skipped)",
                "nothing to send to the model ({n} files skipped)",
                n,
            ).format(n=n)
            click.echo(f"reviewbot: {note}", err=True)
        use_color = color if color is not None else sys.stdout.isatty()
        progress, update = _progress(
            sys.stderr.isatty() and fmt == "text" and not hook_mode, len(plan.prepared.plan.chunks)
        )
        try:
            if progress is not None:
                progress.start()
            result = run_review(plan, settings, update)
        finally:
            if progress is not None:
                progress.stop()
        write_report(result, fmt, output, use_color, compact=hook_mode)
        if plan.price_note and not hook_mode:
            say(plan.price_note)
        _exit(result, settings, hook_mode)


def main() -> None:
    try:
        with error_handler(say):
            command(standalone_mode=True)
    except BrokenPipeError:
        sys.exit(EXIT_OK)
