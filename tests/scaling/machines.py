"""Machines of a regency's server room, as network namespaces: a database machine (PostgreSQL
and Redis), two node machines (a ``pendopo run`` each) and a client the test talks from.

::

    [db] eth0 10.80.0.1 ─┐
    [a]  eth0 10.80.0.11 ┤
    [b]  eth0 10.80.0.12 ┼── [br] br0 (a Linux bridge in a namespace of its own)
    [c]  eth0 10.80.0.100┘

One L2 segment in 10.80.0.0/16 (the weak-link lab has 10.78.0.0/16, the LAN test 10.77.0.0/16,
the Janus benchmark 10.79.0.0/30) and no route anywhere else: nothing of it is in the machine's
own namespace. Names start with ``pdmc`` plus a unique tag; leaving :func:`machines` ends what
runs in them (by pid) and deletes them, also when building fails half-way.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field

from tests.netns import add_namespace, delete_namespace, foreign_routes, run

SUBNET = "10.80.0.0/16"
PREFIX = "pdmc"
ADDRESSES = {"db": "10.80.0.1", "a": "10.80.0.11", "b": "10.80.0.12", "c": "10.80.0.100"}
"""Each machine's role and its address."""
BRIDGE = "br"


@dataclass
class Machines:
    tag: str = field(default_factory=lambda: f"{PREFIX}{os.getpid() % 10000}{secrets.token_hex(1)}")
    made: list[str] = field(default_factory=list)

    def ns(self, role: str) -> str:
        """The namespace of machine ``role`` (``db``, ``a``, ``b``, ``c``; ``br``: the bridge)."""
        return f"{self.tag}{role}"

    def build(self) -> None:
        bridge = self.ns(BRIDGE)
        for role in (BRIDGE, *ADDRESSES):
            self.made.append(self.ns(role))
            add_namespace(self.ns(role))
        run("ip", "-n", bridge, "link", "add", "br0", "type", "bridge")
        run("ip", "-n", bridge, "link", "set", "br0", "up")
        for role, address in ADDRESSES.items():
            ns, port = self.ns(role), f"p{role}"
            run("ip", "-n", bridge, "link", "add", port, "type", "veth",
                "peer", "name", "eth0", "netns", ns)  # fmt: skip
            run("ip", "-n", bridge, "link", "set", port, "master", "br0", "up")
            run("ip", "-n", ns, "addr", "add", f"{address}/16", "dev", "eth0")
            run("ip", "-n", ns, "link", "set", "eth0", "up")

    def leaks(self) -> list[str]:
        """What could lead out of the segment (empty: nothing): a route of a machine beyond
        the subnet, or a device beyond the segment's own."""
        problems: list[str] = []
        expected = {"lo", "eth0", "br0", *(f"p{role}" for role in ADDRESSES)}
        for ns in self.made:
            problems += foreign_routes(ns, SUBNET)
            devices = {link["ifname"] for link in json.loads(run("ip", "-n", ns, "-j", "link"))}
            if devices - expected:
                problems.append(f"{ns}: unexpected devices {sorted(devices - expected)}")
        return problems

    def close(self) -> None:
        for ns in reversed(self.made):
            delete_namespace(ns)
        self.made.clear()


@contextlib.contextmanager
def machines() -> Iterator[Machines]:
    """The machines, built; removed when the block ends, however it ends."""
    built = Machines()
    try:
        built.build()
        yield built
    finally:
        built.close()
