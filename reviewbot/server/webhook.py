"""The webhook receiver: verify, de-duplicate, enqueue, answer. Never reviews in the request."""

from __future__ import annotations

import json
import time
from typing import Any

import redis
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from reviewbot.server.jobs import DELIVERY_TTL, Queue, ReviewJob
from reviewbot.server.leases import Leases
from reviewbot.server.logs import log
from reviewbot.server.metrics import CONTENT_TYPE, Metrics
from reviewbot.server.settings import ServerSettings
from reviewbot.server.signature import verify

REVIEW_ACTIONS = frozenset({"opened", "synchronize", "reopened", "ready_for_review"})
INSTALLATION_EVENTS = frozenset({"installation", "installation_repositories"})


class TooLarge(Exception):
    pass


async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise TooLarge
    body = bytearray()
    async for piece in request.stream():
        body += piece
        if len(body) > limit:
            raise TooLarge
    return bytes(body)


class Webhooks:
    def __init__(self, settings: ServerSettings, queue: Queue, secret: bytes) -> None:
        self.settings = settings
        self.queue = queue
        self.secret = secret
        self.metrics = Metrics(queue, Leases(queue.client, settings.key_prefix, 1.0))

    def answer(
        self, event: str, outcome: str, status: int, delivery: str | None, **body: Any
    ) -> Response:
        self.metrics.deliveries.labels(event or "unknown", outcome).inc()
        log(
            "webhook",
            github_event=event,
            outcome=outcome,
            status=status,
            delivery=delivery,
            **{k: v for k, v in body.items() if k in ("repo", "pr", "job", "reason")},
        )
        if status == 204:
            return Response(status_code=204)
        return JSONResponse({"outcome": outcome, **body}, status_code=status)

    async def webhook(self, request: Request) -> Response:
        event = request.headers.get("x-github-event", "")
        delivery = request.headers.get("x-github-delivery")
        try:
            body = await read_body(request, self.settings.max_body_bytes)
        except TooLarge:
            return self.answer(event, "too-large", 413, delivery)
        if not verify(self.secret, body, request.headers.get("x-hub-signature-256")):
            return self.answer(event, "bad-signature", 401, delivery)
        if not event or not delivery:
            return self.answer(
                event,
                "bad-request",
                400,
                delivery,
                reason="X-GitHub-Event and X-GitHub-Delivery are required",
            )
        try:
            payload = json.loads(body)
        except ValueError:
            return self.answer(event, "bad-json", 400, delivery, reason="body is not JSON")
        if not isinstance(payload, dict):
            return self.answer(event, "bad-json", 400, delivery, reason="body is not an object")
        try:
            return await run_in_threadpool(self.handle, event, delivery, payload)
        except redis.RedisError as exc:
            log("redis.error", error=f"{exc.__class__.__name__}: {exc}", delivery=delivery)
            return self.answer(event, "queue-unavailable", 503, delivery)

    def handle(self, event: str, delivery: str, payload: dict[str, Any]) -> Response:
        if event == "ping":
            return self.answer(event, "pong", 200, delivery, zen=payload.get("zen"))
        if event == "pull_request" and payload.get("action") == "closed":
            return self.closed(delivery, payload)
        relevant = event in INSTALLATION_EVENTS or (
            event == "pull_request" and payload.get("action") in REVIEW_ACTIONS
        )
        if not relevant:
            return self.answer(event, "ignored", 204, delivery)
        key = self.queue.keys.delivery(delivery)
        if not self.queue.client.set(key, "1", nx=True, ex=DELIVERY_TTL):
            return self.answer(event, "duplicate", 200, delivery)
        try:
            if event in INSTALLATION_EVENTS:
                return self.installation(event, delivery, payload)
            return self.pull_request(delivery, payload)
        except Exception:
            self.queue.client.delete(key)  # not taken: GitHub's redelivery must get through
            raise

    def installation(self, event: str, delivery: str, payload: dict[str, Any]) -> Response:
        inst = payload.get("installation") or {}
        if not isinstance(inst.get("id"), int):
            return self.answer(event, "bad-payload", 400, delivery, reason="no installation.id")
        action = str(payload.get("action", ""))
        if event == "installation" and action == "deleted":
            self.queue.client.hdel(self.queue.keys.installations, str(inst["id"]))
        else:
            account = (inst.get("account") or {}).get("login")
            record = json.dumps({"account": account, "action": action, "at": int(time.time())})
            self.queue.client.hset(self.queue.keys.installations, str(inst["id"]), record)
        return self.answer(event, f"installation-{action or 'event'}", 200, delivery)

    def closed(self, delivery: str, payload: dict[str, Any]) -> Response:
        """A closed pull request is not worth reviewing: its queued job will find it so."""
        try:
            repo = str(payload["repository"]["full_name"])
            number = int(payload["pull_request"]["number"])
        except (KeyError, TypeError, ValueError):
            return self.answer("pull_request", "ignored", 204, delivery)
        self.queue.client.set(self.queue.keys.head(repo, number), "closed", ex=DELIVERY_TTL)
        return self.answer("pull_request", "closed", 204, delivery, repo=repo, pr=number)

    def pull_request(self, delivery: str, payload: dict[str, Any]) -> Response:
        event = "pull_request"
        try:
            pull = payload["pull_request"]
            repo = str(payload["repository"]["full_name"])
            number = int(pull["number"])
            head_sha = str(pull["head"]["sha"])
            base_ref = str(pull["base"]["ref"])
        except (KeyError, TypeError, ValueError):
            return self.answer(event, "bad-payload", 400, delivery, reason="not a pull request")
        where = {"repo": repo, "pr": number}
        if pull.get("draft") and not self.settings.review_drafts:
            return self.answer(event, "skipped-draft", 200, delivery, **where)
        author = pull.get("user") or {}
        if author.get("type") == "Bot" and not self.settings.review_bots:
            return self.answer(event, "skipped-bot", 200, delivery, **where)
        installation = (payload.get("installation") or {}).get("id")
        job = ReviewJob(
            delivery=delivery,
            repo=repo,
            number=number,
            head_sha=head_sha,
            base_ref=base_ref,
            installation_id=installation if isinstance(installation, int) else None,
        )
        job_id = self.queue.enqueue(job, delay_seconds=self.settings.debounce_seconds)
        return self.answer(event, "queued", 202, delivery, job=job_id, **where)

    async def healthz(self, request: Request) -> Response:
        try:
            await run_in_threadpool(self.queue.ping)
        except redis.RedisError:
            return JSONResponse({"status": "redis unreachable"}, status_code=503)
        return JSONResponse({"status": "ok"})

    async def metrics_page(self, request: Request) -> Response:
        try:
            data = await run_in_threadpool(self.metrics.render)
        except redis.RedisError:
            return Response("redis unreachable\n", status_code=503, media_type="text/plain")
        return Response(data, media_type=CONTENT_TYPE)


def create_app(settings: ServerSettings, queue: Queue, secret: bytes) -> Starlette:
    hooks = Webhooks(settings, queue, secret)
    return Starlette(
        routes=[
            Route("/webhook", hooks.webhook, methods=["POST"]),
            Route("/healthz", hooks.healthz, methods=["GET"]),
            Route("/metrics", hooks.metrics_page, methods=["GET"]),
        ]
    )
