"""Incremental review of a pull request: review only what changed since the last reviewed head.

GitHub's compare API (`GET /repos/{o}/{r}/compare/{last}...{head}`) gives the files changed since
then, with patches like the pull request's own. Only a plain fast-forward (`ahead`, no merge
commit) is reviewed incrementally; a force-push, a rebase, a merge of the base branch, a commit
GitHub no longer knows, or a request for a full review, all review the whole pull request.

Findings are still anchored against the pull request's own diff (the caller's job); earlier
findings carry over with their lines moved through the compare patch, and are dropped when the
lines they were about have changed (this run reviews those lines again).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from github import GithubException
from github.File import File
from github.Repository import Repository

from reviewbot.change import Change
from reviewbot.diffmodel import Diff, FileDiff, FileStatus, LineKind
from reviewbot.diffparse import DiffParseError, parse_diff
from reviewbot.findings import Finding, ReviewResult, SkippedFile, Stats
from reviewbot.github.pullsource import patch_blocks
from reviewbot.github.runrecord import RunRecord, make_record
from reviewbot.i18n import _, ngettext

Mode = Literal["incremental", "full", "nothing-new"]
COMPARE_FILES_LIMIT = 300  # GitHub's compare API lists at most 300 files


@dataclass
class ReviewScope:
    """What this run reviews, and what it inherits from earlier runs."""

    mode: Mode
    head: str
    since: str | None = None  # the last reviewed head (incremental and nothing-new)
    reason: str | None = None  # why the whole pull request is reviewed
    diff: Diff | None = None  # what changed since `since`, limited to the PR's files
    skipped: list[SkippedFile] = field(default_factory=list)
    carried: list[Finding] = field(default_factory=list)
    score_sum: float = 0.0
    score_lines: int = 0

    def change(self) -> Change:
        """The incremental diff as a diff source's Change (what changed since `since`)."""
        return Change(self.diff or Diff(), list(self.skipped))

    def describe(self, reviewed: Diff) -> str:
        """ "reviewed abc1234…def5678: 2 files, 14 changed lines (incremental)" and the like."""
        head = self.head[:7]
        files = len(reviewed.files)
        what = ngettext(
            "{files} file, {lines} changed lines", "{files} files, {lines} changed lines", files
        ).format(files=files, lines=f"{reviewed.changed_count:,}")
        if self.mode == "nothing-new":
            return _("nothing new since {sha}: no model request").format(sha=f"`{head}`")
        if self.mode == "incremental":
            assert self.since is not None
            return _("reviewed {range}: {what} (incremental)").format(
                range=f"`{self.since[:7]}…{head}`", what=what
            )
        return _("reviewed {sha}: {what} (full review: {reason})").format(
            sha=f"`{head}`", what=what, reason=self.reason or _("requested")
        )


def _full(head: str, reason: str) -> ReviewScope:
    return ReviewScope("full", head, reason=reason)


def plan_scope(
    repo: Repository,
    record: RunRecord | None,
    head: str,
    pr_diff: Diff,
    *,
    incremental: bool = True,
) -> ReviewScope:
    """Decide between an incremental and a full review, and build the incremental diff."""
    if not incremental:
        return _full(head, "asked for a full review")
    if record is None:
        return _full(head, "first review")
    if not record.complete:
        return _full(head, "the last run did not review everything")
    carried = record.restored_findings()
    if record.head == head:
        return ReviewScope(
            "nothing-new",
            head,
            since=head,
            carried=_still_in_pull(carried, pr_diff),
            score_sum=record.score_sum,
            score_lines=record.score_lines,
        )
    last = record.head[:7]
    try:
        comparison = repo.compare(record.head, head)
        status = comparison.status
        if status == "identical":
            return ReviewScope(
                "nothing-new",
                head,
                since=record.head,
                carried=_still_in_pull(carried, pr_diff),
                score_sum=record.score_sum,
                score_lines=record.score_lines,
            )
        if status == "diverged":
            return _full(head, "force-push")
        if status == "behind":
            return _full(head, f"the head moved back behind `{last}`")
        if status != "ahead":
            return _full(head, f"GitHub compared `{last}` as {status!r}")
        if any(len(commit.parents) > 1 for commit in comparison.commits):
            return _full(head, "a merge commit since the last review")
        rows: list[File] = list(comparison.files)
    except GithubException as exc:
        if exc.status == 404:
            return _full(head, f"the last reviewed commit `{last}` is unknown to GitHub")
        return _full(head, f"comparing with `{last}` failed: GitHub answered {exc.status}")
    if len(rows) >= COMPARE_FILES_LIMIT:
        return _full(head, f"{COMPARE_FILES_LIMIT}+ files changed since the last review")
    try:
        diff, skipped = compare_diff(rows, pr_diff)
    except DiffParseError as exc:
        return _full(head, f"the compare patch could not be read ({exc})")
    return ReviewScope(
        "incremental",
        head,
        since=record.head,
        diff=diff,
        skipped=skipped,
        carried=carry_over(carried, diff, pr_diff),
        score_sum=record.score_sum,
        score_lines=record.score_lines,
    )


