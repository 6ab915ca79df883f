"""`reviewbot-worker`: run queued reviews; `--failed` lists the dead-letter queue."""

from __future__ import annotations

import signal
import sys
import threading
from types import FrameType
from typing import TYPE_CHECKING

import click

from reviewbot.config import ConfigError
from reviewbot.server.logs import log, setup_logging
from reviewbot.server.reposettings import repo_settings
from reviewbot.server.settings import app_credentials, load_server_settings
from reviewbot.server.startup import api_url, check_redis, fail

if TYPE_CHECKING:
    from reviewbot.server.jobs import Queue

STOP_TIMEOUT_MS = 600_000


def list_failed(queue: Queue, as_json: bool) -> None:
    dead = queue.dead_letters()
    for entry in dead:
        click.echo(entry.as_json() if as_json else entry.line())
    if not as_json:
        click.echo(f"{len(dead)} job(s) in the dead-letter queue", err=True)


def run_worker(queue: Queue, threads: int) -> None:
    from dramatiq import Worker

    setup_logging()
    worker = Worker(queue.broker, worker_threads=threads, worker_timeout=1000)
    # Claim no more jobs than there are threads: a killed worker then strands few, and jobs
    # stay in Redis for other workers rather than in this one's memory.
    worker.queue_prefetch = threads
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    worker.start()
    log("worker.ready", threads=threads, queue=queue.settings.queue_name)
    stop.wait()
    log("worker.stopping")
    worker.stop(timeout=STOP_TIMEOUT_MS)
    log("worker.stopped")


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--threads",
    default=2,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Reviews this process runs at once.",
)
@click.option("--failed", is_flag=True, help="List the dead-letter queue and exit.")
@click.option("--json", "as_json", is_flag=True, help="With --failed: one JSON object a line.")
def main(threads: int, failed: bool, as_json: bool) -> None:
    """Run queued reviews (start as many workers, on as many machines, as Redis can reach).

    Needs REVIEWBOT_APP_ID, REVIEWBOT_APP_PRIVATE_KEY (or _FILE), REVIEWBOT_REDIS_URL and the
    model settings (OPENAI_API_KEY, REVIEWBOT_MODEL, ... as for reviewbot itself).
    """
    try:
        settings = load_server_settings()
        if not failed:
            app_id, key = app_credentials(settings)
            review_defaults, _ = repo_settings(None, "REVIEWBOT_* environment")
        # Imported once the settings are known to be usable: a bad start fails fast.
        from reviewbot.server.jobs import Queue

        queue = Queue(settings)
        if failed:
            check_redis(queue)
            list_failed(queue, as_json)
            return
        from reviewbot.app import resolve_endpoint
        from reviewbot.server.appauth import InstallationTokens
        from reviewbot.server.review import JobRunner

        resolve_endpoint(review_defaults)  # a missing model key is a start-up error
        queue.bind(JobRunner(queue, InstallationTokens(app_id, key, api_url()), api_url()))
        check_redis(queue)
    except ConfigError as exc:
        fail("reviewbot-worker", str(exc))
    run_worker(queue, threads)
    sys.exit(0)
