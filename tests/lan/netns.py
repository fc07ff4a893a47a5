"""A small office LAN of network namespaces: a server and two PCs on one bridge, 10.77.0.0/16;
or (``two_lans``) a server on two LANs, 10.77.1.0/24 and 10.77.2.0/24, with one PC on each and
nothing routed between them.

The bridge lives in a namespace of its own and every link is made inside the namespaces, so the
machine's own network sees nothing: no address, route or interface outside them. Names start
with ``pdlan`` plus a random suffix; :meth:`Lan.close` deletes them all (the veths go with them).
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from dataclasses import dataclass, field

PREFIX = "pdlan"
PC_ADDRESSES = ("10.77.1.1", "10.77.2.1")


def missing_capability() -> str | None:
    """Why namespaces cannot be made here (None: they can)."""
    if os.geteuid() != 0:
        return "needs root to create network namespaces (run the netns tests as root)"
    if shutil.which("ip") is None:
        return "needs the `ip` command (Debian package iproute2)"
    return None


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=20)


@dataclass
class Lan:
    two_lans: bool = False
    suffix: str = field(default_factory=lambda: secrets.token_hex(3))
    made: list[str] = field(default_factory=list)

    @property
    def server_addresses(self) -> tuple[str, ...]:
        return ("10.77.1.254", "10.77.2.254") if self.two_lans else ("10.77.0.1",)

    def server_address_for(self, pc: int) -> str:
        """The server's address PC ``pc`` (0 or 1) reaches it at."""
        return self.server_addresses[pc if self.two_lans else 0]

    def name(self, role: str) -> str:
        return f"{PREFIX}{self.suffix}{role}"

    @property
    def server(self) -> str:
        return self.name("s")

    @property
    def pcs(self) -> tuple[str, str]:
        return self.name("1"), self.name("2")

    def open(self) -> None:
        bridge = self.name("b")
        for ns in (bridge, self.server, *self.pcs):
            ip("netns", "add", ns)
            self.made.append(ns)
            ip("-n", ns, "link", "set", "lo", "up")
        if self.two_lans:  # (namespace, interface, address, bridge)
            links = [
                (self.server, "eth0", f"{self.server_addresses[0]}/24", "br0"),
                (self.server, "eth1", f"{self.server_addresses[1]}/24", "br1"),
                (self.pcs[0], "eth0", f"{PC_ADDRESSES[0]}/24", "br0"),
                (self.pcs[1], "eth0", f"{PC_ADDRESSES[1]}/24", "br1"),
            ]
        else:
            links = [
                (self.server, "eth0", f"{self.server_addresses[0]}/16", "br0"),
                (self.pcs[0], "eth0", f"{PC_ADDRESSES[0]}/16", "br0"),
                (self.pcs[1], "eth0", f"{PC_ADDRESSES[1]}/16", "br0"),
            ]
        for bridge_name in dict.fromkeys(link[3] for link in links):
            ip("-n", bridge, "link", "add", bridge_name, "type", "bridge")
            ip("-n", bridge, "link", "set", bridge_name, "up")
        for n, (ns, interface, address, bridge_name) in enumerate(links):
            port = f"p{n}"
            ip(
                "-n",
                bridge,
                "link",
                "add",
                port,
                "type",
                "veth",
                "peer",
                "name",
                interface,
                "netns",
                ns,
            )
            ip("-n", bridge, "link", "set", port, "master", bridge_name, "up")
            ip("-n", ns, "addr", "add", address, "dev", interface)
            ip("-n", ns, "link", "set", interface, "up")

    def firewall(self, ns: str, tcp_port: int) -> str:
        """What the README asks to open, and nothing else: ``tcp_port`` and UDP in the ephemeral
        range (where ICE binds) in, answers to what ``ns`` sent; returns the UDP range."""
        found = subprocess.run(
            self.exec(ns, "sysctl", "-n", "net.ipv4.ip_local_port_range"),
            check=True,
            capture_output=True,
            text=True,
            timeout=20,
        )
        low, high = found.stdout.split()
        rules = [
            ["-A", "INPUT", "-i", "lo", "-j", "ACCEPT"],
            ["-A", "INPUT", "-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED", "-j", "ACCEPT"],
            ["-A", "INPUT", "-p", "tcp", "--dport", str(tcp_port), "-j", "ACCEPT"],
            ["-A", "INPUT", "-p", "udp", "--dport", f"{low}:{high}", "-j", "ACCEPT"],
            ["-P", "INPUT", "DROP"],
        ]
        for rule in rules:
            subprocess.run(self.exec(ns, "iptables", *rule), check=True, capture_output=True)
        return f"{low}-{high}"

    def exec(self, ns: str, *argv: str) -> list[str]:
        """``argv`` run inside ``ns``."""
        return ["ip", "netns", "exec", ns, *argv]

    def close(self) -> None:
        for ns in reversed(self.made):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=20)
        self.made.clear()