def _pr_paths(pr_diff: Diff) -> set[str]:
    return {f.path for f in pr_diff.files}


def compare_diff(rows: list[File], pr_diff: Diff) -> tuple[Diff, list[SkippedFile]]:
    """The compare files as a diff, limited to files the pull request still changes (a file
    changed and then reverted to the base is no longer part of the review)."""
    paths = _pr_paths(pr_diff)
    blocks, skipped = patch_blocks([row for row in rows if row.filename in paths])
    return parse_diff("".join(blocks)), skipped


def remap_line(file_diff: FileDiff, old: int) -> int | None:
    """Where line `old` (before the change) is after it; None when the change removed it."""
    shift = 0
    for hunk in file_diff.hunks:
        start = hunk.old_start if hunk.old_count else hunk.old_start + 1
        end = hunk.old_start + hunk.old_count  # exclusive; insertions go after old_start
        if old < start:
            break
        if hunk.old_count and old < end:
            for line in hunk.lines:
                if line.old_no == old:
                    return line.new_no if line.kind is LineKind.CONTEXT else None
            return None
        shift += hunk.new_count - hunk.old_count
    return old + shift


def _moved(finding: Finding, file_diff: FileDiff) -> Finding | None:
    update: dict[str, object] = {"path": file_diff.path}
    if finding.line is not None:
        line = remap_line(file_diff, finding.line)
        if line is None:
            return None
        update["line"] = line
        if finding.end_line is not None:
            end = remap_line(file_diff, finding.end_line)
            if end is None or end < line:
                return None
            update["end_line"] = end
    return finding.model_copy(update=update)


def _still_in_pull(findings: list[Finding], pr_diff: Diff) -> list[Finding]:
    paths = _pr_paths(pr_diff)
    return [f for f in findings if f.path is None or f.path in paths]


def carry_over(findings: list[Finding], changed: Diff, pr_diff: Diff) -> list[Finding]:
    """Earlier findings that still stand, on the lines they are on now."""
    by_old_path: dict[str, FileDiff] = {}
    for file_diff in changed.files:
        by_old_path[file_diff.old_path or file_diff.path] = file_diff
    kept: list[Finding] = []
    for finding in findings:
        moved_from = by_old_path.get(finding.path) if finding.path is not None else None
        if moved_from is None:
            kept.append(finding)
            continue
        if moved_from.status is FileStatus.DELETED:
            continue
        moved = _moved(finding, moved_from)
        if moved is not None:
            kept.append(moved)
    return _still_in_pull(kept, pr_diff)


def _key(finding: Finding) -> tuple[str | None, int | None, str]:
    return (finding.path, finding.line, " ".join(finding.title.lower().split()))


def combine(scope: ReviewScope, result: ReviewResult) -> ReviewResult:
    """This run's result widened to the whole pull request: the findings so far and the score
    over every run since the last full review. Stats stay this run's; this run's own score
    weight is kept in `scope` for the record."""
    lines = result.stats.reviewed_lines if result.score is not None else 0
    run_sum = (result.score or 0) * lines
    if scope.mode == "full":
        scope.score_sum, scope.score_lines = run_sum, lines
        return result
    scope.score_sum += run_sum
    scope.score_lines += lines
    fresh = {_key(f) for f in result.findings}
    findings = [*result.findings, *(f for f in scope.carried if _key(f) not in fresh)]
    findings.sort(key=Finding.sort_key)
    score = int(scope.score_sum / scope.score_lines + 0.5) if scope.score_lines else result.score
    return result.model_copy(update={"findings": findings, "score": score})


def next_record(scope: ReviewScope, combined: ReviewResult) -> RunRecord:
    """What this run leaves for the next: complete only when nothing failed or went unsent."""
    return make_record(
        scope.head,
        not combined.failed_chunks,
        combined.findings,
        scope.score_sum,
        scope.score_lines,
    )


def nothing_new_result(scope: ReviewScope, model: str | None) -> ReviewResult:
    """The result of a run with nothing to send: the earlier findings and score, no request."""
    score = int(scope.score_sum / scope.score_lines + 0.5) if scope.score_lines else None
    return ReviewResult(
        score=score,
        findings=sorted(scope.carried, key=Finding.sort_key),
        stats=Stats(),
        model=model,
    )
