"""Reporters: one class a format, looked up by name."""

from __future__ import annotations

import importlib

from reviewbot.reporters.base import Reporter, ReportOptions

__all__ = ["FORMATS", "REPORTERS", "ReportOptions", "Reporter", "get_reporter", "reporter_class"]


# name -> "module:Class"; imported on first use, so the command line starts without rich.
REPORTERS: dict[str, str] = {
    "text": "reviewbot.reporters.text:TextReporter",
    "json": "reviewbot.reporters.json_report:JsonReporter",
    "markdown": "reviewbot.reporters.markdown:MarkdownReporter",
    "sarif": "reviewbot.reporters.sarif:SarifReporter",
    "rdjson": "reviewbot.reporters.rdjson:RdjsonReporter",
    "rdjsonl": "reviewbot.reporters.rdjson:RdjsonlReporter",
    "github": "reviewbot.reporters.annotations:AnnotationsReporter",
}
FORMATS = tuple(REPORTERS)


def reporter_class(name: str) -> type[Reporter]:
    try:
        module, _, attr = REPORTERS[name].partition(":")
    except KeyError:
        raise ValueError(f"unknown format {name!r} (choose from {', '.join(FORMATS)})") from None
    cls: type[Reporter] = getattr(importlib.import_module(module), attr)
    return cls


def get_reporter(name: str, options: ReportOptions | None = None) -> Reporter:
    return reporter_class(name)(options)
