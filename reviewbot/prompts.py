"""Render the Jinja prompt templates (packaged `prompts/`, or a user's --prompt-dir)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import jinja2

from reviewbot.chunker import Chunk, file_header
from reviewbot.errors import UserError
from reviewbot.rules import PathRule, RepoRules, owners_rules, rules_for_paths

TEMPLATES = ("system.j2", "user.j2", "reask.j2")

LANGUAGE_NAMES = {
    "en": "English",
    "zh": "Simplified Chinese (简体中文)",
    "zh-cn": "Simplified Chinese (简体中文)",
    "zh-tw": "Traditional Chinese (繁體中文)",
    "ja": "Japanese (日本語)",
    "ko": "Korean (한국어)",
    "de": "German",
    "fr": "French",
    "es": "Spanish",
    "pt": "Portuguese",
    "ru": "Russian",
    "it": "Italian",
    "vi": "Vietnamese",
}


def language_name(code: str) -> str:
    return LANGUAGE_NAMES.get(code.strip().lower(), code.strip())


def default_prompt_dir() -> Path:
    packaged = Path(__file__).parent / "prompts"
    if packaged.is_dir():
        return packaged
    # Running from a source checkout: the top-level prompts/ directory.
    return Path(__file__).resolve().parent.parent / "prompts"


@lru_cache(maxsize=16)
def _environment(search: tuple[str, ...]) -> jinja2.Environment:
    """One Jinja environment per template search path, so templates compile once per process.

    Jinja's own cache reloads a template whose file changed (auto_reload checks its mtime).
    """
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(list(search)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=False,
        autoescape=False,
    )


class PromptError(UserError):
    """A template is missing or does not render."""


@dataclass(frozen=True)
class PromptSettings:
    """From Settings (language, instructions, max_issues_per_chunk), which holds the defaults."""

    language: str
    instructions: str | None
    max_issues: int


class PromptRenderer:
    """The review prompts. The owners' rules (config instructions, the repository's AGENTS.md
    read from the base side, the config's [[rules]] for a chunk's paths) go into the system
    prompt, outside the data boundary of the diff."""

    def __init__(
        self,
        prompt_dir: Path | None,
        settings: PromptSettings,
        *,
        repo_rules: RepoRules | None = None,
        path_rules: Sequence[PathRule] = (),
    ):
        self.settings = settings
        self.repo_rules = repo_rules or RepoRules()
        self.path_rules = tuple(path_rules)
        if prompt_dir is not None and not prompt_dir.is_dir():
            # Else Jinja would quietly fall back to the built-in templates.
            problem = "is not a directory" if prompt_dir.exists() else "does not exist"
            raise PromptError(f"prompt directory {prompt_dir} {problem} (--prompt-dir)")
        search = [str(prompt_dir)] if prompt_dir else []
        search.append(str(default_prompt_dir()))
        self._env = _environment(tuple(search))
        self._systems: dict[tuple[str, ...], str] = {}
        try:
            self._templates = {name: self._env.get_template(name) for name in TEMPLATES}
            self._system = self._render_system(())
        except jinja2.TemplateError as exc:
            raise PromptError(f"prompt template error: {exc}") from None
        sources = [
            self._env.loader.get_source(self._env, name)[0]  # type: ignore[union-attr]
            for name in TEMPLATES
        ]
        self.fingerprint = hashlib.sha256("\0".join(sources).encode()).hexdigest()

    def _render_system(self, scoped: tuple[str, ...]) -> str:
        rules = owners_rules(self.settings.instructions, self.repo_rules, scoped)
        return (
            self._templates["system.j2"]
            .render(
                language=self.settings.language,
                language_name=language_name(self.settings.language),
                instructions=rules or "",
                max_issues=self.settings.max_issues,
            )
            .strip()
        )

    @property
    def system(self) -> str:
        """The system prompt of a chunk no path-scoped rule applies to."""
        return self._system

    def system_for(self, chunk: Chunk) -> str:
        scoped = tuple(rules_for_paths(self.path_rules, chunk.paths))
        if not scoped:
            return self._system
        if scoped not in self._systems:  # a race only renders it twice
            try:
                self._systems[scoped] = self._render_system(scoped)
            except jinja2.TemplateError as exc:
                raise PromptError(f"prompt template error: {exc}") from None
        return self._systems[scoped]

    def user(self, chunk: Chunk) -> str:
        files = [
            {
                "path": part.path,
                "status": part.file.status.value,
                "old_path": part.file.old_path,
                "part": part.part,
                "parts": part.parts,
                "header": file_header(part.file, part.part, part.parts),
                "hunks": [{"text": piece.text, "hunk": piece.hunk} for piece in part.pieces],
            }
            for part in chunk.parts
        ]
        # Every byte inside the fence, file headers (paths) included, goes into the hash.
        body = "".join(
            file_header(part.file, part.part, part.parts) + "".join(pc.text for pc in part.pieces)
            for part in chunk.parts
        )
        # A boundary the diff cannot contain, so the data cannot close its own fence.
        boundary = hashlib.sha256(body.encode("utf-8", "replace")).hexdigest()[:12]
        try:
            return self._templates["user.j2"].render(files=files, boundary=boundary).strip() + "\n"
        except jinja2.TemplateError as exc:
            raise PromptError(f"prompt template error in user.j2: {exc}") from None

    def messages(self, chunk: Chunk) -> list[dict[str, str]]:
        return [
            {"role": "system", "content": self.system_for(chunk)},
            {"role": "user", "content": self.user(chunk)},
        ]

    def reask(self, errors: list[str], truncated: bool) -> str:
        try:
            return (
                self._templates["reask.j2"]
                .render(
                    errors=errors,
                    truncated=truncated,
                    max_issues=max(3, self.settings.max_issues // 2),
                )
                .strip()
            )
        except jinja2.TemplateError as exc:
            raise PromptError(f"prompt template error in reask.j2: {exc}") from None
