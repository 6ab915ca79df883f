"""The model's answer: pydantic schema, JSON extraction from chatty replies, partial salvage."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from reviewbot.findings import Severity

_SEVERITY_SYNONYMS = {
    "blocker": "critical",
    "fatal": "critical",
    "major": "high",
    "error": "high",
    "warning": "medium",
    "moderate": "medium",
    "minor": "low",
    "info": "low",
    "trivial": "low",
    "nit": "low",
}


class ModelIssue(BaseModel):
    model_config = ConfigDict(extra="ignore")

    path: str = Field(min_length=1)
    line: int
    end_line: int | None = None
    severity: Severity
    category: str | None = None
    title: str = Field(min_length=1)
    body: str = ""
    suggestion: str | None = None
    quote: str | None = None

    @field_validator("severity", mode="before")
    @classmethod
    def _lenient_severity(cls, value: Any) -> Any:
        if isinstance(value, str):
            lowered = value.strip().lower()
            return _SEVERITY_SYNONYMS.get(lowered, lowered)
        return value


class ModelAnswer(BaseModel):
    model_config = ConfigDict(extra="ignore")

    score: int = Field(ge=1, le=10)
    issues: list[ModelIssue] = Field(default_factory=list)


def answer_json_schema() -> dict[str, Any]:
    """The JSON schema sent with response_format json_schema.

    Strict-compatible, as OpenAI's structured outputs require with `"strict": true`: every
    object closed (`additionalProperties: false`) and every property required, the optional
    ones as nullable types. Providers without strict mode read it as an ordinary schema.
    """
    nullable_str = {"type": ["string", "null"]}
    fields: dict[str, Any] = {
        "path": {"type": "string"},
        "line": {"type": "integer"},
        "end_line": {"type": ["integer", "null"]},
        "severity": {"type": "string", "enum": ["critical", "high", "medium", "low"]},
        "category": nullable_str,
        "title": {"type": "string"},
        "body": {"type": "string"},
        "suggestion": nullable_str,
        "quote": nullable_str,
    }
    issue = {
        "type": "object",
        "properties": fields,
        "required": list(fields),
        "additionalProperties": False,
    }
    return {
        "type": "object",
        "properties": {
            "score": {"type": "integer", "minimum": 1, "maximum": 10},
            "issues": {"type": "array", "items": issue},
        },
        "required": ["score", "issues"],
        "additionalProperties": False,
    }


_THINK = re.compile(r"<think(?:ing)?>.*?</think(?:ing)?>", re.DOTALL | re.IGNORECASE)
_FENCE = re.compile(r"```[a-zA-Z0-9_-]*\s*\n(.*?)```", re.DOTALL)


def extract_json(text: str) -> Any:
    """The first JSON object in a reply: bare, fenced, after <think> blocks or inside prose."""
    cleaned = _THINK.sub("", text)
    if "<think" in cleaned.lower() and "</think" not in cleaned.lower():
        # an unterminated thinking block: the answer, if any, follows the last brace run
        cleaned = cleaned[cleaned.lower().index("<think") :]
    cleaned = cleaned.strip()
    try:
        return json.loads(cleaned)
    except ValueError:
        pass
    for block in _FENCE.findall(cleaned):
        try:
            return json.loads(block)
        except ValueError:
            continue
    decoder = json.JSONDecoder()
    for match in re.finditer(r"\{", cleaned):
        try:
            value, _ = decoder.raw_decode(cleaned, match.start())
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    raise ValueError("no JSON object found in the answer")


@dataclass
class ParsedAnswer:
    answer: ModelAnswer | None
    errors: list[str] = field(default_factory=list)
    # The valid part of an invalid answer: kept when the re-asks are spent.
    salvage: ModelAnswer | None = None


def _format_errors(exc: ValidationError) -> list[str]:
    out = []
    for err in exc.errors(include_url=False):
        where = ".".join(str(p) for p in err["loc"]) or "(root)"
        out.append(f"{where}: {err['msg']}")
    return out


def parse_answer(text: str | None) -> ParsedAnswer:
    if text is None or not text.strip():
        return ParsedAnswer(None, ["the answer was empty; reply with the JSON object"])
    try:
        data = extract_json(text)
    except ValueError as exc:
        return ParsedAnswer(None, [f"{exc}; reply with one JSON object only"])
    except RecursionError:  # JSON nested thousands deep: garbage, not a crash
        return ParsedAnswer(None, ["the JSON is nested too deeply; reply with the flat object"])
    if not isinstance(data, dict):
        return ParsedAnswer(None, ["(root): the answer must be a JSON object"])
    try:
        return ParsedAnswer(ModelAnswer.model_validate(data))
    except ValidationError as exc:
        return ParsedAnswer(None, _format_errors(exc), _salvage(data))


def _salvage(data: dict[str, Any]) -> ModelAnswer | None:
    issues = []
    raw_issues = data.get("issues")
    for raw in raw_issues if isinstance(raw_issues, list) else []:
        try:
            issues.append(ModelIssue.model_validate(raw))
        except ValidationError:
            continue
    score = data.get("score")
    try:
        valid_score = ModelAnswer(score=score, issues=[]).score  # type: ignore[arg-type]
    except ValidationError:
        valid_score = None
    if valid_score is None and not issues:
        return None
    # A salvaged answer without a valid score still carries its issues; 0 marks "no score".
    return ModelAnswer.model_construct(score=valid_score or 0, issues=issues)
