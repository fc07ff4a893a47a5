"""UDP helpers run inside the lab's namespaces to check the link itself (tests/weaklink).

python -m tests.weaklink.probe echo PORT                 # answer every datagram
python -m tests.weaklink.probe ping ADDR PORT COUNT      # JSON: round trips, lost
python -m tests.weaklink.probe sink PORT SECONDS         # JSON: bytes received
python -m tests.weaklink.probe blast ADDR PORT KBIT SECONDS
"""

from __future__ import annotations

import json
import socket
import sys
import time


def echo(port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("0.0.0.0", port))
        while True:
            data, addr = sock.recvfrom(2048)
            sock.sendto(data, addr)


def ping(addr: str, port: int, count: int) -> dict[str, object]:
    """``count`` numbered datagrams 20 ms apart; answers collected until 3 s after the last."""
    sent: dict[int, float] = {}
    rtts: list[float] = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(0.02)
        end = None
        i = 0
        while end is None or time.monotonic() < end:
            if i < count:
                sent[i] = time.monotonic()
                sock.sendto(i.to_bytes(4, "big") + bytes(100), (addr, port))
                i += 1
                if i == count:
                    end = time.monotonic() + 3
            try:
                data, _ = sock.recvfrom(2048)
            except TimeoutError:
                continue
            rtts.append(time.monotonic() - sent[int.from_bytes(data[:4], "big")])
    return {"rtts": rtts, "lost": count - len(rtts)}


def sink(port: int, seconds: float) -> dict[str, object]:
    total = 0
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("0.0.0.0", port))
        sock.settimeout(0.2)
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            try:
                total += len(sock.recv(2048))
            except TimeoutError:
                continue
    return {"bytes": total}


def blast(addr: str, port: int, kbit: int, seconds: float) -> None:
    """1000-byte datagrams at ``kbit`` kbit/s."""
    gap = 1000 * 8 / (kbit * 1000)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        start = time.monotonic()
        n = 0
        while time.monotonic() - start < seconds:
            try:
                sock.sendto(bytes(1000), (addr, port))
            except ConnectionRefusedError:  # the sink was not listening yet
                pass
            n += 1
            time.sleep(max(0.0, start + n * gap - time.monotonic()))


def main(argv: list[str]) -> int:
    op, *rest = argv
    if op == "echo":
        echo(int(rest[0]))
    elif op == "ping":
        print(json.dumps(ping(rest[0], int(rest[1]), int(rest[2]))))
    elif op == "sink":
        print(json.dumps(sink(int(rest[0]), float(rest[1]))))
    elif op == "blast":
        blast(rest[0], int(rest[1]), int(rest[2]), float(rest[3]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
