"""`reviewbot-server`: the GitHub App's webhook receiver (Starlette on uvicorn)."""

from __future__ import annotations

import click

from reviewbot.config import ConfigError
from reviewbot.server.settings import app_credentials, load_server_settings, require_webhook_secret
from reviewbot.server.startup import check_redis, fail


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535))
def main(host: str, port: int) -> None:
    """Receive GitHub App webhooks at /webhook and queue a review for each pull request push.

    Settings come from the environment: REVIEWBOT_WEBHOOK_SECRET, REVIEWBOT_APP_ID,
    REVIEWBOT_APP_PRIVATE_KEY (or _FILE), REVIEWBOT_REDIS_URL. Run reviewbot-worker to
    do the reviews.
    """
    try:
        settings = load_server_settings()
        secret = require_webhook_secret(settings)
        app_credentials(settings)
        # Imported once the settings are known to be usable: a bad start fails fast.
        import uvicorn

        from reviewbot.server.jobs import Queue
        from reviewbot.server.webhook import create_app

        queue = Queue(settings)
        check_redis(queue)
    except ConfigError as exc:
        fail("reviewbot-server", str(exc))
    app = create_app(settings, queue, secret)
    uvicorn.run(app, host=host, port=port, access_log=False, log_level="info")
