"""Files of one commit through the contents API: the base's rules, the head's new text.

No checkout needed. A missing file, a directory, or a file the API sends without content (over
1 MB) reads as None; so does any other API error, which only costs the caller a check.
"""

from __future__ import annotations

import logging

from github import GithubException
from github.Repository import Repository

from reviewbot.rules import MAX_RULES_BYTES, Reader
from reviewbot.sources import decode

log = logging.getLogger(__name__)


def contents_reader(repo: Repository, ref: str, max_bytes: int = MAX_RULES_BYTES) -> Reader:
    """`path -> text` of the files in commit `ref` of `repo`."""

    def read(path: str) -> str | None:
        try:
            found = repo.get_contents(path, ref=ref)
        except GithubException as exc:
            if exc.status != 404:
                log.warning("could not read %s at %s: HTTP %s", path, ref[:12], exc.status)
            return None
        except OSError:  # requests' connection errors, after PyGithub's retries
            log.warning("could not read %s at %s: connection failed", path, ref[:12])
            return None
        if isinstance(found, list) or found.type != "file":
            return None
        try:
            data = found.decoded_content
        except (AssertionError, ValueError, TypeError):  # "none" encoding: too large for the API
            return None
        return decode(data[:max_bytes])

    return read
