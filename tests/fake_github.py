"""A local GitHub REST server for the endpoints a review bot uses, strict like api.github.com.

It is the oracle for "the bot never causes a 422": pull request files come from real `git diff`
text, and review comments are checked against those hunks the way GitHub checks them. Nothing
here imports `reviewbot`, so the bot's own diff code cannot hide its mistakes.

Routes are served at the root and again under ``/api/v3`` (GitHub Enterprise base URLs), and
under ``/repositories/{id}/...``, the form GitHub uses in ``Link`` headers. URLs in responses
follow the base the request came in on.
"""

from __future__ import annotations

import hashlib
import http
import itertools
import json
import math
import re
import threading
import time
import traceback
import urllib.parse
from base64 import b64encode
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Json = dict[str, Any]

BODY_MAX = 65536
DOCS = "https://docs.github.com/rest"
DOC_CREATE_REVIEW = "https://docs.github.com/rest/pulls/reviews#create-a-review-for-a-pull-request"
DOC_REVIEW_COMMENT = (
    "https://docs.github.com/rest/pulls/comments#create-a-review-comment-for-a-pull-request"
)
DOC_DISMISS = "https://docs.github.com/rest/pulls/reviews#dismiss-a-review-for-a-pull-request"
DOC_ISSUE_COMMENT = "https://docs.github.com/rest/issues/comments#create-an-issue-comment"
DOC_LIST_FILES = "https://docs.github.com/rest/pulls/pulls#list-pull-requests-files"
DOC_RATE = (
    "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"
)

MSG_PATH = "Pull request review thread path is invalid"
MSG_LINE = "Pull request review thread line must be part of the diff"
MSG_START_HUNK = "Pull request review thread start line must be part of the same hunk as the line."
MSG_START_ORDER = "Pull request review thread start line must precede the end line."
MSG_HUNK_BLANK = "Pull request review thread diff hunk can't be blank"
MSG_PENDING = "User can only have one pending review per pull request"
MSG_COMMIT = "The commitOID is not part of the pull request"
MSG_BODY_BLANK = "Body can't be blank"
MSG_ACTIONS_APPROVE = "GitHub Actions is not permitted to approve pull requests."

SECONDARY_RATE_LIMIT_BODY: Json = {
    "message": "You have exceeded a secondary rate limit. Please wait a few minutes before you "
    "try again. If you reach out to GitHub Support for help, please include the request ID "
    "0000:0000:0000000:0000000:00000000.",
    "documentation_url": DOC_RATE,
    "status": "403",
}

ACTIONS_BOT = "github-actions[bot]"
_FIXED_USER_IDS = {ACTIONS_BOT: 41898282, "octocat": 583231}


class DiffError(ValueError):
    """The text given as a diff is not a well-formed `git diff`."""


# --------------------------------------------------------------------------- diff parsing


@dataclass(frozen=True)
class DiffLine:
    kind: str  # " " context, "+" added, "-" removed, "\\" no-newline marker
    old: int | None
    new: int | None
    position: int  # GitHub's "position": lines below the file's first "@@" line, from 1
    text: str


@dataclass
class Hunk:
    header: str
    position: int  # the header's own position (0 for the first hunk)
    old_start: int
    new_start: int
    lines: list[DiffLine] = field(default_factory=list)


@dataclass
class FileDiff:
    filename: str
    previous_filename: str | None
    status: str  # added | removed | modified | renamed | copied
    additions: int
    deletions: int
    full_patch: str | None  # hunks from the first "@@", no trailing newline; None: no hunks
    hunks: list[Hunk]
    binary: bool

    @property
    def changes(self) -> int:
        return self.additions + self.deletions

    def find(self, side: str, line: int) -> tuple[Hunk, DiffLine] | None:
        kinds = " +" if side == "RIGHT" else " -"
        for hunk in self.hunks:
            for dl in hunk.lines:
                if dl.kind in kinds and (dl.new if side == "RIGHT" else dl.old) == line:
                    return hunk, dl
        return None

    def at_position(self, position: int) -> tuple[Hunk, DiffLine] | None:
        for hunk in self.hunks:
            for dl in hunk.lines:
                if dl.position == position and dl.kind in " +-":
                    return hunk, dl
        return None


_HUNK_RE = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
_C_ESCAPES = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}


def _c_unquote(text: str) -> tuple[str, str]:
    """Decode git's C-quoted name at the start of `text`; returns (name, rest after the quote)."""
    out = bytearray()
    i = 1
    while i < len(text):
        ch = text[i]
        if ch == '"':
            return out.decode("utf-8", errors="replace"), text[i + 1 :]
        if ch == "\\":
            nxt = text[i + 1 : i + 2]
            if nxt and nxt in "01234567":
                out.append(int(text[i + 1 : i + 4], 8) & 0xFF)
                i += 4
                continue
            if nxt not in _C_ESCAPES:
                raise DiffError(f"bad escape in quoted path: {text!r}")
            out.append(_C_ESCAPES[nxt])
            i += 2
            continue
        out += ch.encode("utf-8")
        i += 1
    raise DiffError(f"unterminated quoted path: {text!r}")


def _strip_prefix(name: str) -> str:
    return name[2:] if name[:2] in ("a/", "b/") else name


def _header_path(rest: str) -> str | None:
    """The path of a `---`/`+++` line (after the marker); None for /dev/null."""
    if rest.startswith('"'):
        name, _ = _c_unquote(rest)
    else:
        # git ends the line with a TAB when the name has a space; an unquoted name has no TAB
        name = rest.split("\t", 1)[0]
    return None if name == "/dev/null" else _strip_prefix(name)


def _plain_path(rest: str) -> str:
    """The path of a `rename from`/`copy to` style line (no a/ b/ prefix)."""
    return _c_unquote(rest)[0] if rest.startswith('"') else rest


def _git_line_paths(rest: str) -> tuple[str, str]:
    """Both names of a `diff --git` line; only trusted when no better header line exists."""
    if rest.startswith('"'):
        first, tail = _c_unquote(rest)
        tail = tail[1:]
        second = _c_unquote(tail)[0] if tail.startswith('"') else tail
        return _strip_prefix(first), _strip_prefix(second)
    if rest.endswith('"') and ' "' in rest:
        first, _, quoted = rest.partition(' "')
        return _strip_prefix(first), _strip_prefix(_c_unquote('"' + quoted)[0])
    half = (len(rest) - 1) // 2
    if len(rest) % 2 == 1 and rest[half] == " " and rest[2:half] == rest[half + 3 :]:
        return _strip_prefix(rest[:half]), _strip_prefix(rest[half + 1 :])
    first, sep, second = rest.rpartition(" b/")
    if not sep:
        raise DiffError(f"cannot read the names of: diff --git {rest}")
    return _strip_prefix(first), second


