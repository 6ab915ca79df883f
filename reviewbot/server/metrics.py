"""/metrics in Prometheus text format: this server's deliveries, and the whole queue's jobs,
reviews, tokens and cost as the workers recorded them in Redis."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from reviewbot.pricing import CURRENCIES
from reviewbot.server.jobs import Queue
from reviewbot.server.leases import Leases

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# Counters the workers keep in Redis: stats field -> (metric, help).
WORKER_COUNTERS = {
    "jobs_queued": ("reviewbot_jobs_queued", "Review jobs enqueued by the webhook server"),
    "jobs_started": ("reviewbot_jobs_started", "Review jobs a worker started reviewing"),
    "jobs_deferred": (
        "reviewbot_jobs_deferred",
        "Jobs put back because their pull request or installation was busy",
    ),
    "jobs_superseded": (
        "reviewbot_jobs_superseded",
        "Jobs dropped because a newer push to the same pull request was queued",
    ),
    "jobs_already_reviewed": (
        "reviewbot_jobs_already_reviewed",
        "Jobs dropped because that head commit was already reviewed",
    ),
    "job_attempts_failed": ("reviewbot_job_attempts_failed", "Job attempts that raised an error"),
    "reviews_posted": ("reviewbot_reviews_posted", "Reviews posted on pull requests"),
}


class QueueCollector(Collector):
    def __init__(self, queue: Queue, leases: Leases) -> None:
        self.queue = queue
        self.leases = leases

    def collect(self) -> Iterator[Metric]:
        depth = self.queue.depth()
        stats = self.queue.stats()
        waiting = GaugeMetricFamily(
            "reviewbot_jobs_waiting", "Jobs in the queue, by state", labels=["state"]
        )
        waiting.add_metric(["ready"], depth["ready"])
        waiting.add_metric(["delayed"], depth["delayed"])
        yield waiting
        yield GaugeMetricFamily(
            "reviewbot_jobs_running", "Reviews running now", value=self.leases.running()
        )
        yield GaugeMetricFamily(
            "reviewbot_jobs_failed",
            "Jobs in the dead-letter queue (reviewbot-worker --failed)",
            value=depth["dead"],
        )
        for field, (name, doc) in WORKER_COUNTERS.items():
            yield CounterMetricFamily(name, doc, value=stats.get(field, 0.0))
        tokens = CounterMetricFamily("reviewbot_tokens", "Model tokens used", labels=["kind"])
        tokens.add_metric(["prompt"], stats.get("tokens_prompt", 0.0))
        tokens.add_metric(["completion"], stats.get("tokens_completion", 0.0))
        yield tokens
        cost = CounterMetricFamily(
            "reviewbot_cost",
            "Estimated model cost, by the currency of the price (when priced)",
            labels=["currency"],
        )
        for currency in CURRENCIES:
            cost.add_metric([currency], stats.get(f"cost_{currency}", 0.0))
        yield cost


class Metrics:
    def __init__(self, queue: Queue, leases: Leases) -> None:
        self.registry = CollectorRegistry()
        self.deliveries = Counter(
            "reviewbot_webhook_deliveries",
            "Webhook deliveries, by event and outcome",
            ["event", "outcome"],
            registry=self.registry,
        )
        self.registry.register(QueueCollector(queue, leases))

    def render(self) -> bytes:
        return generate_latest(self.registry)
