"""Reporters: one class a format, looked up by name."""

from __future__ import annotations

from reviewbot.reporters.base import Reporter, ReportOptions

__all__ = ["FORMATS", "ReportOptions", "Reporter", "get_reporter"]


def _registry() -> dict[str, type[Reporter]]:
    from reviewbot.reporters.annotations import AnnotationsReporter
    from reviewbot.reporters.json_report import JsonReporter
    from reviewbot.reporters.markdown import MarkdownReporter
    from reviewbot.reporters.rdjson import RdjsonlReporter, RdjsonReporter
    from reviewbot.reporters.sarif import SarifReporter
    from reviewbot.reporters.text import TextReporter

    classes: list[type[Reporter]] = [
        TextReporter,
        JsonReporter,
        MarkdownReporter,
        SarifReporter,
        RdjsonReporter,
        RdjsonlReporter,
        AnnotationsReporter,
    ]
    return {cls.name: cls for cls in classes}


FORMATS = ("text", "json", "markdown", "sarif", "rdjson", "rdjsonl", "github")


def get_reporter(name: str, options: ReportOptions | None = None) -> Reporter:
    try:
        cls = _registry()[name]
    except KeyError:
        raise ValueError(f"unknown format {name!r} (choose from {', '.join(FORMATS)})") from None
    return cls(options)
