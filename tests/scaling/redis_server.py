"""A private redis-server for tests: loopback, a free port, no persistence, stopped afterwards.

Never the machine's own Redis (6379). ``redis_server(workdir, host, netns)`` runs one inside a
network namespace the test made, listening on that namespace's address
(tests/scaling/machines.py); the test process asks whether it is up through its Unix socket,
which reaches it whatever namespace it listens in. Tests skip with a reason when the binary is
missing (``make test`` installs Debian's redis-server).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import free_port

REDIS_SERVER = shutil.which("redis-server")


def require_redis_server() -> str:
    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed (make system-deps installs it)")
    return REDIS_SERVER


def _answers(path: Path) -> bool:
    try:
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(0.5)
            s.connect(str(path))
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@contextmanager
def redis_server(workdir: Path, host: str = "127.0.0.1", netns: str | None = None) -> Iterator[str]:
    """Start redis-server on ``host`` (inside namespace ``netns`` when given); yield its URL
    (``redis://<host>:<port>/0``); stop it."""
    binary = require_redis_server()
    port = free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    unix = workdir / "redis.sock"
    # Outside loopback, protected mode would refuse the nodes: only the namespaces of the test
    # can reach that address.
    protected = "yes" if host == "127.0.0.1" else "no"
    args = [binary, "--port", str(port), "--bind", host, "--save", "", "--appendonly", "no"]
    args += ["--dir", str(workdir), "--protected-mode", protected, "--loglevel", "warning"]
    args += ["--unixsocket", str(unix), "--unixsocketperm", "700"]
    if netns is not None:
        args = ["ip", "netns", "exec", netns, *args]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 20
        while not _answers(unix):
            if proc.poll() is not None or time.monotonic() > deadline:
                err = proc.stderr.read().decode() if proc.stderr and proc.poll() is not None else ""
                raise RuntimeError(f"redis-server did not start on port {port}: {err}")
            time.sleep(0.05)
        yield f"redis://{host}:{port}/0"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One private redis-server per test module (tests keep apart by key prefix)."""
    with redis_server(Path(tmp_path_factory.mktemp("redis"))) as url:
        yield url
