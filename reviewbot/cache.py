"""A content-addressed cache of validated model answers, one small JSON file an entry.

Keyed by everything that shapes an answer (model, base URL, templates, settings, chunk text),
so an unchanged chunk — the common case when a commit is retried — costs no request.
Writes are atomic (temp file + rename), so concurrent runs never see half an entry; corrupt
entries read as misses and are overwritten by the next answer; the total size is bounded by
evicting the least recently used. An entry that would hold a known secret (an API key the
model echoed back) is never written.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import platformdirs

from reviewbot.answer import ModelAnswer
from reviewbot.redact import redact
from reviewbot.requestargs import Sampling

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
_VERSION = "1"
_TMP_PREFIX = ".tmp-"
_TMP_SUFFIX = ".part"  # never matches the "*.json" of entries, so readers and eviction skip it
_STALE_TMP_SECONDS = 3600.0  # a temp file this old belongs to a writer that died


def default_cache_dir() -> Path:
    override = os.environ.get("REVIEWBOT_CACHE_DIR", "").strip()
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
        # Bytes on disk as this instance last saw them plus what it wrote since: the directory
        # is scanned on the first write and whenever the bound seems crossed, not every write.
        self._total: int | None = None
        self._lock = threading.Lock()

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        """The entry, or None when missing or unreadable (truncated, garbage, not an object)."""
        path = self._path(key)
        try:
            data = json.loads(path.read_bytes().decode("utf-8"))
        except (OSError, ValueError, RecursionError):
            return None
        if not isinstance(data, dict):
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # recency for eviction
        return data

    def put(self, key: str, value: dict[str, Any]) -> None:
        """Store an entry atomically; a cache that cannot be written is only a slower run."""
        try:
            text = json.dumps(value, ensure_ascii=False)
        except (TypeError, ValueError):
            return
        if redact(text) != text:
            return  # the answer quotes a secret: keep it off the disk
        path = self._path(key)
        tmp: str | None = None
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=_TMP_PREFIX, suffix=_TMP_SUFFIX)
            data = text.encode("utf-8")
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(tmp, path)
            tmp = None
        except OSError:
            return
        finally:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
        with self._lock:
            if self._total is None:
                self._total = self.size()
            else:
                self._total += len(data)  # an overwrite counts twice: only an earlier rescan
            if self._total > self.max_bytes:
                self._total = self._evict()

    def _entries(self) -> list[tuple[float, int, Path]]:
        """(mtime, size, path) of every entry; entries removed meanwhile are left out."""
        found = []
        try:
            paths = list(self.directory.glob("*/*.json"))
        except OSError:
            return []
        for path in paths:
            try:
                st = path.stat()
            except OSError:
                continue  # evicted or replaced by another run
            found.append((st.st_mtime, st.st_size, path))
        return found

    def _evict(self) -> int:
        """Remove the least recently used entries down to 80% of the bound; the bytes left."""
        entries = self._entries()
        total = sum(size for _, size, _ in entries)
        if total > self.max_bytes:
            for _, size, path in sorted(entries, key=lambda e: e[0]):
                with contextlib.suppress(OSError):
                    path.unlink()
                total -= size
                if total <= self.max_bytes * 0.8:
                    break
            self._remove_stale_temp_files()
        return total

    def _remove_stale_temp_files(self) -> None:
        cutoff = time.time() - _STALE_TMP_SECONDS
        with contextlib.suppress(OSError):
            for tmp in self.directory.glob(f"*/{_TMP_PREFIX}*{_TMP_SUFFIX}"):
                with contextlib.suppress(OSError):
                    if tmp.stat().st_mtime < cutoff:
                        tmp.unlink()

    def size(self) -> int:
        """Bytes held by entries now."""
        return sum(size for _, size, _ in self._entries())

    def clear(self) -> int:
        """Remove every entry; the number removed."""
        removed = 0
        with self._lock:
            self._total = None
        for _, _, path in self._entries():
            try:
                path.unlink()
                removed += 1
            except OSError:
                pass
        return removed


class AnswerCache:
    """Validated answers of one run's configuration, looked up by the request's messages.

    `salt` is everything besides the messages that shapes an answer (model, base URL,
    templates, sampling); answers without a score are not kept, nor any a secret would reach.
    """

    def __init__(self, store: ReviewCache, salt: dict[str, object]) -> None:
        self.store = store
        self.salt = salt

    @classmethod
    def for_config(
        cls,
        store: ReviewCache,
        *,
        model: str,
        base_url: str | None,
        templates: str,
        sampling: Sampling,
    ) -> AnswerCache:
        s = sampling
        salt: dict[str, object] = {
            "model": model,
            "base_url": base_url,
            "templates": templates,
            "sampling": [s.temperature, s.top_p, s.max_answer_tokens, s.seed],
        }
        return cls(store, salt)

    def key(self, messages: list[dict[str, str]]) -> str:
        return cache_key({**self.salt, "messages": messages})

    def get(self, messages: list[dict[str, str]]) -> ModelAnswer | None:
        hit = self.store.get(self.key(messages))
        if hit is None:
            return None
        try:
            return ModelAnswer.model_validate(hit)
        except ValueError:
            return None

    def put(self, messages: list[dict[str, str]], answer: ModelAnswer) -> None:
        if answer.score:
            self.store.put(self.key(messages), answer.model_dump(mode="json"))
