"""Keep secrets out of everything we print, log, post or cache."""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping

_lock = threading.Lock()
_secrets: set[str] = set()


def register_secret(value: str | None) -> None:
    """Remember a secret (API key, token) so `redact` removes it wherever it shows up."""
    if value and len(value) >= 6:
        with _lock:
            _secrets.add(value)


def redact(text: str) -> str:
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, "***")
    return text


# Environment variables whose values are credentials, whoever reads them.
_SECRET_SUFFIXES = ("_API_KEY", "_TOKEN", "_SECRET", "_PASSWORD")
_SECRET_NAMES = ("GITHUB_TOKEN", "GH_TOKEN", "OPENAI_API_KEY", "REVIEWBOT_API_KEY")


def register_env_secrets(environ: Mapping[str, str] | None = None) -> None:
    """Remember the credentials in the environment (GITHUB_TOKEN, *_API_KEY, *_TOKEN, ...).

    A token the run never uses can still come back: committed in the reviewed code and quoted
    by the model. Short values (under 12 characters) are left alone: they are not credentials
    and masking them would garble ordinary text.
    """
    env = os.environ if environ is None else environ
    for name, value in env.items():
        upper = name.upper()
        if upper in _SECRET_NAMES or upper.endswith(_SECRET_SUFFIXES):
            value = value.strip()
            if len(value) >= 12:
                register_secret(value)
