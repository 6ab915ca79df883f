"""Render the Jinja prompt templates (packaged `prompts/`, or a user's --prompt-dir)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import jinja2

from reviewbot.chunker import Chunk, file_header
from reviewbot.errors import UserError

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
    def __init__(self, prompt_dir: Path | None, settings: PromptSettings):
        self.settings = settings
        search = [str(prompt_dir)] if prompt_dir else []
        search.append(str(default_prompt_dir()))
        self._env = _environment(tuple(search))
        try:
            self._templates = {name: self._env.get_template(name) for name in TEMPLATES}
            self._system = (
                self._templates["system.j2"]
                .render(
                    language=self.settings.language,
                    language_name=language_name(self.settings.language),
                    instructions=(self.settings.instructions or "").strip(),
                    max_issues=self.settings.max_issues,
                )
                .strip()
            )
        except jinja2.TemplateError as exc:
            raise PromptError(f"prompt template error: {exc}") from None
        sources = [
            self._env.loader.get_source(self._env, name)[0]  # type: ignore[union-attr]
            for name in TEMPLATES
        ]
        self.fingerprint = hashlib.sha256("\0".join(sources).encode()).hexdigest()

    @property
    def system(self) -> str:
        return self._system

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
            {"role": "system", "content": self.system},
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
