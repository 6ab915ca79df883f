"""A pull request's changes as the diff model, from GitHub's files API (the patches GitHub shows,
so every anchor we compute is one GitHub accepts)."""

from __future__ import annotations

from dataclasses import dataclass

from github.File import File
from github.PullRequest import PullRequest

from reviewbot.change import Change
from reviewbot.diffparse import DiffParseError, parse_diff
from reviewbot.findings import SkippedFile
from reviewbot.github.basefiles import contents_reader
from reviewbot.i18n import _
from reviewbot.sources import NEW_FILE_BYTES

# GET /pulls/{n}/files lists at most 3,000 files.
LISTED_FILES_LIMIT = 3000


@dataclass(frozen=True)
class PullInfo:
    repo: str
    number: int
    title: str
    html_url: str
    repo_html_url: str
    head_sha: str
    base_sha: str
    is_fork: bool


def pull_info(pr: PullRequest) -> PullInfo:
    base_repo = pr.base.repo.full_name
    head_repo = pr.head.repo.full_name if pr.head.repo is not None else None
    return PullInfo(
        repo=base_repo,
        number=pr.number,
        title=pr.title,
        html_url=pr.html_url,
        repo_html_url=pr.base.repo.html_url,
        head_sha=pr.head.sha,
        base_sha=pr.base.sha,
        is_fork=head_repo != base_repo,
    )


def _quote(path: str) -> str:
    """C-quote a path the way git may, so spaces, quotes and tabs survive the header lines."""
    escaped = path.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t")
    return '"' + escaped.replace("\n", "\\n") + '"'


def file_diff_text(row: File) -> str:
    """One `diff --git` block for a files-API row (`filename`, `status`, `patch`, ...)."""
    new, status = row.filename, row.status
    old = row.previous_filename or new
    head = [f"diff --git {_quote('a/' + old)} {_quote('b/' + new)}"]
    if status == "renamed" or (status == "copied" and old != new):
        word = "copy" if status == "copied" else "rename"
        head += [f"{word} from {_quote(old)}", f"{word} to {_quote(new)}"]
    if not row.patch:
        return "\n".join(head) + "\n"
    minus = "/dev/null" if status == "added" else _quote("a/" + old)
    plus = "/dev/null" if status == "removed" else _quote("b/" + new)
    if status == "added":
        head.append("new file mode 100644")
    elif status == "removed":
        head.append("deleted file mode 100644")
    body = row.patch if row.patch.endswith("\n") else row.patch + "\n"
    return "\n".join([*head, f"--- {minus}", f"+++ {plus}"]) + "\n" + body


def patch_blocks(rows: list[File]) -> tuple[list[str], list[SkippedFile]]:
    """Each file's diff text, and the files GitHub sent no patch for (binary, too large)."""
    blocks: list[str] = []
    skipped: list[SkippedFile] = []
    for row in rows:
        pure_rename = row.status in ("renamed", "copied") and not row.changes
        if not row.patch and row.status != "removed" and not pure_rename:
            reason = (
                _("GitHub sent no patch: too large to show")
                if row.changes
                else _("GitHub sent no patch: binary file or mode-only change")
            )
            skipped.append(SkippedFile(path=row.filename, reason=reason, changed_lines=row.changes))
            continue
        blocks.append(file_diff_text(row))
    return blocks, skipped


def pull_diff(pr: PullRequest) -> Change:
    """The PR's diff, plus the files it can't review: no patch (binary or too large for GitHub)
    and files past the listing limit."""
    rows: list[File] = list(pr.get_files())
    blocks, skipped = patch_blocks(rows)
    try:
        diff = parse_diff("".join(blocks))
    except DiffParseError as exc:  # a patch GitHub sent that we can't read: say so, don't guess
        raise DiffParseError(f"pull request #{pr.number}: {exc}") from None
    unlisted = pr.changed_files - len(rows)
    if unlisted > 0:
        skipped.append(
            SkippedFile(
                path=_("({n} more files)").format(n=unlisted),
                reason=_("GitHub lists at most {n} files of a pull request").format(
                    n=f"{LISTED_FILES_LIMIT:,}"
                ),
            )
        )
    # The owners' rules from the base commit, never the head: a PR cannot rewrite its reviewer.
    # Both through the base repository, which serves a fork's PR commits too.
    repo = pr.base.repo
    base = contents_reader(repo, pr.base.sha)
    head = contents_reader(repo, pr.head.sha, NEW_FILE_BYTES)
    return Change(diff, skipped, base=base, head=head)
