"""The self-check's answer: `{"verdicts": [...]}`, validated, and applied to the findings.

The answer is untrusted like a review answer: parsed with pydantic, the valid verdicts of an
invalid answer salvaged, reasons redacted and cut to one line. Applying it fails open: a finding
without a verdict is kept and counted unverified.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from reviewbot.answer import ModelIssue, extract_json
from reviewbot.findings import Finding, Severity
from reviewbot.redact import redact

VERDICTS_KEY = "verdicts"
MAX_REASON = 300


class Verdict(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    keep: bool
    severity: Severity | None = None
    reason: str = ""

    @field_validator("id", mode="before")
    @classmethod
    def _id_text(cls, value: Any) -> Any:
        # 3, "3" and "#3" all name finding 3
        if isinstance(value, bool):
            return value
        if isinstance(value, int):
            return str(value)
        if isinstance(value, str):
            return value.strip().lstrip("#")
        return value

    @field_validator("severity", mode="before")
    @classmethod
    def _lenient_severity(cls, value: Any) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        # the review answer's synonyms (`major`, `nit`, ...) hold here too
        return ModelIssue._lenient_severity(value)

    @field_validator("reason", mode="before")
    @classmethod
    def _no_null_reason(cls, value: Any) -> Any:
        return "" if value is None else value


class VerifyAnswer(BaseModel):
    model_config = ConfigDict(extra="ignore")

    verdicts: list[Verdict] = Field(default_factory=list)


def verify_json_schema() -> dict[str, Any]:
    """The JSON schema sent with response_format json_schema: the key is `verdicts`.

    Strict-compatible like the review's answer schema (closed objects, every property required,
    `severity` nullable), so OpenAI endpoints can be sent `"strict": true` for it too."""
    return {
        "type": "object",
        "properties": {
            VERDICTS_KEY: {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "integer"},
                        "keep": {"type": "boolean"},
                        "severity": {
                            "type": ["string", "null"],
                            "enum": ["critical", "high", "medium", "low", None],
                        },
                        "reason": {"type": "string"},
                    },
                    "required": ["id", "keep", "severity", "reason"],
                    "additionalProperties": False,
                },
            }
        },
        "required": [VERDICTS_KEY],
        "additionalProperties": False,
    }


@dataclass
class ParsedVerdicts:
    answer: VerifyAnswer | None
    errors: list[str] = field(default_factory=list)
    salvage: VerifyAnswer | None = None


def _errors(exc: ValidationError) -> list[str]:
    out = []
    for err in exc.errors(include_url=False):
        where = ".".join(str(p) for p in err["loc"]) or "(root)"
        out.append(f"{where}: {err['msg']}")
    return out


def parse_verdicts(text: str | None) -> ParsedVerdicts:
    if text is None or not text.strip():
        return ParsedVerdicts(None, ["the answer was empty; reply with the JSON object"])
    try:
        data = extract_json(text)
    except ValueError as exc:
        return ParsedVerdicts(None, [f"{exc}; reply with one JSON object only"])
    except RecursionError:
        return ParsedVerdicts(None, ["the JSON is nested too deeply; reply with the flat object"])
    if not isinstance(data, dict) or VERDICTS_KEY not in data:
        return ParsedVerdicts(None, [f'(root): the answer must be {{"{VERDICTS_KEY}": [...]}}'])
    try:
        return ParsedVerdicts(VerifyAnswer.model_validate(data))
    except ValidationError as exc:
        return ParsedVerdicts(None, _errors(exc), _salvage(data))


def _salvage(data: dict[str, Any]) -> VerifyAnswer | None:
    raw = data.get(VERDICTS_KEY)
    kept = []
    for item in raw if isinstance(raw, list) else []:
        try:
            kept.append(Verdict.model_validate(item))
        except ValidationError:
            continue
    return VerifyAnswer(verdicts=kept) if kept else None


def one_line(text: str, limit: int = MAX_REASON) -> str:
    flat = " ".join(redact(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


@dataclass
class Applied:
    kept: list[Finding] = field(default_factory=list)
    rejected: list[tuple[Finding, str]] = field(default_factory=list)
    unverified: int = 0


def apply_verdicts(findings: list[Finding], answer: VerifyAnswer | None) -> Applied:
    """Findings numbered 1..n as sent, judged by the verdicts; no verdict keeps a finding."""
    verdicts: dict[str, Verdict] = {}
    for verdict in answer.verdicts if answer is not None else []:
        verdicts.setdefault(verdict.id, verdict)  # the first verdict for an id counts
    out = Applied()
    for number, finding in enumerate(findings, start=1):
        found = verdicts.get(str(number))
        if found is None:
            out.kept.append(finding)
            out.unverified += 1
        elif not found.keep:
            out.rejected.append((finding, one_line(found.reason) or "rejected by the self-check"))
        else:
            if found.severity is not None and found.severity != finding.severity:
                finding = finding.model_copy(update={"severity": found.severity})
            out.kept.append(finding)
    return out
