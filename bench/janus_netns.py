"""A network namespace of the benchmark's own for Janus, joined to the machine by one veth pair.

Janus's ICE (libnice) gathers no candidate on a loopback interface, so Janus cannot be run on
127.0.0.1 like Pendopo; it runs in this namespace instead and gathers on the namespace's end of
the veth pair. The other end stays in the root namespace, where the benchmark's client processes
gather on its address and the benchmark reaches Janus's HTTP API::

    root namespace                              namespace pdjn<pid><hex>
    <namespace>r  10.79.0.2/30  <-- veth -->  jn0  10.79.0.1/30  (+ lo): Janus

Only that /30 is routed over the pair (the kernel's connected route; no default route, no
forwarding, IPv6 off on both ends), and the namespace has no other interface: Janus cannot
reach anything else, and the clients reach Janus only over the pair. Apart from the weak-link
lab's (``tests/weaklink/lab.py``: ``pdwl*``, 10.78.0.0/16) and the LAN tests' (``pdlan*``,
10.77.0.0/16). :meth:`JanusNet.close` ends what still runs in the namespace (by pid) and
deletes it, which deletes the pair; it also runs at exit.
"""

from __future__ import annotations

import atexit
import ipaddress
import json
import os
import secrets
import shutil
import subprocess
from types import TracebackType

from tests.netns import end_processes_in

PREFIX = "pdjn"
SUBNET = ipaddress.ip_network("10.79.0.0/30")
JANUS_ADDR, CLIENT_ADDR = "10.79.0.1", "10.79.0.2"
INSIDE = "jn0"  # the pair's end in the namespace


class NetUnavailable(Exception):
    """The namespace cannot be made here."""


def unavailable_reason() -> str | None:
    """Why the namespace cannot be made on this machine, or None when it can."""
    if os.geteuid() != 0:
        return "Janus's network namespace needs root (ip netns add, veth pairs)"
    if shutil.which("ip") is None:
        return "Janus's network namespace needs iproute2 (ip is missing)"
    return None


def ip(*args: str) -> str:
    out = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=20, check=False)
    if out.returncode != 0:
        raise subprocess.CalledProcessError(out.returncode, ["ip", *args], out.stdout, out.stderr)
    return out.stdout


def subnet_taken() -> str | None:
    """A route of the root namespace that overlaps SUBNET (another such namespace left over, or
    the machine's own network), or None."""
    for route in json.loads(ip("-j", "route", "show", "table", "all")):
        dst = route.get("dst", "default")
        if dst == "default" or ":" in dst:
            continue
        if ipaddress.ip_network(dst, strict=False).overlaps(SUBNET):
            return f"{dst} dev {route.get('dev')}"
    return None


class JanusNet:
    def __init__(self) -> None:
        self.name = f"{PREFIX}{os.getpid() % 10000}{secrets.token_hex(1)}"
        self.outside = f"{self.name}r"  # the pair's end in the root namespace (<= 15 chars)
        self._made = False

    def exec_prefix(self) -> list[str]:
        """Prepended to a command to run it in the namespace (``ip netns exec`` execs it: the
        pid is the command's own)."""
        return ["ip", "netns", "exec", self.name]

    def __enter__(self) -> JanusNet:
        reason = unavailable_reason()
        if reason is not None:
            raise NetUnavailable(reason)
        taken = subnet_taken()
        if taken is not None:
            raise NetUnavailable(f"{SUBNET} is already routed here ({taken})")
        atexit.register(self.close)
        try:
            self._build()
        except subprocess.CalledProcessError as exc:
            self.close()
            raise NetUnavailable(f"cannot build Janus's namespace: {exc.stderr.strip()}") from exc
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _build(self) -> None:
        ns = self.name
        ip("netns", "add", ns)
        self._made = True
        for key in ("all", "default"):  # no IPv6: no router solicitations, no v6 candidates
            ip("netns", "exec", ns, "sysctl", "-qw", f"net.ipv6.conf.{key}.disable_ipv6=1")
        ip("-n", ns, "link", "set", "lo", "up")
        ip("link", "add", self.outside, "type", "veth", "peer", "name", INSIDE, "netns", ns)
        subprocess.run(
            ["sysctl", "-qw", f"net.ipv6.conf.{self.outside}.disable_ipv6=1"],
            check=True,
            capture_output=True,
        )
        prefix = SUBNET.prefixlen
        ip("-n", ns, "addr", "add", f"{JANUS_ADDR}/{prefix}", "dev", INSIDE)
        ip("addr", "add", f"{CLIENT_ADDR}/{prefix}", "dev", self.outside)
        ip("-n", ns, "link", "set", INSIDE, "up")
        ip("link", "set", self.outside, "up")

    def close(self) -> None:
        if not self._made:
            return
        end_processes_in(self.name)
        subprocess.run(["ip", "netns", "del", self.name], capture_output=True, check=False)
        # Deleting the namespace deletes the pair; if it did not, the outer end goes here.
        subprocess.run(["ip", "link", "del", self.outside], capture_output=True, check=False)
        self._made = False
