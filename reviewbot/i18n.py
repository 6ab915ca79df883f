"""The words reviewbot writes itself, in the review's language.

One gettext catalogue (`reviewbot/locale/<lang>/LC_MESSAGES/reviewbot.po`, compiled to `.mo`
and shipped in the package); the msgids are the English text, so a language without a
catalogue reads English. The language is set once per run by the face (`set_language`), before
anything is rendered; everything that writes words for people calls `_`, `ngettext` or
`pgettext` at render time. Catalogues are maintained with Babel (see README, "Languages").
"""

from __future__ import annotations

import gettext
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path

DOMAIN = "reviewbot"
LOCALE_DIR = Path(__file__).parent / "locale"
# Traditional Chinese readers get English rather than the Simplified catalogue.
_TRADITIONAL = frozenset({"tw", "hk", "mo", "hant"})

# The process's language (set once by a face), and a block's own (`using`, per thread or task:
# a server reviews pull requests of several repositories at once).
_default: gettext.NullTranslations = gettext.NullTranslations()
_block: ContextVar[gettext.NullTranslations | None] = ContextVar("reviewbot_language", default=None)


def _active() -> gettext.NullTranslations:
    block = _block.get()
    return block if block is not None else _default


def catalogue_code(language: str) -> str:
    """`zh-CN`, `zh_Hans`, `ZH` → `zh`; `pt-BR` → `pt_BR`; a Traditional Chinese code → `en`."""
    parts = [p for p in language.strip().replace("-", "_").split("_") if p]
    if not parts:
        return "en"
    primary, rest = parts[0].lower(), [p.lower() for p in parts[1:]]
    if primary == "zh":
        return "en" if _TRADITIONAL & set(rest) else "zh"
    return "_".join([primary, *(p.upper() if len(p) == 2 else p for p in rest)])


@lru_cache(maxsize=16)
def translation(language: str) -> gettext.NullTranslations:
    """The catalogue for `language`, or English (the msgids themselves) when there is none."""
    return gettext.translation(
        DOMAIN, LOCALE_DIR, languages=[catalogue_code(language)], fallback=True
    )


def set_language(language: str) -> None:
    global _default
    _default = translation(language)


def current_language() -> str:
    info = _active().info()
    return info.get("language", "en") or "en"


@contextmanager
def using(language: str) -> Iterator[None]:
    """The language for a block: one review among several in a process, or a test."""
    token = _block.set(translation(language))
    try:
        yield
    finally:
        _block.reset(token)


def _(message: str) -> str:
    return _active().gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _active().ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    return _active().pgettext(context, message)


def N_(message: str) -> str:
    """Marks a constant for extraction; translate it with `_` where it is shown."""
    return message