def parse_diff(text: str) -> list[FileDiff]:
    """Split a `git diff` into GitHub's per-file view (filename, status, counts, patch)."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    files: list[FileDiff] = []
    i = 0
    while i < len(lines):
        if not lines[i].startswith("diff --git "):
            i += 1  # e.g. a commit message above the diff, or a format-patch signature
            continue
        git_line = lines[i].rstrip("\r")[len("diff --git ") :]
        i += 1
        header: list[str] = []
        while i < len(lines) and not lines[i].startswith(("diff --git ", "@@")):
            header.append(lines[i].rstrip("\r"))
            i += 1
        patch_lines: list[str] = []
        hunks: list[Hunk] = []
        additions = deletions = 0
        while i < len(lines) and lines[i].startswith("@@"):
            m = _HUNK_RE.match(lines[i])
            if not m:
                raise DiffError(f"bad hunk header: {lines[i]!r}")
            old_no, new_no = int(m[1]), int(m[3])
            old_left = int(m[2]) if m[2] is not None else 1
            new_left = int(m[4]) if m[4] is not None else 1
            hunk = Hunk(lines[i], len(patch_lines), old_no, new_no)
            hunks.append(hunk)
            patch_lines.append(lines[i])
            i += 1
            while old_left > 0 or new_left > 0 or (i < len(lines) and lines[i][:1] == "\\"):
                if i >= len(lines):
                    raise DiffError(f"hunk {hunk.header!r} ends early")
                raw = lines[i]
                tag = raw[:1]
                pos = len(patch_lines)
                if tag == "\\":
                    hunk.lines.append(DiffLine("\\", None, None, pos, raw[1:]))
                elif tag in (" ", "", "\r"):
                    hunk.lines.append(DiffLine(" ", old_no, new_no, pos, raw[1:]))
                    old_no, new_no = old_no + 1, new_no + 1
                    old_left, new_left = old_left - 1, new_left - 1
                elif tag == "-":
                    hunk.lines.append(DiffLine("-", old_no, None, pos, raw[1:]))
                    old_no, old_left, deletions = old_no + 1, old_left - 1, deletions + 1
                elif tag == "+":
                    hunk.lines.append(DiffLine("+", None, new_no, pos, raw[1:]))
                    new_no, new_left, additions = new_no + 1, new_left - 1, additions + 1
                else:
                    raise DiffError(f"bad line in hunk {hunk.header!r}: {raw!r}")
                if old_left < 0 or new_left < 0:
                    raise DiffError(f"hunk {hunk.header!r} has more lines than its header says")
                patch_lines.append(raw)
                i += 1
        files.append(_file_from_header(git_line, header, patch_lines, hunks, additions, deletions))
    if not files and text.strip():
        raise DiffError("no 'diff --git' block found; the fake takes `git diff` output")
    return files


def _file_from_header(
    git_line: str,
    header: list[str],
    patch_lines: list[str],
    hunks: list[Hunk],
    additions: int,
    deletions: int,
) -> FileDiff:
    old_path = new_path = moved_from = moved_to = None
    status = "modified"
    binary = False
    seen_minus = seen_plus = False
    for line in header:
        if line.startswith("--- "):
            old_path, seen_minus = _header_path(line[4:]), True
        elif line.startswith("+++ "):
            new_path, seen_plus = _header_path(line[4:]), True
        elif line.startswith(("rename from ", "copy from ")):
            moved_from = _plain_path(line.split(" ", 2)[2])
            status = "renamed" if line.startswith("rename") else "copied"
        elif line.startswith(("rename to ", "copy to ")):
            moved_to = _plain_path(line.split(" ", 2)[2])
        elif line.startswith("new file mode "):
            status = "added"
        elif line.startswith("deleted file mode "):
            status = "removed"
        elif line.startswith(("Binary files ", "GIT binary patch")):
            binary = True
    if moved_to is not None:
        filename = moved_to
    elif seen_plus and new_path is not None:
        filename = new_path
    elif seen_minus and old_path is not None:
        filename = old_path
    else:
        filename = _git_line_paths(git_line)[1]
    previous = moved_from if status in ("renamed", "copied") else None
    return FileDiff(
        filename=filename,
        previous_filename=previous,
        status=status,
        additions=additions,
        deletions=deletions,
        full_patch="\n".join(patch_lines) if patch_lines else None,
        hunks=hunks,
        binary=binary,
    )


# --------------------------------------------------------------------------- state


@dataclass
class CommitState:
    sha: str
    parent: str
    diff: str
    files: list[FileDiff]
    date: str
    change: str | None = None  # the diff from `parent`: what this push changed (compare API)
    merged: str | None = None  # a second parent: this commit merged `merged` in


@dataclass
class PullState:
    """One pull request. `reviews`, `review_comments` and `issue_comments` hold what the API
    serves (URLs are those of the fake's root base URL)."""

    repo: str
    number: int
    id: int
    title: str
    author: str
    head_repo: str
    head_ref: str
    base_ref: str
    base_sha: str
    commits: list[CommitState]
    created_at: str
    reviews: list[Json] = field(default_factory=list)
    review_comments: list[Json] = field(default_factory=list)
    issue_comments: list[Json] = field(default_factory=list)
    deleted: bool = False

    @property
    def head_sha(self) -> str:
        return self.commits[-1].sha

    @property
    def diff(self) -> str:
        return self.commits[-1].diff

    @property
    def files(self) -> list[FileDiff]:
        return self.commits[-1].files

    def commit(self, sha: str) -> CommitState | None:
        return next((c for c in self.commits if c.sha == sha), None)


@dataclass
class Recorded:
    method: str
    path: str  # as requested, without the query
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    json: Any
    status: int


@dataclass
class _Fault:
    method: str
    pattern: re.Pattern[str]
    status: int
    body: Json | None
    headers: dict[str, str]
    after_commit: bool
    times: int


@dataclass
class _Request:
    method: str
    path: str  # without /api/v3, /repositories/{id} rewritten to /repos/{owner}/{repo}
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    base: str  # scheme://host[:port][/api/v3] the client used
    json: Any = None
    login: str = ""
    token: str = ""


@dataclass
class _Response:
    status: int
    body: Any = None  # JSON-able, or str for a raw body
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json; charset=utf-8"


class _Reject(Exception):
    def __init__(self, status: int, body: Json, headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.response = _Response(status, body, headers or {})


def _error(status: int, message: str, doc: str = DOCS, **extra: Any) -> _Reject:
    return _Reject(
        status, {"message": message, **extra, "documentation_url": doc, "status": str(status)}
    )


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _node_id(prefix: str, number: int) -> str:
    return prefix + b64encode(f"fake:{number}".encode()).decode().rstrip("=")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass
class _App:
    app_id: str
    public_key_pem: str
    slug: str
    installations: dict[int, list[str]]
    token_lifetime: int
    issued: list[tuple[int, str]] = field(default_factory=list)  # (installation, token)
    rejected_jwts: int = 0

    def verify(self, token: str) -> bool:
        """An RS256 JWT signed by the App's key, unexpired, issued by the App."""
        import jwt  # PyJWT (a PyGithub dependency); only App tests need it

        try:
            claims = jwt.decode(
                token,
                self.public_key_pem,
                algorithms=["RS256"],
                options={"require": ["iat", "exp", "iss"], "verify_iss": False},
            )
        except jwt.PyJWTError:
            self.rejected_jwts += 1
            return False
        if str(claims["iss"]) != self.app_id or claims["exp"] - claims["iat"] > 600:
            self.rejected_jwts += 1
            return False
        return True


# --------------------------------------------------------------------------- server


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # headers and body go out as two writes; with Nagle on, each answer waits ~40 ms for an ACK
    disable_nagle_algorithm = True
    server: _Server

    def _serve(self) -> None:
        self.server.fake._serve(self)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeGitHub


_Route = tuple[str, re.Pattern[str], Callable[..., _Response]]


class FakeGitHub:
    """GitHub REST on 127.0.0.1 for tests. Use as a context manager, or start()/stop().

    `tokens` maps token -> "write" | "read"; `token_users` optionally maps a token to the login
    it acts as (default `bot_login`). Installation tokens (``ghs_...``) get 403 on GET /user,
    as on GitHub.

    Inspect: `requests` (every request, in order), `rejected` (each 4xx answered to a write),
    `server_errors` (tracebacks of the fake's own bugs, answered as 500), `reviews`,
    `review_comments`, `issue_comments` (all PRs; per PR on `pull(repo, n)`).
    Settable: `max_patch_bytes` (bigger patches are left out of file rows and can't take
    comments), `max_diff_files` / `max_diff_lines` (raw diff 406), `max_listed_files` (3000),
    `actions_can_approve` (False: APPROVE by github-actions[bot] is refused), `rate_remaining`.
    """

    bot_login: str = ACTIONS_BOT

    def __init__(
        self,
        *,
        tokens: dict[str, str] | None = None,
        token_users: dict[str, str] | None = None,
    ) -> None:
        self.tokens = dict(tokens) if tokens is not None else {"ghs_testtoken": "write"}
        for perm in self.tokens.values():
            if perm not in ("read", "write"):
                raise ValueError(f"token permission must be 'read' or 'write', not {perm!r}")
        self.token_users = dict(token_users or {})
        self.requests: list[Recorded] = []
        self.rejected: list[tuple[int, Json]] = []
        self.server_errors: list[str] = []
        self.max_patch_bytes = 10 * 1024 * 1024
        self.max_diff_files = 300
        self.max_diff_lines = 20000
        self.max_listed_files = 3000
        self.actions_can_approve = True
        self.rate_limit = 5000
        self.rate_remaining = 5000
        self.rate_reset = int(time.time()) + 3600
        self.api_url = ""
        self._lock = threading.RLock()
        self._ids = itertools.count(1_000_001)
        self._repos: dict[str, int] = {}
        self._pulls: dict[tuple[str, int], PullState] = {}
        self._contents: dict[tuple[str, str, str], bytes] = {}
        self._faults: list[_Fault] = []
        self._user_ids: dict[str, int] = dict(_FIXED_USER_IDS)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._routes = self._build_routes()
        # GitHub App (enable_app): JWT-authenticated routes, installations, issued tokens
        self.app: _App | None = None

    # ----------------------------------------------------------------- lifecycle

    def start(self) -> FakeGitHub:
        server = _Server(("127.0.0.1", 0), _Handler)
        server.fake = self
        self._server = server
        self.api_url = f"http://127.0.0.1:{server.server_address[1]}"
        # the poll interval is how long stop() waits; the default 0.5 s adds up over many tests
        self._thread = threading.Thread(
            target=server.serve_forever, args=(0.02,), name="fake-github", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeGitHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ----------------------------------------------------------------- test-side API

    def add_repo(self, repo: str) -> int:
        if repo.count("/") != 1:
            raise ValueError(f"repo must be 'owner/name', not {repo!r}")
        with self._lock:
            return self._repos.setdefault(repo, next(self._ids))

    def add_file(self, repo: str, ref: str, path: str, text: str | bytes) -> None:
        """A file of commit `ref` (a sha or a branch name), served by the contents API."""
        self.add_repo(repo)
        data = text.encode("utf-8") if isinstance(text, str) else text
        with self._lock:
            self._contents[(repo, ref, path.strip("/"))] = data

    def add_pull(
        self,
        repo: str,
        number: int,
        diff: str,
        *,
        head_sha: str | None = None,
        base_sha: str | None = None,
        head_repo: str | None = None,
        title: str = "PR",
        author: str = "octocat",
    ) -> PullState:
        files = parse_diff(diff)
        with self._lock:
            self.add_repo(repo)
            if head_repo is not None:
                self.add_repo(head_repo)
            if (repo, number) in self._pulls:
                raise ValueError(f"{repo}#{number} exists")
            base = base_sha or self._fake_sha("base", repo, str(number))
            head = head_sha or self._fake_sha("head", repo, str(number), diff)
            pull = PullState(
                repo=repo,
                number=number,
                id=next(self._ids),
                title=title,
                author=author,
                head_repo=head_repo or repo,
                head_ref=f"feature-{number}",
                base_ref="main",
                base_sha=base,
                commits=[CommitState(head, base, diff, files, _now())],
                created_at=_now(),
            )
            self._pulls[repo, number] = pull
            return pull

    def push(
        self,
        repo: str,
        number: int,
        diff: str,
        *,
        head_sha: str,
        change: str | None = None,
        force: bool = False,
        merge_base: bool = False,
    ) -> None:
        """A new head commit: the PR's diff becomes `diff`; older comments move or go outdated.

        For the compare API: `change` is the diff from the previous head to this one; `force`
        makes it a force-push (the new commit does not descend from the old head); `merge_base`
        makes it a merge of the base branch into the PR branch.
        """
        parse_diff(change or "")
        files = parse_diff(diff)
        with self._lock:
            pull = self.pull(repo, number)
            if pull.commit(head_sha) is not None or head_sha == pull.base_sha:
                raise ValueError(f"{head_sha} is already a commit of {repo}#{number}")
            parent = pull.base_sha if force else pull.head_sha
            merged = pull.base_sha if merge_base else None
            pull.commits.append(
                CommitState(head_sha, parent, diff, files, _now(), change=change, merged=merged)
            )
            for comment in pull.review_comments:
                self._reanchor(pull, comment)

    def pull(self, repo: str, number: int) -> PullState:
        with self._lock:
            return self._pulls[repo, number]

    def delete_pull(self, repo: str, number: int) -> None:
        """From now on the PR answers 404, like a deleted or inaccessible one."""
        with self._lock:
            self.pull(repo, number).deleted = True

    @property
    def reviews(self) -> list[Json]:
        with self._lock:
            return [r for p in self._pulls.values() for r in p.reviews]

    @property
    def review_comments(self) -> list[Json]:
        with self._lock:
            return [c for p in self._pulls.values() for c in p.review_comments]

    @property
    def issue_comments(self) -> list[Json]:
        with self._lock:
            return [c for p in self._pulls.values() for c in p.issue_comments]

    def add_review(
        self,
        repo: str,
        number: int,
        *,
        login: str = "octocat",
        event: str | None = "COMMENT",
        body: str = "",
        comments: list[Json] | None = None,
        commit_id: str | None = None,
    ) -> Json:
        """Seed a review by another user, validated like the API; raises ValueError if GitHub
        would refuse it."""
        payload: Json = {"body": body, "comments": comments or []}
        if event is not None:
            payload["event"] = event
        if commit_id is not None:
            payload["commit_id"] = commit_id
        self._require_started()
        with self._lock:
            try:
                return self._create_review(self.pull(repo, number), payload, login)
            except _Reject as rej:
                raise ValueError(rej.response.body) from None

    def add_issue_comment(
        self, repo: str, number: int, body: str, *, login: str = "octocat"
    ) -> Json:
        self._require_started()
        with self._lock:
            return self._new_issue_comment(self.pull(repo, number), body, login)

    def fail_next(
        self,
        method: str,
        path_regex: str,
        *,
        status: int,
        body: Json | None = None,
        headers: dict[str, str] | None = None,
        after_commit: bool = False,
        times: int = 1,
    ) -> None:
        """Answer the next `times` matching requests with `status`. `path_regex` is searched in
        the path as /repos/{owner}/{repo}/... (no /api/v3, no query). With `after_commit` the
        request is carried out first (a created review stays created) and the error replaces
        the real answer."""
        with self._lock:
            self._faults.append(
                _Fault(
                    method.upper(),
                    re.compile(path_regex),
                    status,
                    body,
                    dict(headers or {}),
                    after_commit,
                    times,
                )
            )

    def fail_secondary_rate_limit(
        self, method: str, path_regex: str, *, retry_after: int | None = 1, times: int = 1
    ) -> None:
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        self.fail_next(
            method,
            path_regex,
            status=403,
            body=dict(SECONDARY_RATE_LIMIT_BODY),
            headers=headers,
            times=times,
        )

    def enable_app(
        self,
        app_id: str,
        public_key_pem: str,
        installations: dict[int, list[str]],
        *,
        slug: str = "reviewbot",
        token_lifetime: int = 3600,
    ) -> None:
        """Act as a GitHub App's API too: `POST /app/installations/{id}/access_tokens` and
        `GET /repos/{o}/{r}/installation` take a JWT signed with the App's private key (RS256,
        checked against `public_key_pem`, `iss` = `app_id`). Issued tokens (``ghs_...``) can write
        to the installation's repositories and act as ``{slug}[bot]``."""
        with self._lock:
            self.app = _App(app_id, public_key_pem, slug, dict(installations), token_lifetime)
            for repos in installations.values():
                for repo in repos:
                    self.add_repo(repo)

    def set_file(self, repo: str, path: str, text: str, *, ref: str = "main") -> None:
        """Serve `text` at `GET /repos/{repo}/contents/{path}?ref={ref}`."""
        self.add_file(repo, ref, path, text)

    # ----------------------------------------------------------------- plumbing

    def _require_started(self) -> None:
        if self._server is None:
            raise RuntimeError("start the server first: stored objects carry its URL")

    def _fake_sha(self, *parts: str) -> str:
        return hashlib.sha1("\0".join((*parts, str(next(self._ids)))).encode()).hexdigest()

    def _user(self, login: str) -> Json:
        base = self.api_url
        uid = self._user_ids.setdefault(login, next(self._ids))
        bot = login.endswith("[bot]")
        return {
            "login": login,
            "id": uid,
            "node_id": _node_id("BOT_" if bot else "U_", uid),
            "avatar_url": f"https://avatars.githubusercontent.com/u/{uid}?v=4",
            "gravatar_id": "",
            "url": f"{base}/users/{urllib.parse.quote(login)}",
            "html_url": f"https://github.com/apps/{login[:-5]}"
            if bot
            else f"https://github.com/{login}",
            "type": "Bot" if bot else "User",
            "site_admin": False,
        }

    def _serve(self, handler: _Handler) -> None:
        split = urllib.parse.urlsplit(handler.path)
        raw_path = urllib.parse.unquote(split.path)
        headers = {k.lower(): v for k, v in handler.headers.items()}
        length = int(headers.get("content-length") or 0)
        body = handler.rfile.read(length) if length else b""
        host = headers.get("host") or self.api_url.removeprefix("http://")
        path, prefix = raw_path, ""
        if path == "/api/v3" or path.startswith("/api/v3/"):
            path, prefix = path[len("/api/v3") :] or "/", "/api/v3"
        req = _Request(
            method=handler.command,
            path=path,
            query=urllib.parse.parse_qs(split.query, keep_blank_values=True),
            headers=headers,
            body=body,
            base=f"http://{host}{prefix}",
        )
        with self._lock:
            req.path = self._canonical_path(req.path)
            if body:
                try:
                    req.json = json.loads(body)
                except ValueError:
                    req.json = None
            try:
                resp = self._respond(req)
            except Exception as exc:  # a bug here must fail the test, not drop the socket
                self.server_errors.append(traceback.format_exc())
                resp = _Response(500, {"message": f"fake GitHub failed: {exc!r}"})
            self.requests.append(
                Recorded(req.method, raw_path, req.query, headers, req.json, resp.status)
            )
            if 400 <= resp.status < 500 and req.method != "GET":
                self.rejected.append(
                    (resp.status, resp.body if isinstance(resp.body, dict) else {})
                )
            data = self._encode(resp, req.base)
            out_headers = self._rate_headers()
            out_headers.update(resp.headers)
        handler.send_response(resp.status)
        handler.send_header("Content-Type", resp.content_type)
        handler.send_header("Content-Length", str(len(data)))
        handler.send_header("X-GitHub-Media-Type", "github.v3; format=json")
        handler.send_header("X-GitHub-Request-Id", f"FAKE:{len(self.requests):08X}")
        for name, value in out_headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(data)

    def _canonical_path(self, path: str) -> str:
        m = re.match(r"^/repositories/(\d+)(/.*)?$", path)
        if m:
            for name, rid in self._repos.items():
                if rid == int(m[1]):
                    return f"/repos/{name}{m[2] or ''}"
        return path

    def _rate_headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.rate_limit),
            "X-RateLimit-Remaining": str(self.rate_remaining),
            "X-RateLimit-Reset": str(self.rate_reset),
            "X-RateLimit-Used": str(self.rate_limit - self.rate_remaining),
            "X-RateLimit-Resource": "core",
        }

    def _encode(self, resp: _Response, base: str) -> bytes:
        if resp.body is None:
            return b""
        if isinstance(resp.body, str):
            return resp.body.encode("utf-8")
        if base != self.api_url:
            resp.body = _rebase(resp.body, self.api_url, base)
        return json.dumps(resp.body).encode("utf-8")

    def _take_fault(self, req: _Request, after_commit: bool) -> _Fault | None:
        for fault in self._faults:
            if (
                fault.after_commit == after_commit
                and fault.method in (req.method, "*")
                and fault.pattern.search(req.path)
            ):
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    @staticmethod
    def _fault_response(fault: _Fault) -> _Response:
        body = fault.body
        if body is None:
            body = {"message": http.HTTPStatus(fault.status).phrase, "documentation_url": DOCS}
        return _Response(fault.status, body, dict(fault.headers))

    def _respond(self, req: _Request) -> _Response:
        fault = self._take_fault(req, after_commit=False)
        if fault is not None:
            return self._fault_response(fault)
        try:
            resp = self._dispatch(req)
        except _Reject as rej:
            return rej.response
        fault = self._take_fault(req, after_commit=True)
        return self._fault_response(fault) if fault is not None else resp

    def _dispatch(self, req: _Request) -> _Response:
        app_answer = self._app_dispatch(req)
        if app_answer is not None:
            return app_answer
        auth = req.headers.get("authorization", "")
        scheme, _, token = auth.partition(" ")
        if scheme.lower() not in ("token", "bearer") or token.strip() not in self.tokens:
            raise _error(401, "Bad credentials")
        if self.rate_remaining <= 0:
            raise _error(
                403,
                "API rate limit exceeded for installation ID 1.",
                "https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting",
            )
        self.rate_remaining -= 1
        req.token = token.strip()
        req.login = self.token_users.get(req.token, self.bot_login)
        # GitHub answers 404 for unknown routes and for unsupported methods alike
        for method, pattern, func in self._routes:
            m = pattern.match(req.path)
            if not m or method != req.method:
                continue
            groups = m.groupdict()
            if "repo" in groups and groups["repo"] not in self._repos:
                raise _error(
                    404, "Not Found", "https://docs.github.com/rest/repos/repos#get-a-repository"
                )
            if req.method != "GET" and self.tokens[req.token] != "write":
                raise _error(403, "Resource not accessible by integration", _doc_for(req.path))
            if req.method in ("POST", "PUT", "PATCH") and not isinstance(req.json, dict):
                if req.body and req.json is None:
                    raise _error(400, "Problems parsing JSON")
                raise _error(422, "Invalid request.\n\nInvalid input: an object is required.")
            return func(req, **groups)
        raise _error(404, "Not Found")

    def _build_routes(self) -> list[_Route]:
        repo = r"/repos/(?P<repo>[^/]+/[^/]+)"
        pr = repo + r"/pulls/(?P<number>\d+)"
        table: list[tuple[str, str, Callable[..., _Response]]] = [
            ("GET", r"/user", self._get_user),
            ("GET", r"/rate_limit", self._get_rate_limit),
            ("GET", repo, self._get_repo),
            ("GET", repo + r"/commits/(?P<ref>[^/]+)", self._get_commit),
            ("GET", repo + r"/compare/(?P<basehead>[^/]+)", self._compare),
            ("GET", repo + r"/contents/(?P<path>.+?)", self._get_contents),
            ("GET", repo + r"/pulls", self._list_pulls),
            ("GET", pr, self._get_pull),
            ("GET", pr + r"/files", self._list_files),
            ("GET", pr + r"/commits", self._list_pull_commits),
            ("GET", pr + r"/reviews", self._list_reviews),
            ("POST", pr + r"/reviews", self._post_review),
            ("GET", pr + r"/reviews/(?P<rid>\d+)", self._get_review),
            ("PUT", pr + r"/reviews/(?P<rid>\d+)", self._put_review),
            ("DELETE", pr + r"/reviews/(?P<rid>\d+)", self._delete_review),
            ("GET", pr + r"/reviews/(?P<rid>\d+)/comments", self._list_review_comments_of),
            ("POST", pr + r"/reviews/(?P<rid>\d+)/events", self._submit_review),
            ("PUT", pr + r"/reviews/(?P<rid>\d+)/dismissals", self._dismiss_review),
            ("GET", pr + r"/comments", self._list_review_comments),
            ("POST", pr + r"/comments", self._post_review_comment),
            ("POST", pr + r"/comments/(?P<cid>\d+)/replies", self._post_reply),
            ("GET", repo + r"/pulls/comments/(?P<cid>\d+)", self._get_review_comment),
            ("PATCH", repo + r"/pulls/comments/(?P<cid>\d+)", self._patch_review_comment),
            ("DELETE", repo + r"/pulls/comments/(?P<cid>\d+)", self._delete_review_comment),
            ("GET", repo + r"/issues/(?P<number>\d+)", self._get_issue),
            ("GET", repo + r"/issues/(?P<number>\d+)/comments", self._list_issue_comments),
            ("POST", repo + r"/issues/(?P<number>\d+)/comments", self._post_issue_comment),
            ("GET", repo + r"/issues/comments/(?P<cid>\d+)", self._get_issue_comment),
            ("PATCH", repo + r"/issues/comments/(?P<cid>\d+)", self._patch_issue_comment),
            ("DELETE", repo + r"/issues/comments/(?P<cid>\d+)", self._delete_issue_comment),
        ]
        return [(method, re.compile(rx + r"/?$"), func) for method, rx, func in table]

    # ----------------------------------------------------------------- lookups and JSON

    def _get_contents(self, req: _Request, repo: str, path: str) -> _Response:
        """GET /repos/{o}/{r}/contents/{path}?ref=: a file of `add_file`, base64 as GitHub sends
        it (files over 1 MB come with encoding "none" and no content, as on GitHub)."""
        ref = (req.query.get("ref") or ["main"])[0]
        data = self._contents.get((repo, ref, path.strip("/")))
        if data is None:
            raise _error(
                404,
                "Not Found",
                "https://docs.github.com/rest/repos/contents#get-repository-content",
            )
        name = path.rsplit("/", 1)[-1]
        sha = hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
        url = f"{self.api_url}/repos/{repo}/contents/{urllib.parse.quote(path)}?ref={ref}"
        big = len(data) > 1024 * 1024
        body: Json = {
            "type": "file",
            "encoding": "none" if big else "base64",
            "size": len(data),
            "name": name,
            "path": path,
            "content": "" if big else b64encode(data).decode("ascii"),
            "sha": sha,
            "url": url,
            "git_url": f"{self.api_url}/repos/{repo}/git/blobs/{sha}",
            "html_url": f"https://github.com/{repo}/blob/{ref}/{path}",
            "download_url": f"https://raw.githubusercontent.com/{repo}/{ref}/{path}",
            "_links": {"self": url},
        }
        return _Response(200, body)

    def _find_pull(self, repo: str, number: str) -> PullState:
        pull = self._pulls.get((repo, int(number)))
        if pull is None or pull.deleted:
            raise _error(
                404, "Not Found", "https://docs.github.com/rest/pulls/pulls#get-a-pull-request"
            )
        return pull

    def _repo_json(self, name: str) -> Json:
        base = self.api_url
        rid = self._repos[name]
        owner = name.split("/")[0]
        api = f"{base}/repos/{name}"
        return {
            "id": rid,
            "node_id": _node_id("R_", rid),
            "name": name.split("/")[1],
            "full_name": name,
            "private": False,
            "owner": self._user(owner) | {"type": "Organization"},
            "html_url": f"https://github.com/{name}",
            "description": None,
            "fork": False,
            "url": api,
            "pulls_url": api + "/pulls{/number}",
            "issues_url": api + "/issues{/number}",
            "commits_url": api + "/commits{/sha}",
            "default_branch": "main",
            "visibility": "public",
        }

    def _pull_json(self, pull: PullState) -> Json:
        base = self.api_url
        api = f"{base}/repos/{pull.repo}"
        url = f"{api}/pulls/{pull.number}"
        html = f"https://github.com/{pull.repo}/pull/{pull.number}"
        head = pull.commits[-1]
        additions = sum(f.additions for f in head.files)
        deletions = sum(f.deletions for f in head.files)

        def ref(label_repo: str, ref_name: str, sha: str) -> Json:
            return {
                "label": f"{label_repo.split('/')[0]}:{ref_name}",
                "ref": ref_name,
                "sha": sha,
                "user": self._user(label_repo.split("/")[0]),
                "repo": self._repo_json(label_repo) | {"fork": label_repo != pull.repo},
            }

        return {
            "url": url,
            "id": pull.id,
            "node_id": _node_id("PR_", pull.id),
            "html_url": html,
            "diff_url": html + ".diff",
            "patch_url": html + ".patch",
            "issue_url": f"{api}/issues/{pull.number}",
            "commits_url": url + "/commits",
            "review_comments_url": url + "/comments",
            "review_comment_url": f"{api}/pulls/comments{{/number}}",
            "comments_url": f"{api}/issues/{pull.number}/comments",
            "statuses_url": f"{api}/statuses/{head.sha}",
            "number": pull.number,
            "state": "open",
            "locked": False,
            "title": pull.title,
            "user": self._user(pull.author),
            "body": None,
            "labels": [],
            "created_at": pull.created_at,
            "updated_at": head.date,
            "closed_at": None,
            "merged_at": None,
            "merge_commit_sha": None,
            "draft": False,
            "head": ref(pull.head_repo, pull.head_ref, head.sha),
            "base": ref(pull.repo, pull.base_ref, pull.base_sha),
            "_links": {
                "self": {"href": url},
                "html": {"href": html},
                "issue": {"href": f"{api}/issues/{pull.number}"},
                "comments": {"href": f"{api}/issues/{pull.number}/comments"},
                "review_comments": {"href": url + "/comments"},
                "commits": {"href": url + "/commits"},
            },
            "author_association": "CONTRIBUTOR",
            "merged": False,
            "mergeable": True,
            "comments": len(pull.issue_comments),
            "review_comments": len(pull.review_comments),
            "commits": len(pull.commits),
            "additions": additions,
            "deletions": deletions,
            "changed_files": len(head.files),
        }

    def _patch_of(self, f: FileDiff) -> str | None:
        if f.full_patch is None or len(f.full_patch.encode("utf-8")) > self.max_patch_bytes:
            return None
        return f.full_patch

    def _file_json(self, pull: PullState, f: FileDiff, sha: str) -> Json:
        base = self.api_url
        quoted = urllib.parse.quote(f.filename)
        out: Json = {
            "sha": hashlib.sha1(f"{sha}\0{f.filename}".encode()).hexdigest(),
            "filename": f.filename,
            "status": f.status,
            "additions": f.additions,
            "deletions": f.deletions,
            "changes": f.changes,
            "blob_url": f"https://github.com/{pull.repo}/blob/{sha}/{quoted}",
            "raw_url": f"https://github.com/{pull.repo}/raw/{sha}/{quoted}",
            "contents_url": f"{base}/repos/{pull.repo}/contents/{quoted}?ref={sha}",
        }
        patch = self._patch_of(f)
        if patch is not None:
            out["patch"] = patch
        if f.previous_filename is not None:
            out["previous_filename"] = f.previous_filename
        return out

    def _commit_json(
        self, repo: str, commit: CommitState, pull: PullState, *, with_files: bool = True
    ) -> Json:
        base = self.api_url
        api = f"{base}/repos/{repo}"
        who = {"name": pull.author, "email": f"{pull.author}@example.com", "date": commit.date}
        out: Json = {
            "sha": commit.sha,
            "node_id": "C_" + hashlib.sha1(commit.sha.encode()).hexdigest()[:20],
            "url": f"{api}/commits/{commit.sha}",
            "html_url": f"https://github.com/{repo}/commit/{commit.sha}",
            "comments_url": f"{api}/commits/{commit.sha}/comments",
            "commit": {
                "url": f"{api}/git/commits/{commit.sha}",
                "author": who,
                "committer": who,
                "message": f"Commit {commit.sha[:7]}",
                "tree": {"sha": hashlib.sha1(commit.sha.encode()).hexdigest(), "url": ""},
                "comment_count": 0,
            },
            "author": self._user(pull.author),
            "committer": self._user(pull.author),
            "parents": [
                {
                    "sha": parent,
                    "url": f"{api}/commits/{parent}",
                    "html_url": f"https://github.com/{repo}/commit/{parent}",
                }
                for parent in (commit.parent, commit.merged)
                if parent is not None
            ],
        }
        if with_files and commit.parent == pull.base_sha:  # else the PR diff isn't this commit's
            out["files"] = [self._file_json(pull, f, commit.sha) for f in commit.files]
            adds = sum(f.additions for f in commit.files)
            dels = sum(f.deletions for f in commit.files)
            out["stats"] = {"total": adds + dels, "additions": adds, "deletions": dels}
        return out

    def _paginate(
        self,
        req: _Request,
        items: list[Any],
        repo: str,
        render: Callable[[Any], Json] | None = None,
    ) -> _Response:
        def number(name: str, default: int) -> int:
            values = req.query.get(name)
            try:
                return int(values[-1]) if values else default
            except ValueError:
                return default

        per_page = min(number("per_page", 30), 100)
        per_page = per_page if per_page > 0 else 30
        page = max(number("page", 1), 1)
        last = max(1, math.ceil(len(items) / per_page))
        chunk = items[(page - 1) * per_page : page * per_page]
        if render is not None:
            chunk = [render(item) for item in chunk]
        rest = req.path[len(f"/repos/{repo}") :]
        kept = [(k, v) for k, vs in req.query.items() if k != "page" for v in vs]

        def link(n: int, rel: str) -> str:
            query = urllib.parse.urlencode([*kept, ("page", str(n))])
            return f'<{req.base}/repositories/{self._repos[repo]}{rest}?{query}>; rel="{rel}"'

        links = []
        if page > 1:
            links.append(link(page - 1, "prev"))
        if page < last:
            links += [link(page + 1, "next"), link(last, "last")]
        if page > 1:
            links.append(link(1, "first"))
        return _Response(200, chunk, {"Link": ", ".join(links)} if links else {})

    # ----------------------------------------------------------------- simple GETs

    def _get_user(self, req: _Request) -> _Response:
        if req.token.startswith("ghs_"):
            raise _error(
                403,
                "Resource not accessible by integration",
                "https://docs.github.com/rest/users/users#get-the-authenticated-user",
            )
        return _Response(200, self._user(req.login))

    def _get_rate_limit(self, req: _Request) -> _Response:
        core = {
            "limit": self.rate_limit,
            "remaining": self.rate_remaining,
            "reset": self.rate_reset,
            "used": self.rate_limit - self.rate_remaining,
        }
        return _Response(200, {"resources": {"core": core}, "rate": core})

    def _app_dispatch(self, req: _Request) -> _Response | None:
        """The App's JWT-authenticated routes; None for every other request."""
        tokens = re.fullmatch(r"/app/installations/(\d+)/access_tokens/?", req.path)
        installation = re.fullmatch(r"/repos/([^/]+/[^/]+)/installation/?", req.path)
        if self.app is None or not (
            (tokens and req.method == "POST") or (installation and req.method == "GET")
        ):
            return None
        app = self.app
        scheme, _, jwt_text = req.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not app.verify(jwt_text.strip()):
            raise _error(
                401,
                "A JSON web token could not be decoded",
                "https://docs.github.com/rest/apps/apps",
            )
        if tokens:
            iid = int(tokens[1])
            if iid not in app.installations:
                raise _error(404, "Not Found", "https://docs.github.com/rest/apps/apps")
            token = f"ghs_app{iid}x{next(self._ids)}"
            self.tokens[token] = "write"
            self.token_users[token] = f"{app.slug}[bot]"
            app.issued.append((iid, token))
            expires = datetime.fromtimestamp(time.time() + app.token_lifetime, UTC)
            return _Response(
                201,
                {
                    "token": token,
                    "expires_at": expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "permissions": {"pull_requests": "write", "contents": "read"},
                    "repository_selection": "selected",
                },
            )
        assert installation is not None
        name = installation[1]
        for iid, repos in app.installations.items():
            if name in repos:
                account = name.split("/")[0]
                tokens_url = f"{self.api_url}/app/installations/{iid}/access_tokens"
                return _Response(
                    200,
                    {
                        "id": iid,
                        "account": self._user(account) | {"type": "Organization"},
                        "app_id": int(app.app_id) if app.app_id.isdigit() else app.app_id,
                        "app_slug": app.slug,
                        "target_type": "Organization",
                        "repository_selection": "selected",
                        "access_tokens_url": tokens_url,
                        "repositories_url": f"{self.api_url}/installation/repositories",
                        "html_url": f"https://github.com/settings/installations/{iid}",
                        "permissions": {"pull_requests": "write", "contents": "read"},
                        "events": ["pull_request"],
                        "created_at": _now(),
                        "updated_at": _now(),
                    },
                )
        raise _error(404, "Not Found", "https://docs.github.com/rest/apps/apps")

    def _get_repo(self, req: _Request, repo: str) -> _Response:
        return _Response(200, self._repo_json(repo))

    def _get_commit(self, req: _Request, repo: str, ref: str) -> _Response:
        for pull in self._pulls.values():
            if pull.repo != repo and pull.head_repo != repo:
                continue
            for commit in pull.commits:
                if ref == commit.sha or (len(ref) >= 7 and commit.sha.startswith(ref)):
                    return _Response(200, self._commit_json(repo, commit, pull))
            if ref in (pull.head_ref, f"refs/heads/{pull.head_ref}"):
                return _Response(200, self._commit_json(repo, pull.commits[-1], pull))
            if ref == pull.base_sha or ref == pull.base_ref:
                base_commit = CommitState(pull.base_sha, "0" * 40, "", [], pull.created_at)
                return _Response(200, self._commit_json(repo, base_commit, pull))
        raise _error(
            422,
            f"No commit found for SHA: {ref}",
            "https://docs.github.com/rest/commits/commits#get-a-commit",
        )

    # GET /compare/{base}...{head}: status from the commits' ancestry (identical, ahead, behind,
    # diverged); files for "ahead" from the pushes' `change` diffs (one push, or from the PR's
    # base); pushes made without `change` compare as "diverged"; an unknown commit answers 404
    # like GitHub.
    def _chain(self, pull: PullState, sha: str) -> list[CommitState]:
        """`sha` and its first-parent ancestors among the PR's commits, newest first."""
        out: list[CommitState] = []
        commit = pull.commit(sha)
        while commit is not None and commit not in out:
            out.append(commit)
            commit = pull.commit(commit.parent)
        return out

    def _compare(self, req: _Request, repo: str, basehead: str) -> _Response:
        doc = "https://docs.github.com/rest/commits/commits#compare-two-commits"
        base, sep, head = basehead.partition("...")
        pull = next(
            (
                p
                for p in self._pulls.values()
                if p.repo == repo and p.commit(head) is not None and not p.deleted
            ),
            None,
        )
        known = pull is not None and (base == pull.base_sha or pull.commit(base) is not None)
        if not sep or pull is None or not known:
            raise _error(404, "Not Found", doc)
        head_chain = self._chain(pull, head)
        base_chain = self._chain(pull, base)
        ahead_shas = [c.sha for c in head_chain]
        behind_shas = [c.sha for c in base_chain]
        if base == head:
            status, ahead, behind = "identical", [], []
        elif base == pull.base_sha or base in ahead_shas:
            status, behind = "ahead", []
            ahead = head_chain if base == pull.base_sha else head_chain[: ahead_shas.index(base)]
        elif head in behind_shas:
            status, ahead, behind = "behind", [], base_chain[: behind_shas.index(head)]
        else:
            shared = [c for c in head_chain if c.sha in behind_shas]
            cut = ahead_shas.index(shared[0].sha) if shared else len(head_chain)
            status, ahead = "diverged", head_chain[:cut]
            behind = base_chain[: behind_shas.index(shared[0].sha)] if shared else base_chain
        files: list[FileDiff]
        top = head_chain[0]
        if status == "ahead" and base == pull.base_sha:
            files = top.files
        elif status == "ahead" and len(ahead) == 1 and top.change is not None:
            files = parse_diff(top.change)
        elif status == "ahead":
            # No `change` given to push(): the fake cannot know the diff, so it answers as for
            # a rewritten history, and a bot falls back to reviewing the whole pull request.
            status, behind = "diverged", [c for c in base_chain if c.sha != pull.base_sha]
            files = top.files
        elif status == "diverged":
            files = top.files  # merge base = the PR's base after a force-push
        else:
            files = []
        api = f"{self.api_url}/repos/{repo}"
        base_commit = pull.commit(base) or CommitState(
            pull.base_sha, "0" * 40, "", [], pull.created_at
        )
        body: Json = {
            "url": f"{api}/compare/{basehead}",
            "html_url": f"https://github.com/{repo}/compare/{basehead}",
            "permalink_url": f"https://github.com/{repo}/compare/{basehead}",
            "diff_url": f"https://github.com/{repo}/compare/{basehead}.diff",
            "patch_url": f"https://github.com/{repo}/compare/{basehead}.patch",
            "base_commit": self._commit_json(repo, base_commit, pull, with_files=False),
            "merge_base_commit": self._commit_json(repo, base_commit, pull, with_files=False),
            "status": status,
            "ahead_by": len(ahead),
            "behind_by": len(behind),
            "total_commits": len(ahead),
            "commits": [
                self._commit_json(repo, c, pull, with_files=False) for c in reversed(ahead)
            ],
            "files": [self._file_json(pull, f, head) for f in files[:300]],
        }
        return _Response(200, body)

    def _list_pulls(self, req: _Request, repo: str) -> _Response:
        pulls = sorted(
            (p for p in self._pulls.values() if p.repo == repo and not p.deleted),
            key=lambda p: -p.number,
        )
        return self._paginate(req, pulls, repo, self._pull_json)

    def _get_pull(self, req: _Request, repo: str, number: str) -> _Response:
        pull = self._find_pull(repo, number)
        accept = req.headers.get("accept", "")
        if re.search(r"application/vnd\.github(?:\.v3)?\.diff", accept):
            return self._raw_diff(pull)
        return _Response(200, self._pull_json(pull))

    def _raw_diff(self, pull: PullState) -> _Response:
        too_large = [{"resource": "PullRequest", "field": "diff", "code": "too_large"}]
        if len(pull.files) > self.max_diff_files:
            raise _error(
                406,
                f"Sorry, the diff exceeded the maximum number of files ({self.max_diff_files}). "
                "Consider using 'List pull requests files' API or locally cloning the "
                "repository instead.",
                DOC_LIST_FILES,
                errors=too_large,
            )
        if pull.diff.count("\n") > self.max_diff_lines:
            raise _error(
                406,
                f"Sorry, the diff exceeded the maximum number of lines ({self.max_diff_lines})",
                DOC_LIST_FILES,
                errors=too_large,
            )
        return _Response(
            200, pull.diff, content_type="application/vnd.github.v3.diff; charset=utf-8"
        )

    def _list_files(self, req: _Request, repo: str, number: str) -> _Response:
        pull = self._find_pull(repo, number)
        files = pull.files[: self.max_listed_files]
        return self._paginate(req, files, repo, lambda f: self._file_json(pull, f, pull.head_sha))

    def _list_pull_commits(self, req: _Request, repo: str, number: str) -> _Response:
        pull = self._find_pull(repo, number)
        return self._paginate(
            req, pull.commits, repo, lambda c: self._commit_json(repo, c, pull, with_files=False)
        )

    def _get_issue(self, req: _Request, repo: str, number: str) -> _Response:
        pull = self._find_pull(repo, number)
        pj = self._pull_json(pull)
        api = f"{self.api_url}/repos/{repo}"
        return _Response(
            200,
            {
                "url": pj["issue_url"],
                "repository_url": api,
                "comments_url": pj["comments_url"],
                "html_url": pj["html_url"],
                "id": pull.id + 1,
                "node_id": _node_id("I_", pull.id),
                "number": pull.number,
                "title": pull.title,
                "user": pj["user"],
                "labels": [],
                "state": "open",
                "locked": False,
                "comments": len(pull.issue_comments),
                "created_at": pull.created_at,
                "updated_at": pj["updated_at"],
                "closed_at": None,
                "body": None,
                "author_association": "CONTRIBUTOR",
                "pull_request": {
                    "url": pj["url"],
                    "html_url": pj["html_url"],
                    "diff_url": pj["diff_url"],
                    "patch_url": pj["patch_url"],
                },
            },
        )

    # ----------------------------------------------------------------- reviews

    def _visible(self, pull: PullState, login: str) -> list[Json]:
        # GitHub shows a pending review only to its author
        return [r for r in pull.reviews if r["state"] != "PENDING" or r["user"]["login"] == login]

    def _review(self, pull: PullState, rid: str, login: str) -> Json:
        for review in self._visible(pull, login):
            if review["id"] == int(rid):
                return review
        raise _error(
            404,
            "Not Found",
            "https://docs.github.com/rest/pulls/reviews#get-a-review-for-a-pull-request",
        )

    def _list_reviews(self, req: _Request, repo: str, number: str) -> _Response:
        pull = self._find_pull(repo, number)
        return self._paginate(req, self._visible(pull, req.login), repo)

    def _get_review(self, req: _Request, repo: str, number: str, rid: str) -> _Response:
        pull = self._find_pull(repo, number)
        return _Response(200, self._review(pull, rid, req.login))

    def _put_review(self, req: _Request, repo: str, number: str, rid: str) -> _Response:
        pull = self._find_pull(repo, number)
        review = self._review(pull, rid, req.login)
        body = req.json.get("body")
        if not isinstance(body, str):
            raise _error(422, 'Invalid request.\n\n"body" wasn\'t supplied.', DOC_CREATE_REVIEW)
        _check_length(body, "PullRequestReview")
        if review["user"]["login"] != req.login:
            raise _error(403, "Resource not accessible by integration", DOC_CREATE_REVIEW)
        review["body"] = body
        return _Response(200, review)

    def _dismiss_review(self, req: _Request, repo: str, number: str, rid: str) -> _Response:
        pull = self._find_pull(repo, number)
        review = self._review(pull, rid, req.login)
        message = req.json.get("message")
        if not isinstance(message, str) or not message.strip():
            raise _error(422, 'Invalid request.\n\n"message" wasn\'t supplied.', DOC_DISMISS)
        if review["state"] not in ("APPROVED", "CHANGES_REQUESTED"):
            state = review["state"].lower().replace("_", " ")
            raise _unprocessable([f"Can not dismiss a {state} pull request review"])
        review["state"] = "DISMISSED"
        return _Response(200, review)

    def _delete_review(self, req: _Request, repo: str, number: str, rid: str) -> _Response:
        pull = self._find_pull(repo, number)
        review = self._review(pull, rid, req.login)
        if review["state"] != "PENDING":
            raise _unprocessable(["Can not delete a non-pending pull request review"])
        pull.reviews.remove(review)
        pull.review_comments[:] = [
            c for c in pull.review_comments if c["pull_request_review_id"] != review["id"]
        ]
        return _Response(200, review)

    def _submit_review(self, req: _Request, repo: str, number: str, rid: str) -> _Response:
        pull = self._find_pull(repo, number)
        review = self._review(pull, rid, req.login)
        event = req.json.get("event")
        if event not in ("APPROVE", "REQUEST_CHANGES", "COMMENT"):
            raise _schema_error("event", event)
        if review["state"] != "PENDING":
            raise _unprocessable(["Can not submit a non-pending pull request review"])
        body = req.json.get("body", review["body"])
        if not isinstance(body, str):
            raise _schema_error("body", body)
        _check_length(body, "PullRequestReview")
        self._check_event(pull, event, body, req.login)
        review.update(body=body, state=_STATES[event], submitted_at=_now())
        return _Response(200, review)

    def _list_review_comments_of(
        self, req: _Request, repo: str, number: str, rid: str
    ) -> _Response:
        pull = self._find_pull(repo, number)
        review = self._review(pull, rid, req.login)
        rows = [c for c in pull.review_comments if c["pull_request_review_id"] == review["id"]]
        return self._paginate(req, rows, repo)

    def _post_review(self, req: _Request, repo: str, number: str) -> _Response:
        pull = self._find_pull(repo, number)
        return _Response(200, self._create_review(pull, req.json, req.login))

    def _check_event(self, pull: PullState, event: str | None, body: str, login: str) -> None:
        if event in ("COMMENT", "REQUEST_CHANGES") and not body.strip():
            raise _unprocessable([MSG_BODY_BLANK])
        if event == "APPROVE" and login == pull.author:
            raise _unprocessable(["Review Can not approve your own pull request"])
        if event == "REQUEST_CHANGES" and login == pull.author:
            raise _unprocessable(["Review Can not request changes on your own pull request"])
        if event == "APPROVE" and login == ACTIONS_BOT and not self.actions_can_approve:
            raise _unprocessable([MSG_ACTIONS_APPROVE])

    def _create_review(self, pull: PullState, payload: Json, login: str) -> Json:
        event = payload.get("event")
        if event is not None and event not in ("APPROVE", "REQUEST_CHANGES", "COMMENT"):
            raise _schema_error("event", event)
        body = payload.get("body")
        if body is not None and not isinstance(body, str):
            raise _schema_error("body", body)
        body = body or ""
        commit_id = payload.get("commit_id", pull.head_sha)
        if not isinstance(commit_id, str):
            raise _schema_error("commit_id", commit_id)
        comments = payload.get("comments", [])
        if not isinstance(comments, list):
            raise _schema_error("comments", comments)
        for item in comments:
            _check_thread_schema(item)
        _check_length(body, "PullRequestReview")
        for item in comments:
            _check_length(item["body"], "PullRequestReviewComment")
        commit = pull.commit(commit_id)
        if commit is None:
            raise _unprocessable([MSG_COMMIT])
        self._check_event(pull, event, body, login)
        if any(r["state"] == "PENDING" and r["user"]["login"] == login for r in pull.reviews):
            raise _unprocessable([MSG_PENDING])
        anchors = [_anchor(commit.files, item, self._patch_of) for item in comments]
        if any(not item["body"].strip() for item in comments):
            anchors.append([MSG_BODY_BLANK])
        problems = list(dict.fromkeys(m for a in anchors if isinstance(a, list) for m in a))
        if problems:
            raise _unprocessable([" and ".join(problems)])

        review = self._new_review(pull, commit, login, body, _STATES[event] if event else "PENDING")
        for item, anchor in zip(comments, anchors, strict=True):
            assert isinstance(anchor, _Anchor)  # every problem was raised above
            self._store_comment(pull, commit, anchor, item["body"], login, review["id"])
        return review

    def _new_review(
        self, pull: PullState, commit: CommitState, login: str, body: str, state: str
    ) -> Json:
        rid = next(self._ids)
        html = f"https://github.com/{pull.repo}/pull/{pull.number}#pullrequestreview-{rid}"
        pr_url = f"{self.api_url}/repos/{pull.repo}/pulls/{pull.number}"
        review: Json = {
            "id": rid,
            "node_id": _node_id("PRR_", rid),
            "user": self._user(login),
            "body": body,
            "state": state,
            "html_url": html,
            "pull_request_url": pr_url,
            "author_association": "CONTRIBUTOR",
            "_links": {"html": {"href": html}, "pull_request": {"href": pr_url}},
            "commit_id": commit.sha,
        }
        if state != "PENDING":
            review["submitted_at"] = _now()
        pull.reviews.append(review)
        return review

    # ----------------------------------------------------------------- review comments

    def _store_comment(
        self,
        pull: PullState,
        commit: CommitState,
        anchor: _Anchor,
        body: str,
        login: str,
        review_id: int,
        in_reply_to: int | None = None,
    ) -> Json:
        base = self.api_url
        cid = next(self._ids)
        now = _now()
        html = f"https://github.com/{pull.repo}/pull/{pull.number}#discussion_r{cid}"
        url = f"{base}/repos/{pull.repo}/pulls/comments/{cid}"
        pr_url = f"{base}/repos/{pull.repo}/pulls/{pull.number}"
        comment: Json = {
            "url": url,
            "pull_request_review_id": review_id,
            "id": cid,
            "node_id": _node_id("PRRC_", cid),
            "diff_hunk": anchor.diff_hunk,
            "path": anchor.path,
            "position": anchor.position,
            "original_position": anchor.position,
            "commit_id": commit.sha,
            "original_commit_id": commit.sha,
            "user": self._user(login),
            "body": body,
            "created_at": now,
            "updated_at": now,
            "html_url": html,
            "pull_request_url": pr_url,
            "author_association": "CONTRIBUTOR",
            "_links": {
                "self": {"href": url},
                "html": {"href": html},
                "pull_request": {"href": pr_url},
            },
            "start_line": anchor.start_line,
            "original_start_line": anchor.start_line,
            "start_side": anchor.start_side,
            "line": anchor.line,
            "original_line": anchor.line,
            "side": anchor.side,
            "subject_type": anchor.subject_type,
        }
        if in_reply_to is not None:
            comment["in_reply_to_id"] = in_reply_to
        pull.review_comments.append(comment)
        if commit.sha != pull.head_sha:
            self._reanchor(pull, comment)
        return comment

    def _reanchor(self, pull: PullState, comment: Json) -> None:
        """Keep a comment on its line if the head's diff still shows that line, unchanged, at the
        same number and side; otherwise it is outdated (line and position null), as on GitHub."""
        if comment["subject_type"] == "file":
            return
        origin = pull.commit(comment["original_commit_id"])
        head = pull.commits[-1]

        def shown(files: list[FileDiff], side: str, number: int) -> tuple[str, int] | None:
            for f in files:
                if f.filename == comment["path"] and self._patch_of(f) is not None:
                    hit = f.find(side, number)
                    if hit:
                        return hit[1].text, hit[1].position
            return None

        ends = [(comment["side"], comment["original_line"])]
        if comment["original_start_line"] is not None:
            ends.append((comment["start_side"], comment["original_start_line"]))
        before = [shown(origin.files, *end) if origin else None for end in ends]
        after = [shown(head.files, *end) for end in ends]
        kept = all(
            b is not None and a is not None and b[0] == a[0]
            for b, a in zip(before, after, strict=True)
        )
        if kept and after[0] is not None:
            comment.update(
                commit_id=head.sha,
                line=comment["original_line"],
                start_line=comment["original_start_line"],
                position=after[0][1],
            )
        else:
            comment.update(line=None, start_line=None, position=None)

    def _visible_comments(self, pull: PullState, login: str) -> list[Json]:
        visible = {r["id"] for r in self._visible(pull, login)}
        return [c for c in pull.review_comments if c["pull_request_review_id"] in visible]

    def _list_review_comments(self, req: _Request, repo: str, number: str) -> _Response:
        pull = self._find_pull(repo, number)
        return self._paginate(req, self._visible_comments(pull, req.login), repo)

    def _post_review_comment(self, req: _Request, repo: str, number: str) -> _Response:
        pull = self._find_pull(repo, number)
        data = req.json
        body = data.get("body")
        if not isinstance(body, str):
            raise _error(422, 'Invalid request.\n\n"body" wasn\'t supplied.', DOC_REVIEW_COMMENT)
        if data.get("in_reply_to") is not None:
            return self._reply(req, pull, data["in_reply_to"], body)
        for name in ("commit_id", "path"):
            if not isinstance(data.get(name), str):
                raise _error(
                    422, f'Invalid request.\n\n"{name}" wasn\'t supplied.', DOC_REVIEW_COMMENT
                )
        _check_thread_schema(data, single=True)
        _check_length(body, "PullRequestReviewComment")
        if not body.strip():
            raise _validation("PullRequestReviewComment", "missing_field", "body", None)
        commit = pull.commit(data["commit_id"])
        if commit is None:
            raise _validation(
                "PullRequestReviewComment",
                "custom",
                "commit_id",
                "commit_id is not part of the pull request",
            )
        if data.get("subject_type") == "file":
            if not any(f.filename == data["path"] for f in commit.files):
                raise _validation(
                    "PullRequestReviewComment",
                    "custom",
                    "pull_request_review_thread.path",
                    "could not be resolved",
                )
            anchor = _Anchor(data["path"], None, None, None, None, None, "", "file")
        else:
            result = _anchor(commit.files, data, self._patch_of)
            if isinstance(result, list):
                field_name = {
                    MSG_PATH: "path",
                    MSG_START_HUNK: "start_line",
                    MSG_START_ORDER: "start_line",
                }.get(result[0], "line")
                raise _validation(
                    "PullRequestReviewComment",
                    "custom",
                    f"pull_request_review_thread.{field_name}",
                    "could not be resolved",
                )
            anchor = result
        # GitHub wraps a lone review comment in a COMMENTED review with an empty body
        review = self._new_review(pull, commit, req.login, "", "COMMENTED")
        comment = self._store_comment(pull, commit, anchor, body, req.login, review["id"])
        return _Response(201, comment)

    def _reply(self, req: _Request, pull: PullState, target: Any, body: str) -> _Response:
        _check_length(body, "PullRequestReviewComment")
        parent = next(
            (c for c in self._visible_comments(pull, req.login) if c["id"] == target), None
        )
        if parent is None:
            raise _error(404, "Not Found", DOC_REVIEW_COMMENT)
        root = parent.get("in_reply_to_id", parent["id"])
        origin = pull.commit(parent["original_commit_id"]) or pull.commits[-1]
        anchor = _Anchor(
            parent["path"],
            parent["original_line"],
            parent["side"],
            parent["original_start_line"],
            parent["start_side"],
            parent["original_position"],
            parent["diff_hunk"],
            parent["subject_type"],
        )
        review = self._new_review(pull, origin, req.login, "", "COMMENTED")
        comment = self._store_comment(pull, origin, anchor, body, req.login, review["id"], root)
        return _Response(201, comment)

    def _post_reply(self, req: _Request, repo: str, number: str, cid: str) -> _Response:
        pull = self._find_pull(repo, number)
        body = req.json.get("body")
        if not isinstance(body, str):
            raise _error(422, 'Invalid request.\n\n"body" wasn\'t supplied.', DOC_REVIEW_COMMENT)
        return self._reply(req, pull, int(cid), body)

    def _find_review_comment(self, repo: str, cid: str, login: str) -> tuple[PullState, Json]:
        for pull in self._pulls.values():
            if pull.repo != repo or pull.deleted:
                continue
            for comment in self._visible_comments(pull, login):
                if comment["id"] == int(cid):
                    return pull, comment
        raise _error(404, "Not Found", DOC_REVIEW_COMMENT)

    def _get_review_comment(self, req: _Request, repo: str, cid: str) -> _Response:
        return _Response(200, self._find_review_comment(repo, cid, req.login)[1])

    def _patch_review_comment(self, req: _Request, repo: str, cid: str) -> _Response:
        _, comment = self._find_review_comment(repo, cid, req.login)
        body = req.json.get("body")
        if not isinstance(body, str):
            raise _error(422, 'Invalid request.\n\n"body" wasn\'t supplied.', DOC_REVIEW_COMMENT)
        _check_length(body, "PullRequestReviewComment")
        comment.update(body=body, updated_at=_now())
        return _Response(200, comment)

    def _delete_review_comment(self, req: _Request, repo: str, cid: str) -> _Response:
        pull, comment = self._find_review_comment(repo, cid, req.login)
        pull.review_comments.remove(comment)
        return _Response(204)

    # ----------------------------------------------------------------- issue comments

    def _new_issue_comment(self, pull: PullState, body: str, login: str) -> Json:
        base = self.api_url
        cid = next(self._ids)
        now = _now()
        comment: Json = {
            "url": f"{base}/repos/{pull.repo}/issues/comments/{cid}",
            "html_url": f"https://github.com/{pull.repo}/pull/{pull.number}#issuecomment-{cid}",
            "issue_url": f"{base}/repos/{pull.repo}/issues/{pull.number}",
            "id": cid,
            "node_id": _node_id("IC_", cid),
            "user": self._user(login),
            "created_at": now,
            "updated_at": now,
            "author_association": "CONTRIBUTOR",
            "body": body,
            "performed_via_github_app": None,
        }
        pull.issue_comments.append(comment)
        return comment

    def _list_issue_comments(self, req: _Request, repo: str, number: str) -> _Response:
        pull = self._find_pull(repo, number)
        return self._paginate(req, pull.issue_comments, repo)

    def _post_issue_comment(self, req: _Request, repo: str, number: str) -> _Response:
        pull = self._find_pull(repo, number)
        body = _issue_body(req.json)
        return _Response(201, self._new_issue_comment(pull, body, req.login))

    def _find_issue_comment(self, repo: str, cid: str) -> tuple[PullState, Json]:
        for pull in self._pulls.values():
            if pull.repo != repo or pull.deleted:
                continue
            for comment in pull.issue_comments:
                if comment["id"] == int(cid):
                    return pull, comment
        raise _error(
            404, "Not Found", "https://docs.github.com/rest/issues/comments#get-an-issue-comment"
        )

    def _get_issue_comment(self, req: _Request, repo: str, cid: str) -> _Response:
        return _Response(200, self._find_issue_comment(repo, cid)[1])

    def _patch_issue_comment(self, req: _Request, repo: str, cid: str) -> _Response:
        _, comment = self._find_issue_comment(repo, cid)
        comment.update(body=_issue_body(req.json), updated_at=_now())
        return _Response(200, comment)

    def _delete_issue_comment(self, req: _Request, repo: str, cid: str) -> _Response:
        pull, comment = self._find_issue_comment(repo, cid)
        pull.issue_comments.remove(comment)
        return _Response(204)


# --------------------------------------------------------------------------- validation

_STATES = {"APPROVE": "APPROVED", "REQUEST_CHANGES": "CHANGES_REQUESTED", "COMMENT": "COMMENTED"}


@dataclass(frozen=True)
class _Anchor:
    path: str
    line: int | None
    side: str | None
    start_line: int | None
    start_side: str | None
    position: int | None
    diff_hunk: str
    subject_type: str = "line"


def _unprocessable(errors: list[str]) -> _Reject:
    return _error(422, "Unprocessable Entity", DOC_CREATE_REVIEW, errors=errors)


def _validation(resource: str, code: str, field_name: str, message: str | None) -> _Reject:
    err: Json = {"resource": resource, "code": code, "field": field_name}
    if message is not None:
        err["message"] = message
    doc = DOC_ISSUE_COMMENT if resource == "IssueComment" else DOC_REVIEW_COMMENT
    return _error(422, "Validation Failed", doc, errors=[err])


def _schema_error(name: str, value: Any) -> _Reject:
    return _error(
        422, f"Invalid request.\n\nFor 'properties/{name}', {json.dumps(value)} is not valid."
    )


def _check_length(body: str, resource: str) -> None:
    if len(body) > BODY_MAX:
        raise _error(
            422,
            "Validation Failed",
            DOC_CREATE_REVIEW,
            errors=[
                {
                    "resource": resource,
                    "code": "custom",
                    "field": "body",
                    "message": f"body is too long (maximum is {BODY_MAX} characters)",
                }
            ],
        )


def _issue_body(data: Json) -> str:
    body = data.get("body")
    if not isinstance(body, str):
        raise _error(422, 'Invalid request.\n\n"body" wasn\'t supplied.', DOC_ISSUE_COMMENT)
    if not body.strip():
        raise _validation("IssueComment", "missing_field", "body", None)
    if len(body) > BODY_MAX:
        raise _validation(
            "IssueComment",
            "unprocessable",
            "data",
            f"Body is too long (maximum is {BODY_MAX} characters)",
        )
    return body


def _check_thread_schema(item: Any, *, single: bool = False) -> None:
    if not isinstance(item, dict):
        raise _schema_error("comments/items", item)
    if not single:
        for name in ("path", "body"):
            if not isinstance(item.get(name), str):
                raise _schema_error(f"comments/items/{name}", item.get(name))
    for name in ("line", "start_line", "position"):
        if item.get(name) is not None and not _is_int(item[name]):
            raise _schema_error(name, item[name])
    for name in ("side", "start_side"):
        if item.get(name) is not None and item[name] not in ("LEFT", "RIGHT"):
            raise _schema_error(name, item[name])
    if item.get("subject_type") not in (None, "line", "file"):
        raise _schema_error("subject_type", item["subject_type"])


def _hunk_text(hunk: Hunk, upto: DiffLine) -> str:
    out = [hunk.header]
    for dl in hunk.lines:
        out.append(("\\" if dl.kind == "\\" else dl.kind) + dl.text)
        if dl is upto:
            break
    return "\n".join(out)


def _anchor(
    files: list[FileDiff], item: Json, patch_of: Callable[[FileDiff], str | None]
) -> _Anchor | list[str]:
    """Where GitHub would put this comment, or the messages it would refuse it with."""
    path: str = item["path"]  # the schema check made sure of it
    entries = [f for f in files if f.filename == path and patch_of(f) is not None]
    if not entries:
        return [MSG_PATH]
    line, start = item.get("line"), item.get("start_line")
    if line is None:
        position = item.get("position")
        if position is None:
            return [MSG_HUNK_BLANK]
        for f in entries:
            hit = f.at_position(position)
            if hit:
                hunk, dl = hit
                side = "LEFT" if dl.kind == "-" else "RIGHT"
                number = dl.old if side == "LEFT" else dl.new
                return _Anchor(path, number, side, None, None, position, _hunk_text(hunk, dl))
        return [MSG_HUNK_BLANK]
    side = item.get("side") or "RIGHT"
    for f in entries:
        end = f.find(side, line)
        if end is None:
            continue
        hunk, dl = end
        if item.get("position") is not None and item["position"] != dl.position:
            return [MSG_LINE]
        if start is None:
            return _Anchor(path, line, side, None, None, dl.position, _hunk_text(hunk, dl))
        start_side = item.get("start_side") or side
        if start_side == side and start >= line:
            return [MSG_START_ORDER]
        begin = f.find(start_side, start)
        if begin is None or begin[0] is not hunk:
            return [MSG_START_HUNK]
        if begin[1].position >= dl.position:
            return [MSG_START_ORDER]
        return _Anchor(path, line, side, start, start_side, dl.position, _hunk_text(hunk, dl))
    return [MSG_LINE]


def _rebase(value: Any, old: str, new: str) -> Any:
    """Copy of a response with its API URLs moved to the base the client used."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if (
                isinstance(item, str)
                and (key == "href" or key == "url" or key.endswith("_url"))
                and item.startswith(old + "/")
            ):
                out[key] = new + item[len(old) :]
            else:
                out[key] = _rebase(item, old, new)
        return out
    if isinstance(value, list):
        return [_rebase(item, old, new) for item in value]
    return value


def _doc_for(path: str) -> str:
    if "/reviews" in path:
        return DOC_CREATE_REVIEW
    if "/pulls/" in path and "/comments" in path:
        return DOC_REVIEW_COMMENT
    if "/issues/" in path:
        return DOC_ISSUE_COMMENT
    return DOCS
