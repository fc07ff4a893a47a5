"""Turn a network device's offloads off with the ethtool ioctl (no ethtool binary needed).

A veth hands checksum-less (CHECKSUM_PARTIAL) and oversized (GSO) frames to its peer; a
user-space bridge that reads them from an AF_PACKET socket and writes them out again would forward
bad checksums and frames above the MTU. Run inside the device's namespace::

    ip netns exec NS python -m tests.weaklink.offload DEV [DEV ...]
"""

from __future__ import annotations

import ctypes
import fcntl
import socket
import struct
import sys

SIOCETHTOOL = 0x8946
# ethtool's legacy "set one feature" commands (linux/ethtool.h), and their "get" twins (set - 1).
SETTERS = {
    "tx-checksum": 0x17,
    "rx-checksum": 0x15,
    "scatter-gather": 0x19,
    "tso": 0x1F,
    "gso": 0x24,
    "gro": 0x2C,
}


def _ethtool(sock: socket.socket, dev: str, cmd: int, value: int) -> int:
    data = ctypes.create_string_buffer(struct.pack("II", cmd, value))
    ifreq = struct.pack("16sP", dev.encode(), ctypes.addressof(data)).ljust(40, b"\0")
    fcntl.ioctl(sock.fileno(), SIOCETHTOOL, ifreq)
    return int(struct.unpack_from("II", data.raw)[1])


def offloads_off(dev: str) -> dict[str, int]:
    """Switch every offload in SETTERS off on ``dev``; returns each one's state afterwards."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for cmd in SETTERS.values():
            _ethtool(sock, dev, cmd, 0)
        return {name: _ethtool(sock, dev, cmd - 1, 0) for name, cmd in SETTERS.items()}


def main(devices: list[str]) -> int:
    for dev in devices:
        left_on = {name for name, on in offloads_off(dev).items() if on}
        if left_on:
            print(f"{dev}: still on: {', '.join(sorted(left_on))}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
