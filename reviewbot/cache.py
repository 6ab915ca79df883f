"""A content-addressed cache of validated model answers, one small JSON file an entry.

Keyed by everything that shapes an answer (model, base URL, templates, settings, chunk text),
so an unchanged chunk — the common case when a commit is retried — costs no request.
Writes are atomic (temp file + rename), so concurrent runs never see half an entry; corrupt
entries read as misses; the total size is bounded by evicting the least recently used.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import platformdirs

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
_VERSION = "1"


def default_cache_dir() -> Path:
    override = os.environ.get("REVIEWBOT_CACHE_DIR")
    if override:
        return Path(override)
    return Path(platformdirs.user_cache_dir("reviewbot", appauthor=False))


def cache_key(parts: dict[str, Any]) -> str:
    blob = json.dumps({"v": _VERSION, **parts}, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class ReviewCache:
    def __init__(self, directory: Path | None = None, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.directory = (directory or default_cache_dir()) / "answers"
        self.max_bytes = max_bytes

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        path = self._path(key)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict):
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # recency for eviction
        return data

    def put(self, key: str, value: dict[str, Any]) -> None:
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(value, out, ensure_ascii=False)
            os.replace(tmp, path)
        except OSError:
            return  # a cache that cannot be written is only a slower run
        self._evict()

    def _evict(self) -> None:
        try:
            entries = [(p.stat(), p) for p in self.directory.glob("*/*.json")]
        except OSError:
            return
        total = sum(st.st_size for st, _ in entries)
        if total <= self.max_bytes:
            return
        for st, path in sorted(entries, key=lambda e: e[0].st_mtime):
            try:
                path.unlink()
            except OSError:
                continue
            total -= st.st_size
            if total <= self.max_bytes * 0.8:
                break

    def clear(self) -> int:
        removed = 0
        for path in self.directory.glob("*/*.json"):
            try:
                path.unlink()
                removed += 1
            except OSError:
                pass
        return removed
