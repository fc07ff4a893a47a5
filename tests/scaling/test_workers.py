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

from media.testing import ClientPeer
from signaling.client import MediaSession, ProtocolClient, ProtocolError
from tests.conftest import ADMIN_PASSWORD, ADMIN_USER, REPO, free_port
from tests.scaling.nodes import Node, cookie_header, signed_in
from tests.scaling.redis_server import redis_url
from tests.signaling.meeting import FPS, wait

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
    args += ["--probe-enabled", "false", "--log-level", "INFO,media.cascade=DEBUG", *extra]
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
        # each worker's cascade has linked to the other's SFU (a session placed before that
        # stays on its own worker)
        for sock in ("worker-1.sock", "worker-2.sock"):
            await wait(
                lambda s=sock: f"linked to the worker at {tmp_path}/data/run/{s}" in running.text(),
                BOUND,
                f"linked to {sock}",
            )
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


def serving_pid(peer: ClientPeer) -> int:
    """The process whose UDP socket the peer's media goes to (the server's host candidate)."""
    remote = peer.pc.remoteDescription
    assert remote is not None
    ports = {
        int(m) for m in re.findall(r"a=candidate:\S+ \d+ udp \d+ 127\.0\.0\.1 (\d+)", remote.sdp)
    }
    assert ports, remote.sdp
    listing = subprocess.run(["ss", "-Hunap"], capture_output=True, text=True, check=True).stdout
    for line in listing.splitlines():
        local = line.split()[3] if len(line.split()) > 3 else ""
        if local.rsplit(":", 1)[-1].isdigit() and int(local.rsplit(":", 1)[-1]) in ports:
            found = re.search(r"pid=(\d+)", line)
            if found:
                return int(found.group(1))
    raise AssertionError(f"no process holds UDP ports {ports}:\n{listing}")


@dataclass
class Seat:
    client: ProtocolClient
    peer: ClientPeer
    media: MediaSession

    @property
    def id(self) -> str:
        assert self.client.participant_id is not None
        return self.client.participant_id

    def fresh_peer(self) -> ClientPeer:
        """What a page does when its connection is gone: a new one, publishing again."""
        self.peer = ClientPeer(self.client.name, keep_times=False)
        self.peer.publish(audio=True, video=True, width=160, height=120, fps=FPS)
        return self.peer


async def spread_session(url: str, http: aiohttp.ClientSession) -> list[Seat]:
    """The Bupati and two lurah in a session of worker ``url``, publishing and admitted."""
    async with http.post("/api/rooms", json={"title": "Rapat koordinasi"}) as resp:
        room = (await resp.json())["room"]["id"]
    seats: list[Seat] = []
    for name, host in (("Bupati", True), ("Pak Lurah", False), ("Bu Lurah", False)):
        cookie = cookie_header(http, url) if host else None
        client = ProtocolClient(url, cookie=cookie, name=name)
        await client.connect()
        await client.join(room, name)
        seat = Seat(client, ClientPeer(name), None)  # type: ignore[arg-type]
        seat.media = MediaSession(client, seat.fresh_peer(), seat.fresh_peer)
        seats.append(seat)
    host = seats[0].client
    for seat in seats[1:]:
        await host.wait_until(
            lambda s=seat: any(p["id"] == s.id for p in host.lobby()), what=f"{seat.id} waits"
        )
        await host.admit(seat.id)
    for seat in seats:
        await seat.media.start()
    return seats


async def everyone_sees_everyone(seats: list[Seat]) -> None:
    for seat in seats:
        for other in seats:
            if other is not seat:
                await seat.peer.wait_frames(other.id, "video", 5, BOUND)
                await seat.peer.wait_frames(other.id, "audio", 10, BOUND)


async def close_seats(seats: list[Seat]) -> None:
    for seat in seats:
        await seat.peer.close()
        await seat.client.disconnect()


async def test_one_session_spreads_over_both_workers(workers: Workers) -> None:
    """The room is worker 1's (every socket is there); the media connections are placed on
    both workers' SFUs, and everyone sees everyone: the packets of a publisher connected to
    one worker reach the subscribers on the other through the relay."""
    http = await signed_in(workers.own(1))
    seats: list[Seat] = []
    try:
        seats = await spread_session(workers.own(1), http)
        await everyone_sees_everyone(seats)
        pids = {serving_pid(seat.peer) for seat in seats}
        assert pids == {workers.pid(1), workers.pid(2)}, (pids, workers.text())
    finally:
        await close_seats(seats)
        await http.close()


async def test_a_dead_worker_costs_its_participants_one_reconnection(workers: Workers) -> None:
    """Worker 2 holds some of the session's media connections and is killed: the room's
    worker tells those pages to connect again (``media:restart``), places them on a live
    worker with their subscriptions, and everyone sees everyone again."""
    http = await signed_in(workers.own(1))
    seats: list[Seat] = []
    try:
        seats = await spread_session(workers.own(1), http)
        await everyone_sees_everyone(seats)
        second = workers.pid(2)
        moved = [seat for seat in seats if serving_pid(seat.peer) == second]
        assert moved, workers.text()
        before = {id(seat.peer) for seat in moved}
        os.kill(second, signal.SIGKILL)
        await wait(
            lambda: all(id(seat.peer) not in before for seat in moved), BOUND, "new connections"
        )
        await everyone_sees_everyone(seats)
        assert all(not seat.media.errors for seat in seats), [s.media.errors for s in seats]
    finally:
        await close_seats(seats)
        await http.close()
