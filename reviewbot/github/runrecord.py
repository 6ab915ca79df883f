"""What a review run leaves for the next one, hidden in the summary it edits in place.

The summary review is created once and edited on every run, so its `commit_id` stays the first
run's head: the last reviewed head, the findings so far and the score's weights are recorded in
a hidden comment of the summary body instead. It is read back as untrusted data (anyone who can
edit the review could change it): validated, size-capped, and never rendered without escaping.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import zlib

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from reviewbot.findings import Finding

_RECORD = re.compile(r"<!-- reviewbot:record=([A-Za-z0-9_=-]+) -->")
MAX_ENCODED = 24_000  # of the summary's 60,000 characters
_SHA = r"^[0-9a-f]{40}$"


class StoredFinding(BaseModel):
    model_config = ConfigDict(extra="ignore")
    finding: Finding
    code: list[str] = Field(default_factory=list)  # Finding.code is excluded from its JSON

    def restore(self) -> Finding:
        return self.finding.model_copy(update={"code": list(self.code)})


class RunRecord(BaseModel):
    model_config = ConfigDict(extra="ignore")
    head: str = Field(pattern=_SHA)
    # Every chunk reviewed and nothing left out for a budget or a failure: only then may the
    # next run review just what changed since `head`.
    complete: bool
    findings: list[StoredFinding] = Field(default_factory=list)
    score_sum: float = Field(0.0, ge=0)  # Σ score × reviewed lines, over the runs since a full one
    score_lines: int = Field(0, ge=0)

    @property
    def score(self) -> int | None:
        return int(self.score_sum / self.score_lines + 0.5) if self.score_lines else None

    def restored_findings(self) -> list[Finding]:
        return [stored.restore() for stored in self.findings]


def make_record(
    head: str, complete: bool, findings: list[Finding], score_sum: float, score_lines: int
) -> RunRecord:
    stored = [StoredFinding(finding=f, code=f.code) for f in findings]
    return RunRecord(
        head=head,
        complete=complete,
        findings=stored,
        score_sum=score_sum,
        score_lines=score_lines,
    )


def encode_record(record: RunRecord) -> str:
    """The hidden line for the summary body. A record too large to keep is written without its
    findings and marked incomplete, so the next run reviews the whole pull request again."""
    for candidate in (record, record.model_copy(update={"findings": [], "complete": False})):
        raw = json.dumps(candidate.model_dump(mode="json"), separators=(",", ":"))
        packed = base64.urlsafe_b64encode(zlib.compress(raw.encode("utf-8"), 9)).decode("ascii")
        if len(packed) <= MAX_ENCODED:
            return f"<!-- reviewbot:record={packed} -->"
    return ""


def decode_record(body: str | None) -> RunRecord | None:
    """The record in a summary body, or None when there is none or it does not validate."""
    match = _RECORD.search(body or "")
    if match is None or len(match.group(1)) > MAX_ENCODED:
        return None
    try:
        raw = zlib.decompressobj().decompress(base64.urlsafe_b64decode(match.group(1)), 1_000_000)
        return RunRecord.model_validate_json(raw)
    except (binascii.Error, zlib.error, ValueError, ValidationError):
        return None
