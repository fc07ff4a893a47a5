"""A two-port user-space Ethernet bridge adding a fixed delay each way and random loss.

This kernel has no netem, so delay and loss are made here: one AF_PACKET socket per side, every
frame read on one side is written to the other after ``--delay-ms`` (order kept), except a
random ``--loss`` fraction of them. ARP is never dropped (a lost ARP would cut the link for
seconds, which a real radio link does not do). The rate is not limited here: kernel ``tbf`` on
both devices does that (a frame written to an AF_PACKET socket goes through the device's qdisc;
a full tbf queue refuses it with ENOBUFS, counted as ``queue_drops``).

It also counts every IPv4 frame seen on its ports and on ``--watch`` devices whose source or
destination is outside the lab's subnet (``foreign``): the proof that nothing left the lab.
Figures go to ``--stats`` (JSON) every second and at exit (SIGTERM)::

    ip netns exec NS python -m tests.weaklink.bridge --a bx1 --b blur --delay-ms 300 \
        --loss 0.05 --subnet 10.78.0.0/16 --watch bsrv,bhst --stats FILE
"""

from __future__ import annotations

import argparse
import errno
import ipaddress
import json
import random
import select
import signal
import socket
import struct
import time
from collections import deque
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import FrameType

ETH_P_ALL = 0x0003
ETH_P_ARP = 0x0806
ETH_P_IP = 0x0800
PACKET_OUTGOING = 4
PACKET_IGNORE_OUTGOING = 23
SOL_PACKET = 263
LINK_LOCAL_MULTICAST = ipaddress.ip_network("224.0.0.0/24")
BROADCAST = ipaddress.ip_address("255.255.255.255")


@dataclass
class Direction:
    received: int = 0
    lost: int = 0
    sent: int = 0
    queue_drops: int = 0
    bytes_sent: int = 0


@dataclass
class Counters:
    a_to_b: Direction = field(default_factory=Direction)
    b_to_a: Direction = field(default_factory=Direction)
    foreign: int = 0
    foreign_examples: list[str] = field(default_factory=list)


def open_port(dev: str) -> socket.socket:
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
    try:  # our own writes would otherwise come back as PACKET_OUTGOING (filtered below too)
        sock.setsockopt(SOL_PACKET, PACKET_IGNORE_OUTGOING, 1)
    except OSError:
        pass
    sock.bind((dev, 0))
    sock.setblocking(False)
    return sock


class Bridge:
    def __init__(
        self, a: str, b: str, delay: float, loss: float, subnet: str, watch: list[str]
    ) -> None:
        self.delay, self.loss = delay, loss
        self.subnet = ipaddress.ip_network(subnet)
        self.ports = {"a": open_port(a), "b": open_port(b)}
        self.watched = [open_port(dev) for dev in watch]
        self.queues: dict[str, deque[tuple[float, bytes]]] = {"a": deque(), "b": deque()}
        self.counters = Counters()
        self.random = random.Random()

    def _direction(self, to: str) -> Direction:
        return self.counters.a_to_b if to == "b" else self.counters.b_to_a

    def _check_foreign(self, frame: bytes) -> None:
        if len(frame) < 34 or struct.unpack_from("!H", frame, 12)[0] != ETH_P_IP:
            return
        for offset in (26, 30):  # IPv4 source, destination
            addr = ipaddress.ip_address(frame[offset : offset + 4])
            if addr in self.subnet or addr == BROADCAST or addr in LINK_LOCAL_MULTICAST:
                continue
            if addr == ipaddress.ip_address("0.0.0.0"):
                continue
            self.counters.foreign += 1
            if len(self.counters.foreign_examples) < 10:
                self.counters.foreign_examples.append(str(addr))

    def _read(self, side: str) -> None:
        sock, to = self.ports[side], "b" if side == "a" else "a"
        direction = self._direction(to)
        while True:
            try:
                frame, addr = sock.recvfrom(65536)
            except BlockingIOError:
                return
            if addr[2] == PACKET_OUTGOING:
                continue
            direction.received += 1
            self._check_foreign(frame)
            is_arp = len(frame) >= 14 and struct.unpack_from("!H", frame, 12)[0] == ETH_P_ARP
            if not is_arp and self.loss > 0 and self.random.random() < self.loss:
                direction.lost += 1
                continue
            self.queues[to].append((time.monotonic() + self.delay, frame))

    def _drain_watched(self, sock: socket.socket) -> None:
        while True:
            try:
                frame, _addr = sock.recvfrom(65536)
            except BlockingIOError:
                return
            self._check_foreign(frame)

    def _send_due(self, now: float) -> None:
        for to, queue in self.queues.items():
            direction = self._direction(to)
            while queue and queue[0][0] <= now:
                _due, frame = queue.popleft()
                try:
                    self.ports[to].send(frame)
                except OSError as exc:  # ENOBUFS: the tbf queue is full (a tail drop)
                    if exc.errno not in (errno.ENOBUFS, errno.EAGAIN):
                        raise
                    direction.queue_drops += 1
                    continue
                direction.sent += 1
                direction.bytes_sent += len(frame)

    def run(self, stats: Path | None, stop: list[bool]) -> None:
        readers = {s.fileno(): name for name, s in self.ports.items()}
        watched = {s.fileno(): s for s in self.watched}
        next_dump = time.monotonic()
        while not stop:
            now = time.monotonic()
            heads = [q[0][0] for q in self.queues.values() if q]
            timeout = max(0.0, min([*heads, next_dump]) - now)
            try:
                ready, _, _ = select.select([*readers, *watched], [], [], timeout)
            except InterruptedError:
                continue
            for fd in ready:
                if fd in readers:
                    self._read(readers[fd])
                else:
                    self._drain_watched(watched[fd])
            now = time.monotonic()
            self._send_due(now)
            if stats is not None and now >= next_dump:
                self.dump(stats)
                next_dump = now + 1.0
        if stats is not None:
            self.dump(stats)

    def dump(self, path: Path) -> None:
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self.counters)))
        tmp.replace(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--a", required=True, help="device of side a")
    parser.add_argument("--b", required=True, help="device of side b")
    parser.add_argument("--delay-ms", type=float, default=0.0, help="added each way")
    parser.add_argument("--loss", type=float, default=0.0, help="random loss each way, 0..1")
    parser.add_argument("--subnet", default="10.78.0.0/16")
    parser.add_argument("--watch", default="", help="further devices to check for foreign IPs")
    parser.add_argument("--stats", type=Path)
    args = parser.parse_args(argv)
    watch = [d for d in args.watch.split(",") if d]
    bridge = Bridge(args.a, args.b, args.delay_ms / 1000, args.loss, args.subnet, watch)
    stop: list[bool] = []

    def on_signal(_sig: int, _frame: FrameType | None) -> None:
        stop.append(True)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    bridge.run(args.stats, stop)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
