"""reviewbot-server as a real process: signatures, de-duplication, routing, health, metrics,
start-up errors. No workers run here, so every accepted job stays in Redis to be counted."""

from __future__ import annotations

import json
import socket
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from server_harness import (
    SECRET,
    SERVER,
    WORKER,
    RedisServer,
    World,
    app_world,
    change,
    get,
    post,
    sign,
)

REPO = "acme/api"
DB = 1


@pytest.fixture(scope="module")
def world(redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with app_world(redis_server, tmp_path_factory.mktemp("webhook"), {11: [REPO]}, db=DB) as w:
        w.github.add_pull(REPO, 1, change("v1"))
        w.start_server()
        yield w


def queued(world: World) -> int:
    """Jobs waiting in the queue (delayed by the debounce, or ready)."""
    client = redis.Redis.from_url(world.redis.url(DB))
    return int(client.hlen("dramatiq:reviews.DQ.msgs")) + int(client.llen("dramatiq:reviews"))


def raw(world: World, body: bytes, headers: dict[str, str]) -> int:
    return post(world.server_url + "/webhook", body, headers).status


def oversized_status(world: World, size: int) -> int:
    """Announce a body of `size` bytes, send the first KiB, and read the answer: the server
    must refuse on the announced length, without waiting for 25 MB."""
    port = int(world.server_url.rsplit(":", 1)[1])
    head = (
        "POST /webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"X-GitHub-Event: pull_request\r\nX-GitHub-Delivery: {uuid.uuid4()}\r\n"
        f"X-Hub-Signature-256: sha256={'0' * 64}\r\nContent-Length: {size}\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head.encode() + b"{" + b" " * 1023)
        reply = sock.recv(4096).decode()
    return int(reply.split()[1])


def test_signature_replay_size_and_json(world: World) -> None:
    before = queued(world)
    body = json.dumps(world.payload(REPO, 1)).encode()
    delivery = str(uuid.uuid4())
    base = {"X-GitHub-Event": "pull_request", "X-GitHub-Delivery": delivery}

    assert raw(world, body, base | {"X-Hub-Signature-256": sign(body, "wrong-secret")}) == 401
    assert raw(world, body, base) == 401  # no signature header
    tampered = body.replace(b'"opened"', b'"reopened"')
    assert raw(world, tampered, base | {"X-Hub-Signature-256": sign(body)}) == 401
    assert raw(world, body, base | {"X-Hub-Signature-256": "sha1=" + "0" * 40}) == 401
    assert queued(world) == before, "a badly signed delivery was enqueued"

    good = post(world.server_url + "/webhook", body, base | {"X-Hub-Signature-256": sign(body)})
    assert good.status == 202, good.body
    assert good.body["outcome"] == "queued" and good.body["job"]
    assert good.seconds < 1.0
    assert queued(world) == before + 1

    replay = post(world.server_url + "/webhook", body, base | {"X-Hub-Signature-256": sign(body)})
    assert (replay.status, replay.body["outcome"]) == (200, "duplicate")

    assert oversized_status(world, 25 * 1024 * 1024 + 1) == 413
    other = {"X-GitHub-Event": "pull_request", "X-GitHub-Delivery": str(uuid.uuid4())}

    broken = b'{"action": "opened", '
    assert raw(world, broken, other | {"X-Hub-Signature-256": sign(broken)}) == 400
    not_object = b"[1, 2]"
    assert raw(world, not_object, other | {"X-Hub-Signature-256": sign(not_object)}) == 400
    no_delivery = {"X-GitHub-Event": "pull_request", "X-Hub-Signature-256": sign(body)}
    assert raw(world, body, no_delivery) == 400
    assert queued(world) == before + 1, "a rejected delivery was enqueued"


def test_ping_ignored_events_drafts_and_bots(world: World) -> None:
    before = queued(world)
    ping = world.deliver("ping", {"zen": "Keep it logically awesome.", "hook_id": 1})
    assert (ping.status, ping.body["outcome"]) == (200, "pong")
    assert world.deliver("issues", {"action": "opened"}).status == 204
    assert world.deliver("push", {"ref": "refs/heads/main"}).status == 204
    closed = world.payload(REPO, 1, action="closed")
    assert world.deliver("pull_request", closed).status == 204
    client = redis.Redis.from_url(world.redis.url(DB))
    assert client.get(f"reviewbot:head:{REPO}#1") == b"closed"  # a queued job will skip it

    draft = world.deliver("pull_request", world.payload(REPO, 1, draft=True))
    assert (draft.status, draft.body["outcome"]) == (200, "skipped-draft")
    bot_user = {"login": "dependabot[bot]", "id": 49699333, "type": "Bot"}
    bot = world.deliver("pull_request", world.payload(REPO, 1, user=bot_user))
    assert (bot.status, bot.body["outcome"]) == (200, "skipped-bot")
    no_pull = world.deliver("pull_request", {"action": "opened", "pull_request": {"number": 1}})
    assert no_pull.status == 400
    assert queued(world) == before

    ready = world.deliver("pull_request", world.payload(REPO, 1, action="ready_for_review"))
    assert ready.status == 202
    assert queued(world) == before + 1


def test_installation_events_are_recorded(world: World) -> None:
    client = redis.Redis.from_url(world.redis.url(DB))
    created = {"action": "created", "installation": {"id": 77, "account": {"login": "acme"}}}
    answer = world.deliver("installation", created)
    assert (answer.status, answer.body["outcome"]) == (200, "installation-created")
    assert json.loads(client.hget("reviewbot:installations", "77") or b"{}")["account"] == "acme"
    world.deliver("installation", {"action": "deleted", "installation": {"id": 77}})
    assert client.hget("reviewbot:installations", "77") is None


def test_healthz_and_metrics(world: World) -> None:
    assert get(world.server_url + "/healthz") == (200, '{"status":"ok"}')
    world.deliver("pull_request", world.payload(REPO, 1, action="synchronize"))
    status, text = get(world.server_url + "/metrics")
    assert status == 200
    lines = text.splitlines()
    assert 'reviewbot_webhook_deliveries_total{event="pull_request",outcome="queued"}' in "\n".join(
        lines
    )
    waiting = next(
        line for line in lines if line.startswith('reviewbot_jobs_waiting{state="delayed"}')
    )
    assert float(waiting.split()[-1]) == queued(world)
    assert any(line.startswith("reviewbot_jobs_failed ") for line in lines)
    assert any(line.startswith("reviewbot_reviews_posted_total ") for line in lines)
    assert SECRET not in text


def test_missing_secret_or_key_is_one_line_at_startup(world: World, tmp_path: Path) -> None:
    assert SERVER is not None and WORKER is not None
    cases = [
        (SERVER, {"REVIEWBOT_WEBHOOK_SECRET": ""}, "REVIEWBOT_WEBHOOK_SECRET is not set"),
        (SERVER, {"REVIEWBOT_APP_PRIVATE_KEY": ""}, "no GitHub App private key"),
        (SERVER, {"REVIEWBOT_APP_ID": ""}, "REVIEWBOT_APP_ID is not set"),
        (
            WORKER,
            {
                "REVIEWBOT_APP_PRIVATE_KEY": "",
                "REVIEWBOT_APP_PRIVATE_KEY_FILE": str(tmp_path / "missing.pem"),
            },
            "cannot read REVIEWBOT_APP_PRIVATE_KEY_FILE",
        ),
        (WORKER, {"REVIEWBOT_APP_PRIVATE_KEY": "not a key"}, "is not PEM text"),
        (WORKER, {"OPENAI_API_KEY": ""}, "no API key"),
        (
            SERVER,
            {"REVIEWBOT_REDIS_URL": f"redis://127.0.0.1:{world.redis.port + 1}/0"},
            "cannot reach Redis",
        ),
    ]
    runs = [
        subprocess.Popen(
            [command],
            env={k: v for k, v in world.env(**overrides).items() if v != ""},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for command, overrides, _ in cases
    ]
    for run, (command, overrides, expected) in zip(runs, cases, strict=True):
        _, stderr = run.communicate(timeout=60)
        lines = stderr.strip().splitlines()
        assert run.returncode == 2, (command, overrides, stderr)
        assert len(lines) == 1 and expected in lines[0], (overrides, stderr)
        assert "Traceback" not in stderr
        assert world.private_key.splitlines()[1] not in stderr
