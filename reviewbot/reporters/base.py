"""The one interface every output format implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from reviewbot.findings import ReviewResult


@dataclass(frozen=True)
class ReportOptions:
    color: bool = False
    width: int = 100
    # Repository root that paths are relative to (SARIF URIs, links); None = as given.
    repo_root: str | None = None
    # A short report for the pre-commit hook: one line a finding.
    compact: bool = False


class Reporter(ABC):
    """Turns a review result into text in one format."""

    name: str = ""

    def __init__(self, options: ReportOptions | None = None) -> None:
        self.options = options or ReportOptions()

    @abstractmethod
    def render(self, result: ReviewResult) -> str:
        """The whole report, ready to write to a stream or a file."""
