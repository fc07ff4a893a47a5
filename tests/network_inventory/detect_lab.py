"""A small regency in network namespaces, for fast-detection tests and ``bench/detect.py``.

::

    reg (the prober) --reg0/kec0-- kec (a kecamatan router) --kvil0/vil0-- vil (villages)
        \\--regv/bra-- brg (user-space bridge: delay, loss) --brb/vsat0-- vsat (a VSAT village)

The prober's thread enters ``reg`` with setns (``tests.netns.inside``): that namespace has
routes only to these namespaces, so no probe can leave the machine. A cut is
``ip link set kec0 down`` in ``kec``; loss is iptables' ``statistic`` match on the villages'
INPUT; the VSAT hop's delay and loss come from ``tests/weaklink/bridge.py`` (this kernel has
no netem). Root only.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

REPO = Path(__file__).resolve().parents[2]
SUBNET = "10.97.0.0/16"
KEC_ADDR = "10.97.0.2"
VILLAGES = ("10.97.1.1", "10.97.1.2", "10.97.1.3")
VSAT_ADDR = "10.97.2.2"


def unavailable_reason() -> str | None:
    if os.geteuid() != 0:
        return "network namespaces, iptables and AF_PACKET sockets need root"
    for tool in ("ip", "iptables"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (iproute2, iptables: the Makefile's TEST_DEBS)"
    return None


def sh(*args: str) -> str:
    out = subprocess.run(args, capture_output=True, text=True, timeout=30, check=False)
    if out.returncode != 0:
        raise subprocess.CalledProcessError(out.returncode, args, out.stdout, out.stderr.strip())
    return out.stdout


class DetectLab:
    """``with DetectLab(delay_ms=300, loss=0.05) as lab:`` builds it; leaving removes it all."""

    def __init__(self, *, delay_ms: float = 300.0, loss: float = 0.05, workdir: Path) -> None:
        tag = f"pdd{os.getpid() % 100000}"
        self.reg, self.kec, self.vil = f"{tag}reg", f"{tag}kec", f"{tag}vil"
        self.brg, self.vsat = f"{tag}brg", f"{tag}sat"
        self.delay_ms, self.loss = delay_ms, loss
        self.workdir = workdir
        self.bridge: subprocess.Popen[bytes] | None = None

    @property
    def namespaces(self) -> tuple[str, ...]:
        return (self.reg, self.kec, self.vil, self.brg, self.vsat)

    def __enter__(self) -> DetectLab:
        try:
            self._build()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self, _t: type[BaseException] | None, _e: BaseException | None, _tb: TracebackType | None
    ) -> None:
        self.close()

    def _build(self) -> None:
        for ns in self.namespaces:
            sh("ip", "netns", "add", ns)
            sh("ip", "-n", ns, "link", "set", "lo", "up")
        pairs = (
            (self.reg, "reg0", self.kec, "kec0"),
            (self.kec, "kvil0", self.vil, "vil0"),
            (self.reg, "regv", self.brg, "bra"),
            (self.brg, "brb", self.vsat, "vsat0"),
        )
        for a_ns, a, b_ns, b in pairs:
            sh("ip", "link", "add", a, "netns", a_ns, "type", "veth", "peer", b, "netns", b_ns)
        addresses = (
            (self.reg, "reg0", "10.97.0.1/24"),
            (self.kec, "kec0", f"{KEC_ADDR}/24"),
            (self.kec, "kvil0", "10.97.1.254/24"),
            *((self.vil, "vil0", f"{a}/24") for a in VILLAGES),
            (self.reg, "regv", "10.97.2.1/24"),
            (self.vsat, "vsat0", f"{VSAT_ADDR}/24"),
        )
        for ns, dev, addr in addresses:
            sh("ip", "-n", ns, "addr", "add", addr, "dev", dev)
        for _a_ns, a, _b_ns, b in pairs:
            sh("ip", "-n", _a_ns, "link", "set", a, "up")
            sh("ip", "-n", _b_ns, "link", "set", b, "up")
        sh("ip", "netns", "exec", self.kec, "sysctl", "-qw", "net.ipv4.ip_forward=1")
        sh("ip", "-n", self.reg, "route", "add", "10.97.1.0/24", "via", KEC_ADDR)
        sh("ip", "-n", self.vil, "route", "add", "10.97.0.0/24", "via", "10.97.1.254")
        offloads = ((self.brg, ("bra", "brb")), (self.reg, ("regv",)), (self.vsat, ("vsat0",)))
        for ns, devs in offloads:
            sh("ip", "netns", "exec", ns, sys.executable, "-m", "tests.weaklink.offload", *devs)
        stats = self.workdir / "bridge.json"
        log = (self.workdir / "bridge.log").open("wb")
        self.bridge = subprocess.Popen(
            ["ip", "netns", "exec", self.brg, sys.executable, "-m", "tests.weaklink.bridge",
             "--a", "bra", "--b", "brb", "--delay-ms", str(self.delay_ms), "--loss",
             str(self.loss), "--subnet", SUBNET, "--stats", str(stats)],
            cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        end = time.monotonic() + 20
        while not stats.exists():
            if self.bridge.poll() is not None or time.monotonic() > end:
                raise RuntimeError("the delay bridge did not start: see bridge.log")
            time.sleep(0.05)

    def cut(self) -> None:
        sh("ip", "-n", self.kec, "link", "set", "kec0", "down")

    def restore(self) -> None:
        sh("ip", "-n", self.kec, "link", "set", "kec0", "up")

    def drop(self, address: str, probability: float) -> None:
        """Drop this share of the echo requests reaching a village address (at random)."""
        sh("ip", "netns", "exec", self.vil, "iptables", "-A", "INPUT", "-d", address, "-p",
           "icmp", "-m", "statistic", "--mode", "random", "--probability", str(probability),
           "-j", "DROP")  # fmt: skip

    def clear_drops(self) -> None:
        sh("ip", "netns", "exec", self.vil, "iptables", "-F", "INPUT")

    def close(self) -> None:
        if self.bridge is not None and self.bridge.poll() is None:
            self.bridge.send_signal(signal.SIGTERM)
            try:
                self.bridge.wait(10)
            except subprocess.TimeoutExpired:
                self.bridge.kill()
                self.bridge.wait(10)
        for ns in self.namespaces:
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, check=False)
