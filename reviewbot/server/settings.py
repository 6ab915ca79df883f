"""The server's and the workers' own settings, from REVIEWBOT_* environment variables.

The review settings (model, endpoint, language, ...) stay in `reviewbot.config.Settings`.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from reviewbot.config import ConfigError
from reviewbot.redact import register_secret

MAX_BODY_BYTES = 25 * 1024 * 1024  # GitHub caps webhook payloads at 25 MB


class ServerSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="REVIEWBOT_", extra="ignore", env_ignore_empty=True
    )

    webhook_secret: SecretStr | None = None
    app_id: str | None = None
    app_private_key: SecretStr | None = None
    app_private_key_file: Path | None = None
    redis_url: str = "redis://localhost:6379/0"

    review_drafts: bool = False
    review_bots: bool = False
    # Seconds a pull request event waits in the queue, so a burst of pushes becomes one review.
    debounce_seconds: float = Field(default=2.0, ge=0)
    installation_concurrency: int = Field(default=4, ge=1)
    max_attempts: int = Field(default=5, ge=1)
    min_backoff_seconds: float = Field(default=15.0, gt=0)
    max_backoff_seconds: float = Field(default=900.0, gt=0)
    job_time_limit_seconds: float = Field(default=1800.0, gt=0)
    # A worker whose heartbeat is this old is dead: its unacknowledged jobs go back on the queue.
    heartbeat_timeout_seconds: float = Field(default=60.0, gt=0)
    # Per-PR and per-installation locks expire this long after a dead worker's last renewal.
    lock_ttl_seconds: float = Field(default=60.0, gt=0)
    # How many of a million queue commands also requeue dead workers' jobs (Dramatiq: 1000).
    queue_maintenance_chance: int = Field(default=10_000, ge=1, le=1_000_000)
    max_body_bytes: int = Field(default=MAX_BODY_BYTES, ge=1)
    queue_name: str = "reviews"
    key_prefix: str = "reviewbot"


def load_server_settings() -> ServerSettings:
    try:
        settings = ServerSettings()
    except ValidationError as exc:
        problems = "; ".join(
            f"REVIEWBOT_{'_'.join(str(p) for p in err['loc']).upper()}: {err['msg']}"
            for err in exc.errors(include_url=False)
        )
        raise ConfigError(f"invalid server configuration: {problems}") from None
    if settings.webhook_secret is not None:
        register_secret(settings.webhook_secret.get_secret_value())
    return settings


def require_webhook_secret(settings: ServerSettings) -> bytes:
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else ""
    if not secret:
        raise ConfigError(
            "REVIEWBOT_WEBHOOK_SECRET is not set: the server will not accept unsigned deliveries"
        )
    return secret.encode("utf-8")


def app_credentials(settings: ServerSettings) -> tuple[str, str]:
    """The App id and its private key (PEM), or a ConfigError naming what is missing."""
    if not settings.app_id:
        raise ConfigError("REVIEWBOT_APP_ID is not set (the GitHub App's id)")
    key = settings.app_private_key.get_secret_value() if settings.app_private_key else ""
    if not key and settings.app_private_key_file is not None:
        try:
            key = settings.app_private_key_file.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(
                f"cannot read REVIEWBOT_APP_PRIVATE_KEY_FILE {settings.app_private_key_file}: "
                f"{exc.strerror or exc.__class__.__name__}"
            ) from None
    if not key.strip():
        raise ConfigError(
            "no GitHub App private key: set REVIEWBOT_APP_PRIVATE_KEY (PEM text) or "
            "REVIEWBOT_APP_PRIVATE_KEY_FILE"
        )
    if "PRIVATE KEY-----" not in key:
        raise ConfigError("the GitHub App private key is not PEM text (-----BEGIN ... KEY-----)")
    for line in key.strip().splitlines():
        if not line.startswith("-----"):
            register_secret(line.strip())
    return settings.app_id, key
