"""Network namespaces the tests make, and the few operations every namespace lab shares: make one
(no IPv6, loopback up), enter one from a thread, list the routes that lead out of a subnet, and
remove one with whatever still runs in it.

Each lab names its namespaces with a unique tag (the weak-link lab ``tests/weaklink/lab.py``, the
machines of ``tests/scaling/machines.py``) and removes them by name, also when building fails.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, TypeVar

T = TypeVar("T")

CLONE_NEWNET = 0x40000000


def missing_capability(*tools: str) -> str | None:
    """Why namespaces cannot be made here (None: they can): not root, or ``ip`` (and ``tools``)
    missing, or ``ip netns`` refused."""
    if os.geteuid() != 0:
        return "needs root to create network namespaces (run the netns tests as root)"
    for tool in ("ip", *tools):
        if shutil.which(tool) is None:
            return f"needs `{tool}` (Debian packages iproute2, iptables)"
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=False)
    if listed.returncode != 0:
        return f"`ip netns` is unavailable: {listed.stderr.strip()}"
    return None


def run(*args: str, timeout: float = 30) -> str:
    out = subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False)
    if out.returncode != 0:
        raise subprocess.CalledProcessError(out.returncode, args, out.stdout, out.stderr.strip())
    return out.stdout


def add_namespace(ns: str) -> None:
    """A new namespace ``ns`` with loopback up and no IPv6 at all (no router or neighbour
    solicitations, no v6 ICE candidates)."""
    run("ip", "netns", "add", ns)
    for key in ("all", "default"):
        run("ip", "netns", "exec", ns, "sysctl", "-qw", f"net.ipv6.conf.{key}.disable_ipv6=1")
    run("ip", "-n", ns, "link", "set", "lo", "up")


def end_processes_in(ns: str) -> None:
    """Whatever still runs inside ``ns``, ended by pid: SIGTERM, then SIGKILL a second later."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        out = subprocess.run(
            ["ip", "netns", "pids", ns], capture_output=True, text=True, check=False
        )
        pids = [int(p) for p in out.stdout.split()]
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        time.sleep(1)


def delete_namespace(ns: str) -> None:
    """End what runs in ``ns``, then delete it (its veths go with it)."""
    end_processes_in(ns)
    subprocess.run(["ip", "netns", "del", ns], capture_output=True, check=False)


def foreign_routes(ns: str, subnet: str) -> list[str]:
    """The routes of ``ns`` that lead anywhere but ``subnet`` and loopback (empty: nothing can
    leave it)."""
    problems = []
    for route in json.loads(run("ip", "-n", ns, "-j", "route", "show", "table", "all")):
        dst, dev = route.get("dst"), route.get("dev")
        if dev == "lo" or dst == subnet:
            continue
        if route.get("type") in ("local", "broadcast"):
            continue  # the veth's own address and its broadcast
        problems.append(f"{ns}: unexpected route {route}")
    return problems


@contextlib.contextmanager
def inside(ns: str) -> Iterator[None]:
    """Run this thread in network namespace ``ns`` (sockets opened now belong to it)."""
    libc = ctypes.CDLL(None, use_errno=True)
    home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    target = os.open(f"/var/run/netns/{ns}", os.O_RDONLY)
    try:
        if libc.setns(target, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), f"setns into {ns} failed")
        try:
            yield
        finally:
            if libc.setns(home, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "could not return to the host namespace")
    finally:
        os.close(home)
        os.close(target)


def run_inside(ns: str, work: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run coroutine ``work()`` on an event loop of its own in namespace ``ns``; its result.
    Call it in a thread of its own (``await asyncio.to_thread(run_inside, ns, work)``): every
    socket the coroutine opens (aiohttp to an address, not a name) belongs to ``ns``."""
    with inside(ns):
        return asyncio.run(work())
