"""``pendopo run --workers 2``: two server processes on one machine behind one address.

One real supervisor with its two workers and a private Redis. Each test checks what an IT
officer or a participant sees: one address answers, the first start runs once, a session lives
on one worker and a socket that lands on the other is sent to it, a killed worker comes back
on its own port while its session carries on on the other worker, and stopping the supervisor
stops everything.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest

from signaling.client import ProtocolClient, ProtocolError
from tests.conftest import ADMIN_PASSWORD, ADMIN_USER, REPO, free_port
from tests.scaling.nodes import Node, cookie_header, signed_in
from tests.scaling.redis_server import redis_url
from tests.signaling.meeting import wait

__all__ = ["redis_url"]

BOUND = 30.0


def free_block(count: int) -> int:
    """A port with ``count`` free ports after it (the workers' own ports)."""
    for _ in range(200):
        port = free_port()
        if port + count > 32000:
            continue
        try:
            for offset in range(1, count + 1):
                with socket.socket() as probe:
                    probe.bind(("127.0.0.1", port + offset))
        except OSError:
            continue
        return port
    raise RuntimeError("no block of free ports")


@dataclass
class Workers:
    proc: subprocess.Popen[bytes]
    log: Path
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def own(self, index: int) -> str:
        """Worker ``index``'s own URL (1-based, as the log names them)."""
        return f"http://127.0.0.1:{self.port + index}"

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def pid(self, index: int) -> int:
        """The process id of worker ``index``'s latest start, from the supervisor's log."""
        found = re.findall(rf"worker {index} started \(pid (\d+)\)", self.text())
        assert found, self.text()
        return int(found[-1])

    async def answering(self, url: str, within: float = 60.0) -> None:
        await Node(url, url, self.proc, self.log).wait_ready(within)


def start(redis: str, tmp_path: Path, port: int, *extra: str) -> Workers:
    log = tmp_path / "workers.log"
    args = [sys.executable, "-m", "pendopo", "run", "--host", "127.0.0.1", "--port", str(port)]
    args += ["--data-dir", str(tmp_path / "data"), "--redis-url", redis, "--workers", "2"]
    args += ["--probe-enabled", "false", "--log-level", "INFO", *extra]
    env = {**os.environ, "PENDOPO_ADMIN_USER": ADMIN_USER, "PENDOPO_ADMIN_PASSWORD": ADMIN_PASSWORD}
    with log.open("wb") as out:
        proc = subprocess.Popen(args, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    return Workers(proc, log, port)


def stop(workers: Workers) -> int:
    if workers.proc.poll() is None:
        workers.proc.send_signal(signal.SIGTERM)
        try:
            workers.proc.wait(40)
        except subprocess.TimeoutExpired:
            workers.proc.kill()
            workers.proc.wait()
    return workers.proc.returncode


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    # A child of the supervisor it has not reaped yet is a zombie: ended all the same.
    stat = Path(f"/proc/{pid}/stat")
    return not stat.exists() or stat.read_text().split(")")[-1].split()[0] == "Z"


@pytest.fixture
async def workers(redis_url: str, tmp_path: Path) -> AsyncIterator[Workers]:
    running = start(redis_url, tmp_path, free_block(2))
    try:
        for url in (running.url, running.own(1), running.own(2)):
            await running.answering(url)
        yield running
    finally:
        stop(running)


async def test_one_address_and_one_first_start(workers: Workers) -> None:
    log = workers.text()
    assert log.count("created admin account") == 1, log
    assert log.count("first start: seeded") == 1, log
    assert f"Pendopo serving on {workers.url}" in log, log
    assert workers.own(1) in log and workers.own(2) in log, log
    assert workers.pid(1) != workers.pid(2)
    # Each worker signs in against the one database.
    for url in (workers.url, workers.own(1), workers.own(2)):
        http = await signed_in(url)
        await http.close()


async def test_a_session_lives_on_one_worker_and_sockets_are_sent_there(workers: Workers) -> None:
    http = await signed_in(workers.own(1))
    try:
        async with http.post("/api/rooms", json={"title": "Rapat camat"}) as resp:
            assert resp.status == 201, await resp.text()
            room = (await resp.json())["room"]["id"]
        async with aiohttp.ClientSession() as plain:
            async with plain.get(f"{workers.own(2)}/api/rooms/{room}") as resp:
                assert (await resp.json())["node"] == workers.own(1)
            async with plain.get(f"{workers.own(1)}/api/rooms/{room}") as resp:
                assert "node" not in await resp.json()
        elsewhere = ProtocolClient(workers.own(2), name="Pak Lurah")
        await elsewhere.connect()
        try:
            with pytest.raises(ProtocolError) as refused:
                await elsewhere.join(room, "Pak Lurah")
            assert refused.value.code == "wrong_node"
        finally:
            await elsewhere.disconnect()
        # Through the shared address the kernel picks a worker: whichever it is, the join ends
        # on worker 1 (at once, or after wrong_node, as the browser follows it).
        for attempt in range(4):
            client = ProtocolClient(workers.url, name=f"Bu Lurah {attempt}")
            await client.connect()
            try:
                await client.join(room, f"Bu Lurah {attempt}")
            except ProtocolError as exc:
                assert exc.code == "wrong_node"
            finally:
                await client.disconnect()
    finally:
        await http.close()


async def test_a_killed_worker_comes_back_and_its_session_moves(workers: Workers) -> None:
    http = await signed_in(workers.own(1))
    host: ProtocolClient | None = None
    try:
        async with http.post("/api/rooms", json={"title": "Rapat darurat"}) as resp:
            room = (await resp.json())["room"]["id"]
        host = ProtocolClient(
            workers.own(1), cookie=cookie_header(http, workers.own(1)), name="Bupati", failover=True
        )
        await host.connect()
        ack = await host.join(room, "Bupati")
        assert workers.own(2) in ack["nodes"], ack

        first = workers.pid(1)
        os.kill(first, signal.SIGKILL)
        # The host's client moves to worker 2 by itself, and worker 2 serves the session.
        await wait(lambda: bool(host.failovers), BOUND, "the host moved to worker 2")
        assert host.url == workers.own(2)
        me = host.participant("Bupati")
        assert me is not None and me["role"] == "host", host.state
        # The supervisor starts worker 1 again on its own port.
        await wait(lambda: workers.text().count("worker 1 started") == 2, BOUND, "worker 1 again")
        await workers.answering(workers.own(1))
        assert workers.pid(1) != first and workers.proc.poll() is None
        assert "worker 1 (pid" in workers.text() and "signal SIGKILL" in workers.text()
        async with aiohttp.ClientSession() as plain:
            async with plain.get(f"{workers.own(1)}/api/rooms/{room}") as resp:
                assert (await resp.json())["node"] == workers.own(2)
    finally:
        if host is not None:
            await host.disconnect()
        await http.close()


async def test_stopping_the_supervisor_stops_every_worker(workers: Workers) -> None:
    pids = [workers.pid(1), workers.pid(2)]
    assert stop(workers) == 0, workers.text()
    assert all(gone(pid) for pid in pids), workers.text()


async def test_a_killed_supervisor_takes_its_workers_with_it(workers: Workers) -> None:
    pids = [workers.pid(1), workers.pid(2)]
    workers.proc.kill()
    workers.proc.wait()
    await wait(lambda: all(gone(pid) for pid in pids), BOUND, "the workers ended")
