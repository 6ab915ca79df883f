"""SARIF 2.1.0 for GitHub code scanning (and any other SARIF viewer).

One rule a category (`reviewbot/<category>`, `reviewbot/general` without one). Levels: critical
and high → error, medium → warning, low → note. Security-like categories also carry
`security-severity` ("9.0", "7.0", "5.0", "3.0") and the `security` tag, which is what makes
code scanning rank them as security alerts.

Locations: line findings get their line range; file-level findings get line 1 of their file.
Code scanning rejects results without a location, so general findings are attached to line 1
of the first file (in path order) that any finding names, with `properties.anchor` set to
"general"; when no finding names a file they cannot be placed, and they go to the run's
`invocations[0].toolExecutionNotifications` instead, next to skipped files and failed chunks.

`partialFingerprints.primaryLocationLineHash` hashes the path with the finding's code (or its
title when there is no code), so an alert survives lines moving; `:n` counts repeats.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

from reviewbot import __version__
from reviewbot.findings import Finding, ReviewResult, Severity
from reviewbot.reporters.base import Reporter
from reviewbot.reporters.labels import failed_label, last_line, one_line, ordered, skipped_label

SCHEMA_URI = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
# Set to the project's home page once it has one; SARIF's informationUri must be a real URI.
PROJECT_URL: str | None = None
SRCROOT = "%SRCROOT%"

LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
}
SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.0",
    Severity.HIGH: "7.0",
    Severity.MEDIUM: "5.0",
    Severity.LOW: "3.0",
}
_SECURITY_WORDS = {
    "auth",
    "authentication",
    "authorization",
    "crypto",
    "cryptography",
    "csrf",
    "injection",
    "secret",
    "secrets",
    "security",
    "ssrf",
    "vulnerability",
    "xss",
}


def category_slug(category: str | None) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", (category or "").lower()).strip("-")
    return slug or "general"


def is_security(category: str | None) -> bool:
    words = re.split(r"[^a-z0-9]+", (category or "").lower())
    return any(w in _SECURITY_WORDS or w.startswith(("secur", "vuln")) for w in words)


def rule_id(finding: Finding) -> str:
    return f"reviewbot/{category_slug(finding.category)}"


def artifact_uri(path: str, repo_root: str | None = None) -> str:
    """A repo-relative URI reference: forward slashes, no leading ./, percent-encoded."""
    posix = path
    if repo_root is not None:
        candidate = PurePosixPath(path)
        if candidate.is_absolute() and candidate.is_relative_to(repo_root):
            posix = str(candidate.relative_to(repo_root))
    while posix.startswith("./"):
        posix = posix[2:]
    return quote(posix, safe="/")


def root_uri(repo_root: str) -> str:
    """The absolute file URI of the repository root, with the trailing slash SARIF wants."""
    posix = PurePosixPath(repo_root).as_posix().rstrip("/") + "/"
    return "file://" + quote(posix if posix.startswith("/") else "/" + posix, safe="/")


def _message(finding: Finding) -> str:
    title = one_line(finding.title)
    body = finding.body.strip()
    return f"{title}\n\n{body}" if body else title


class SarifReporter(Reporter):
    name = "sarif"

    def render(self, result: ReviewResult) -> str:
        return json.dumps(self.document(result), ensure_ascii=False, indent=2) + "\n"

    def document(self, result: ReviewResult) -> dict[str, Any]:
        findings = ordered(result.findings)
        first_path = next((f.path for f in findings if f.path is not None), None)
        placed = [f for f in findings if f.path is not None or first_path is not None]
        unplaced = [f for f in findings if f.path is None and first_path is None]

        rules: dict[str, dict[str, Any]] = {}
        for finding in placed:
            self._add_rule(rules, finding)
        index = {rid: i for i, rid in enumerate(rules)}

        seen: dict[tuple[str, str, str], int] = {}
        results = []
        for finding in placed:
            path = finding.path if finding.path is not None else first_path
            assert path is not None
            results.append(self._result(finding, path, index, seen))

        driver: dict[str, Any] = {"name": "reviewbot", "version": __version__}
        if PROJECT_URL:
            driver["informationUri"] = PROJECT_URL
        driver["rules"] = list(rules.values())
        run: dict[str, Any] = {
            "tool": {"driver": driver},
            "invocations": [self._invocation(result, unplaced)],
        }
        if self.options.repo_root is not None:
            run["originalUriBaseIds"] = {SRCROOT: {"uri": root_uri(self.options.repo_root)}}
        run["results"] = results
        return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}

    def _add_rule(self, rules: dict[str, dict[str, Any]], finding: Finding) -> None:
        rid = rule_id(finding)
        rule = rules.get(rid)
        if rule is None:
            name = one_line(finding.category) if finding.category else "general"
            rule = {
                "id": rid,
                "name": category_slug(finding.category),
                "shortDescription": {"text": f"reviewbot: {name}"},
                "fullDescription": {"text": f"Findings of the AI code review in category {name}."},
                "properties": {"tags": [category_slug(finding.category)]},
            }
            if is_security(finding.category) and category_slug(finding.category) != "security":
                rule["properties"]["tags"].append("security")
            rules[rid] = rule
        props = rule["properties"]
        if is_security(finding.category):
            # A rule covers findings of several severities; code scanning reads the rule's.
            current = float(props.get("security-severity", "0"))
            props["security-severity"] = max(
                SECURITY_SEVERITY[finding.severity], f"{current:.1f}", key=float
            )

    def _result(
        self,
        finding: Finding,
        path: str,
        index: dict[str, int],
        seen: dict[tuple[str, str, str], int],
    ) -> dict[str, Any]:
        rid = rule_id(finding)
        uri = artifact_uri(path, self.options.repo_root)
        region: dict[str, int] = {"startLine": 1}
        if finding.path is not None and finding.line is not None:
            region = {"startLine": finding.line}
            end = last_line(finding)
            if end is not None:
                region["endLine"] = end
        location = {"artifactLocation": {"uri": uri, "uriBaseId": SRCROOT}, "region": region}

        key = "\n".join(line.strip() for line in finding.code) or one_line(finding.title)
        digest = hashlib.sha256(f"{path}\0{key}".encode()).hexdigest()[:16]
        seen[(rid, path, digest)] = seen.get((rid, path, digest), 0) + 1

        item: dict[str, Any] = {
            "ruleId": rid,
            "ruleIndex": index[rid],
            "level": LEVEL[finding.severity],
            "message": {"text": _message(finding)},
            "locations": [{"physicalLocation": location}],
            "partialFingerprints": {
                "primaryLocationLineHash": f"{digest}:{seen[(rid, path, digest)]}"
            },
        }
        props: dict[str, Any] = {"severity": finding.severity.value, "anchor": finding.anchor}
        if finding.category:
            props["category"] = finding.category
        if is_security(finding.category):
            props["security-severity"] = SECURITY_SEVERITY[finding.severity]
        item["properties"] = props
        if (
            finding.suggestion is not None
            and finding.suggestion_committable
            and finding.anchor == "line"
            and finding.line is not None
        ):
            item["fixes"] = [self._fix(finding, uri)]
        return item

    def _fix(self, finding: Finding, uri: str) -> dict[str, Any]:
        # A region with lines and no columns spans those lines without the last newline, so
        # the replacement text carries no trailing newline (an empty one leaves a blank line).
        assert finding.line is not None
        region = {"startLine": finding.line, "endLine": last_line(finding) or finding.line}
        text = (finding.suggestion or "").removesuffix("\n")
        return {
            "description": {"text": "Suggested replacement"},
            "artifactChanges": [
                {
                    "artifactLocation": {"uri": uri, "uriBaseId": SRCROOT},
                    "replacements": [{"deletedRegion": region, "insertedContent": {"text": text}}],
                }
            ],
        }

    def _invocation(self, result: ReviewResult, unplaced: list[Finding]) -> dict[str, Any]:
        notes: list[dict[str, Any]] = []
        for skipped in result.skipped_files:
            notes.append(
                {"level": "warning", "message": {"text": f"Skipped {skipped_label(skipped)}"}}
            )
        for failed in result.failed_chunks:
            notes.append({"level": "error", "message": {"text": f"Failed {failed_label(failed)}"}})
        for finding in unplaced:
            notes.append({"level": LEVEL[finding.severity], "message": {"text": _message(finding)}})
        invocation: dict[str, Any] = {"executionSuccessful": not result.failed_chunks}
        if notes:
            invocation["toolExecutionNotifications"] = notes
        return invocation
