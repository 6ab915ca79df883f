"""Which files of a diff go to the model: include/exclude globs and the built-in skips."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import pathspec

from reviewbot.diffmodel import Diff, FileDiff, FileStatus
from reviewbot.findings import SkippedFile
from reviewbot.i18n import _, pgettext

# Lock files, minified bundles and generated code: reviewing them wastes tokens.
DEFAULT_EXCLUDES: tuple[str, ...] = (
    "*.lock",
    "package-lock.json",
    "npm-shrinkwrap.json",
    "pnpm-lock.yaml",
    "go.sum",
    "*.min.js",
    "*.min.css",
    "*.map",
    "*_pb2.py",
    "*_pb2_grpc.py",
    "*.pb.go",
    "*.generated.*",
    "*.snap",
    "*.svg",
    "node_modules/",
    "vendor/",
    "dist/",
)

# Files that commonly hold credentials are never sent unless explicitly included.
SECRET_FILES: tuple[str, ...] = (
    ".env",
    ".env.*",
    "*.pem",
    "*.key",
    "*.p12",
    "*.pfx",
    "*.keystore",
    "*.jks",
    "id_rsa*",
    "id_dsa*",
    "id_ecdsa*",
    "id_ed25519*",
    ".npmrc",
    ".pypirc",
    ".netrc",
    "credentials",
    "credentials.json",
    "secrets.*",
)


def _spec(patterns: Sequence[str]) -> pathspec.GitIgnoreSpec:
    return pathspec.GitIgnoreSpec.from_lines(patterns)


# A name no include pattern targets on purpose: a pattern that matches it in a file's
# directory (`*`, `**`, `src/**`) is a catch-all, not an explicit choice of that file.
_PROBE = "reviewbot-ordinary-probe"


@dataclass
class FileFilter:
    """Include/exclude globs (gitignore syntax, `**` allowed) and the built-in skips.

    Secret-looking and default-excluded files are only reviewed when an include pattern
    names them on purpose: `--include .env` or `--include '*.pem'` does, `--include '**'`
    does not.
    """

    include: Sequence[str] = ()
    exclude: Sequence[str] = ()
    use_default_excludes: bool = True
    _include: pathspec.GitIgnoreSpec = field(init=False)
    _include_each: list[pathspec.GitIgnoreSpec] = field(init=False)
    _exclude: pathspec.GitIgnoreSpec = field(init=False)
    _defaults: pathspec.GitIgnoreSpec = field(init=False)
    _secrets: pathspec.GitIgnoreSpec = field(init=False)

    def __post_init__(self) -> None:
        self._include = _spec(self.include)
        self._include_each = [_spec([p]) for p in self.include]
        self._exclude = _spec(self.exclude)
        self._defaults = _spec(DEFAULT_EXCLUDES if self.use_default_excludes else ())
        self._secrets = _spec(SECRET_FILES)

    def _named_by_include(self, path: str) -> bool:
        folder = path.rpartition("/")[0]
        probe = f"{folder}/{_PROBE}" if folder else _PROBE
        return any(
            spec.match_file(path) and not spec.match_file(probe) for spec in self._include_each
        )

    def reason_to_skip(self, file: FileDiff) -> str | None:
        """Why this file is not sent to the model, or None when it is."""
        if unsafe_path(file.path) or (file.old_path is not None and unsafe_path(file.old_path)):
            return _("path outside the repository")
        if _CONTROL.search(file.path) or (file.old_path and _CONTROL.search(file.old_path)):
            # A newline in a path could forge lines of the prompt; no real project needs one.
            return _("path with control characters")
        if file.status is FileStatus.DELETED:
            return _("deleted")
        if file.is_binary:
            return _("binary")
        if file.new_mode == "160000":
            return _("submodule")
        if self.include and not self._include.match_file(file.path):
            return _("not matched by --include")
        if self._exclude.match_file(file.path):
            return _("excluded by --exclude")
        if self._secrets.match_file(file.path) and not self._named_by_include(file.path):
            return _("may hold secrets (include it explicitly to review)")
        if self._defaults.match_file(file.path) and not self._named_by_include(file.path):
            return _("generated, vendored or lock file (default exclude)")
        if not file.hunks:
            return _("no content change") + _hunkless_kind(file)
        return None

    def split(self, diff: Diff) -> tuple[list[FileDiff], list[SkippedFile]]:
        """The files to review, and the ones skipped with their reasons."""
        keep: list[FileDiff] = []
        skipped: list[SkippedFile] = []
        for file in diff.files:
            reason = self.reason_to_skip(file)
            if reason is None:
                keep.append(file)
            else:
                skipped.append(
                    SkippedFile(path=file.path, reason=reason, changed_lines=file.changed_count)
                )
        return keep, skipped


def _hunkless_kind(file: FileDiff) -> str:
    if file.status is FileStatus.RENAMED:
        return pgettext("parenthesis", " ({text})").format(text=_("rename only"))
    if file.status is FileStatus.COPIED:
        return pgettext("parenthesis", " ({text})").format(text=_("copy only"))
    if file.status is FileStatus.ADDED:
        return pgettext("parenthesis", " ({text})").format(text=_("empty file"))
    if file.old_mode != file.new_mode:
        return pgettext("parenthesis", " ({text})").format(text=_("mode change only"))
    return ""


_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")


def unsafe_path(path: str) -> bool:
    """A path that escapes the repository: absolute, drive-letter or with `..` components."""
    if not path or "\0" in path:
        return True
    if path.startswith(("/", "\\")) or (len(path) > 1 and path[1] == ":" and path[0].isalpha()):
        return True
    return any(part == ".." for part in path.replace("\\", "/").split("/"))
