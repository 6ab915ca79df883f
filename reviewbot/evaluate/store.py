"""Results appended per case to a JSONL file, so an interrupted run resumes where it stopped.

Each line is one case reviewed under one configuration (`run`: a fingerprint of the
settings that shape the review). A later line for the same case and run replaces an
earlier one; a line cut short by an interruption is ignored. Scores are not stored: they
are recomputed from the findings, so a different --tolerance needs no new review.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from reviewbot.errors import UserError
from reviewbot.findings import Finding, Stats


class CaseRecord(BaseModel):
    run: str
    case: str
    language: str
    changed_lines: int
    findings: list[Finding] = Field(default_factory=list)
    stats: Stats = Field(default_factory=Stats)
    incomplete: str | None = None
    judge_model: str | None = None
    # "finding index:label index" -> the judge said both describe the same problem.
    verdicts: dict[str, bool] = Field(default_factory=dict)


class StoreError(UserError):
    """The results file cannot be used; the message is one line for the user."""


class ResultStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def load(self) -> dict[tuple[str, str], CaseRecord]:
        """(run, case id) -> the latest record."""
        records: dict[tuple[str, str], CaseRecord] = {}
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return records
        except (OSError, UnicodeDecodeError) as exc:
            raise StoreError(f"cannot read results {self.path}: {exc.__class__.__name__}") from None
        for line in text.splitlines():
            try:
                record = CaseRecord.model_validate(json.loads(line))
            except (ValueError, ValidationError):
                continue  # cut short by an interruption, or not ours
            records[(record.run, record.case)] = record
        return records

    def append(self, record: CaseRecord) -> None:
        line = record.model_dump_json() + "\n"
        with self._lock:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with self.path.open("a+b") as handle:
                    if handle.tell() > 0:
                        handle.seek(-1, os.SEEK_END)
                        if handle.read(1) != b"\n":
                            handle.write(b"\n")  # end a line an interruption cut short
                    handle.write(line.encode("utf-8"))
                    handle.flush()
                    os.fsync(handle.fileno())
            except OSError as exc:
                raise StoreError(f"cannot write results {self.path}: {exc.strerror}") from None
