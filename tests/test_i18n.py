"""The message catalogue: complete in `en` and `zh`, in step with the code, compiled, packaged."""

from __future__ import annotations

import ast
import gettext
import io
import re
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from reviewbot import i18n
from reviewbot.i18n import _, catalogue_code, ngettext, pgettext, using

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "reviewbot"
LOCALE = PACKAGE / "locale"
LANGUAGES = ("en", "zh")
KEYWORDS = {"_": 1, "N_": 1, "ngettext": 1, "pgettext": 2}
PLACEHOLDER = re.compile(r"\{(\w*)[^{}]*\}")


def po(language: str) -> Catalog:
    with (LOCALE / language / "LC_MESSAGES" / "reviewbot.po").open("rb") as handle:
        return read_po(handle, locale=language)


def key(message_id: str | tuple[str, ...], context: str | None) -> tuple[str | None, str]:
    return (context, message_id if isinstance(message_id, str) else message_id[0])


def ids(catalog: Catalog) -> set[tuple[str | None, str]]:
    return {key(m.id, m.context) for m in catalog if m.id}


def ids_in_code() -> set[tuple[str | None, str]]:
    """Every constant message the code passes to _, N_, ngettext and pgettext, found by the AST
    (so a call inside an f-string, which Babel's extractor skips, still counts)."""
    found: set[tuple[str | None, str]] = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            if node.func.id not in KEYWORDS or path.name == "i18n.py":
                continue
            args = node.args
            assert all(isinstance(a, ast.Constant) for a in args[: KEYWORDS[node.func.id]]), (
                f"{path.name}:{node.lineno}: {node.func.id}() needs literal strings to extract"
            )
            if node.func.id == "pgettext":
                found.add((args[0].value, args[1].value))  # type: ignore[attr-defined]
            else:
                found.add((None, args[0].value))  # type: ignore[attr-defined]
    return found


def test_language_codes_map_to_catalogues() -> None:
    assert catalogue_code("zh") == catalogue_code("zh-CN") == catalogue_code("ZH_hans") == "zh"
    assert catalogue_code("zh-TW") == catalogue_code("zh-Hant") == "en"
    assert catalogue_code("pt-br") == "pt_BR"
    assert catalogue_code("") == "en"


def test_chinese_english_and_the_english_fallback() -> None:
    with using("zh"):
        assert _("Files not reviewed") == "未审查的文件"
        assert ngettext("{n} finding", "{n} findings", 3).format(n=3) == "3 个问题"
        assert pgettext("severity", "critical") == "严重"
    for language in ("en", "ja", "fr-CA", "zh-TW"):
        with using(language):
            assert _("Files not reviewed") == "Files not reviewed"
            assert ngettext("{n} finding", "{n} findings", 1).format(n=1) == "1 finding"
            assert ngettext("{n} finding", "{n} findings", 2).format(n=2) == "2 findings"


def test_using_restores_the_language_before_it() -> None:
    i18n.set_language("zh")
    try:
        with using("en"):
            assert _("Finding") == "Finding"
        assert _("Finding") == "问题"
    finally:
        i18n.set_language("en")


def test_concurrent_reviews_each_keep_their_own_language() -> None:
    """A server's worker threads review several repositories at once."""
    seen: dict[str, list[str]] = {"zh": [], "en": []}
    ready = threading.Barrier(2)

    def review(language: str) -> None:
        with using(language):
            ready.wait(timeout=10)
            for _round in range(200):
                seen[language].append(_("Finding"))

    threads = [threading.Thread(target=review, args=(lang,)) for lang in seen]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert set(seen["zh"]) == {"问题"} and set(seen["en"]) == {"Finding"}
    assert _("Finding") == "Finding", "outside the blocks, the process's language"


def test_the_catalogue_holds_exactly_the_messages_of_the_code() -> None:
    in_code = ids_in_code()
    extracted = {
        key(msg_id, context)
        for _file, _line, msg_id, _comments, context, *_ in extract_from_dir(str(PACKAGE))
    }
    with (LOCALE / "reviewbot.pot").open("rb") as handle:
        template = ids(read_po(handle))
    assert in_code == extracted, "a message Babel cannot extract (inside an f-string?)"
    assert template == in_code, "stale reviewbot.pot: run pybabel extract (README, Languages)"
    for language in LANGUAGES:
        assert ids(po(language)) == template, f"{language}: run pybabel update"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated_with_its_placeholders(language: str) -> None:
    catalog = po(language)
    assert catalog.num_plurals == (1 if language == "zh" else 2)
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings), f"{language}: untranslated {message.id!r}"
        assert not message.fuzzy, f"{language}: fuzzy {message.id!r}"
        sources = message.id if isinstance(message.id, tuple) else (message.id,)
        names = {name for source in sources for name in PLACEHOLDER.findall(source)}
        for text in strings:
            assert set(PLACEHOLDER.findall(text)) == names, (
                f"{language}: {message.id!r} → {text!r} changes the placeholders"
            )
        if language == "en":
            assert strings == sources, f"en reads as the msgid: {message.id!r}"
        else:
            assert sources[0] not in strings, f"{language}: {message.id!r} left in English"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalogue_matches_its_source(language: str) -> None:
    folder = LOCALE / language / "LC_MESSAGES"
    fresh = io.BytesIO()
    write_mo(fresh, po(language))
    fresh.seek(0)
    with (folder / "reviewbot.mo").open("rb") as handle:
        shipped = gettext.GNUTranslations(handle)
    rebuilt = gettext.GNUTranslations(fresh)
    assert shipped._catalog == rebuilt._catalog, (  # type: ignore[attr-defined]
        f"{language}: reviewbot.mo is stale: run pybabel compile (README, Languages)"
    )


@pytest.mark.timeout(300)
def test_the_wheel_carries_the_compiled_catalogues(tmp_path: Path) -> None:
    """`pip install .` needs no build step of its own: the .mo files are in the wheel."""
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    [wheel] = tmp_path.glob("reviewbot-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        for language in LANGUAGES:
            assert f"reviewbot/locale/{language}/LC_MESSAGES/reviewbot.mo" in names
        with archive.open("reviewbot/locale/zh/LC_MESSAGES/reviewbot.mo") as handle:
            assert gettext.GNUTranslations(handle).gettext("Finding") == "问题"
