"""A GitHub App world for the server tests and bench/server.py: a real redis-server, the fake
GitHub with App endpoints, the fake model, and reviewbot-server / reviewbot-worker run as real
subprocesses. Nothing here imports `reviewbot`."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from fake_github import FakeGitHub
from fake_openai import FakeOpenAI
from keys import TEST_KEY

BIN = Path(sys.executable).parent
SERVER = shutil.which("reviewbot-server", path=str(BIN))
WORKER = shutil.which("reviewbot-worker", path=str(BIN))
REDIS_SERVER = shutil.which("redis-server")
SECRET = "whsec-test-0123456789abcdef"
APP_ID = "424242"
READER = "ghs_payload_reader"  # the test's own token, to build payloads from the fake's JSON
BOT = "reviewbot[bot]"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RedisServer:
    """redis-server on 127.0.0.1, a free port, no persistence; stopped on exit."""

    def __init__(self) -> None:
        if REDIS_SERVER is None:
            raise RuntimeError("redis-server is not installed")
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="reviewbot-redis-")
        self.proc = subprocess.Popen(
            [
                REDIS_SERVER,
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self.dir,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.command("PING") == "+PONG":
                return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("redis-server did not start")

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def command(self, *args: str) -> str:
        """One RESP command over a socket; the first line of the reply."""
        payload = f"*{len(args)}\r\n" + "".join(f"${len(a)}\r\n{a}\r\n" for a in args)
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=2) as sock:
                sock.sendall(payload.encode())
                return sock.recv(65536).decode().split("\r\n", 1)[0]
        except OSError:
            return ""

    def flush(self, db: int) -> None:
        with socket.create_connection(("127.0.0.1", self.port), timeout=2) as sock:
            sock.sendall(f"SELECT {db}\r\nFLUSHDB\r\n".encode())
            replies = b""
            while replies.count(b"\r\n") < 2:
                replies += sock.recv(1024)
        if replies != b"+OK\r\n+OK\r\n":
            raise RuntimeError(f"redis FLUSHDB failed: {replies!r}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def rsa_key_pair() -> tuple[str, str]:
    """A fresh App private key (PKCS#1 PEM, as GitHub hands them out) and its public key."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


def change(version: str, path: str = "app.py") -> str:
    """A small, well-formed `git diff`; `version` makes each one different."""
    return (
        f"diff --git a/{path} b/{path}\n"
        "index 1111111..2222222 100644\n"
        f"--- a/{path}\n"
        f"+++ b/{path}\n"
        "@@ -1,2 +1,3 @@\n"
        " def add(a, b):\n"
        "-    return a + b\n"
        f"+    total = a + b  # {version}\n"
        "+    return total\n"
    )


def sign(body: bytes, secret: str = SECRET) -> str:
    import hashlib
    import hmac

    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass
class Answer:
    status: int
    body: dict[str, Any]
    seconds: float


def post(
    url: str,
    body: bytes,
    headers: dict[str, str],
    timeout: float = 30,
) -> Answer:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, data = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, data = exc.code, exc.read()
    elapsed = time.monotonic() - started
    try:
        parsed = json.loads(data) if data else {}
    except ValueError:
        parsed = {"raw": data.decode(errors="replace")}
    return Answer(status, parsed, elapsed)


def get(url: str, timeout: float = 10) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


@dataclass
class World:
    """The fake GitHub (with the App), the fake model, Redis, and the processes under test."""

    redis: RedisServer
    github: FakeGitHub
    model: FakeOpenAI
    private_key: str
    installations: dict[int, list[str]]
    tmp: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    server_url: str = ""
    db: int = 0

    def env(self, **overrides: str) -> dict[str, str]:
        base = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("REVIEWBOT_", "OPENAI_", "GITHUB_", "INPUT_"))
            and not k.endswith("_API_KEY")
        }
        base.update(
            REVIEWBOT_WEBHOOK_SECRET=SECRET,
            REVIEWBOT_APP_ID=APP_ID,
            REVIEWBOT_APP_PRIVATE_KEY=self.private_key,
            REVIEWBOT_REDIS_URL=self.redis.url(self.db),
            GITHUB_API_URL=self.github.api_url,
            OPENAI_API_KEY=TEST_KEY,
            OPENAI_BASE_URL=self.model.base_url,
            REVIEWBOT_MODEL="test-model",
            REVIEWBOT_GITHUB_WRITE_INTERVAL="0",
            REVIEWBOT_CACHE="false",
            REVIEWBOT_DEBOUNCE_SECONDS="0.3",
            REVIEWBOT_HEARTBEAT_TIMEOUT_SECONDS="2",
            REVIEWBOT_LOCK_TTL_SECONDS="2",
            REVIEWBOT_QUEUE_MAINTENANCE_CHANCE="1000000",
            REVIEWBOT_MIN_BACKOFF_SECONDS="0.2",
            REVIEWBOT_MAX_BACKOFF_SECONDS="1",
            REVIEWBOT_MAX_ATTEMPTS="3",
        )
        base.update(self.extra_env)
        base.update(overrides)
        return base

    def _log(self, name: str) -> BinaryIO:
        return open(self.tmp / f"{name}.log", "ab")

    def start_server(self, **env: str) -> str:
        assert SERVER is not None, "reviewbot-server is not installed"
        port = free_port()
        with self._log("server") as out:
            proc = subprocess.Popen(
                [SERVER, "--port", str(port)],
                env=self.env(**env),
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.procs.append(proc)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"reviewbot-server exited {proc.returncode}: {self.logs()}")
            try:
                if get(url + "/healthz", timeout=1)[0] == 200:
                    self.server_url = url
                    return url
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError("reviewbot-server did not come up")

    def start_worker(self, threads: int = 2, **env: str) -> subprocess.Popen[bytes]:
        assert WORKER is not None, "reviewbot-worker is not installed"
        index = len(self.procs)
        with self._log(f"worker{index}") as out:
            proc = subprocess.Popen(
                [WORKER, "--threads", str(threads)],
                env=self.env(**env),
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.procs.append(proc)
        return proc

    def logs(self) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-4000:]}"
            for p in sorted(self.tmp.glob("*.log"))
        )

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.procs.clear()

    # ------------------------------------------------------------ pull requests and deliveries

    def payload(
        self, repo: str, number: int, action: str = "opened", **pull_overrides: Any
    ) -> dict[str, Any]:
        def fetch(path: str) -> Any:
            request = urllib.request.Request(
                self.github.api_url + path, headers={"Authorization": f"token {READER}"}
            )
            with urllib.request.urlopen(request, timeout=10) as response:
                return json.load(response)

        pull = fetch(f"/repos/{repo}/pulls/{number}") | pull_overrides
        installation = next(i for i, repos in self.installations.items() if repo in repos)
        return {
            "action": action,
            "number": number,
            "pull_request": pull,
            "repository": pull["base"]["repo"],
            "sender": pull["user"],
            "installation": {"id": installation, "node_id": f"MDIz{installation}"},
        }

    def deliver(
        self,
        event: str,
        payload: dict[str, Any],
        *,
        delivery: str | None = None,
        secret: str = SECRET,
    ) -> Answer:
        body = json.dumps(payload).encode()
        return post(
            self.server_url + "/webhook",
            body,
            {
                "Content-Type": "application/json",
                "X-GitHub-Event": event,
                "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
                "X-Hub-Signature-256": sign(body, secret),
                "User-Agent": "GitHub-Hookshot/test",
            },
        )

    def bot_reviews(self, repo: str, number: int) -> list[dict[str, Any]]:
        return [r for r in self.github.pull(repo, number).reviews if r["user"]["login"] == BOT]


def wait_until(check: Callable[[], bool], timeout: float, what: str, world: World) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}\n{world.logs()}")


@contextmanager
def app_world(
    redis: RedisServer,
    tmp: Path,
    installations: dict[int, list[str]],
    *,
    model: FakeOpenAI | None = None,
    db: int = 0,
) -> Iterator[World]:
    """The fake GitHub knows the App (its public key) and `installations`; Redis db `db` is
    emptied first."""
    private, public = rsa_key_pair()
    redis.flush(db)
    github = FakeGitHub(tokens={READER: "read"})
    own_model = model is None
    model = model or FakeOpenAI(api_key=TEST_KEY)
    with github:
        if own_model:
            model.start()
        github.enable_app(APP_ID, public, installations)
        world = World(redis, github, model, private, installations, tmp, db=db)
        try:
            yield world
        finally:
            world.stop()
            if own_model:
                model.stop()
