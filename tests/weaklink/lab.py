"""Build the lab (see the package docstring), run the server in it, tear everything down.

Everything made here is found again by name and removed in :meth:`Lab.close`, which also runs
when building fails half-way: processes left in the lab's namespaces (browsers included) are
ended by their pid (``ip netns pids``), then the namespaces are deleted (their veths go with them).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from tests.conftest import ADMIN_PASSWORD, ADMIN_USER
from tests.netns import add_namespace, delete_namespace, foreign_routes, run
from tests.weaklink.profiles import Profile

REPO = Path(__file__).resolve().parents[2]
SUBNET = "10.78.0.0/16"
PREFIX = "pdwl"
SERVER_ADDR, HOST_ADDR, LURAH_ADDR = "10.78.0.1", "10.78.0.2", "10.78.0.3"
SERVER_PORT = 8080  # the server namespace is ours alone: any port is free there
CHROMIUM = Path(os.environ.get("PENDOPO_CHROMIUM", "/usr/bin/chromium"))


class LabUnavailable(Exception):
    """Namespaces cannot be made here (not root, no iproute2, no permission)."""


def unavailable_reason() -> str | None:
    """Why the lab cannot run on this machine, or None when it can."""
    if os.geteuid() != 0:
        return "the weak-link lab needs root (network namespaces, tbf, AF_PACKET sockets)"
    for tool in ("ip", "tc"):
        if shutil.which(tool) is None:
            return f"the weak-link lab needs iproute2 ({tool} is missing)"
    return None


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` (its threads included)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Lab:
    profile: Profile
    workdir: Path
    tag: str = field(default_factory=lambda: f"{PREFIX}{os.getpid() % 10000}{secrets.token_hex(1)}")
    log_level: str = "WARNING"
    """The server's ``log_level`` (e.g. ``WARNING,media.layer_control=DEBUG``); its log is
    ``workdir/server.log``."""
    server: subprocess.Popen[bytes] | None = None
    bridge: subprocess.Popen[bytes] | None = None
    _made: list[str] = field(default_factory=list)
    _logs: list[IO[bytes]] = field(default_factory=list)

    # ------------------------------------------------------------------ names

    @property
    def srv(self) -> str:
        return f"{self.tag}s"

    @property
    def hst(self) -> str:
        return f"{self.tag}h"

    @property
    def lur(self) -> str:
        return f"{self.tag}l"

    @property
    def brg(self) -> str:
        return f"{self.tag}b"

    @property
    def url(self) -> str:
        return f"http://{SERVER_ADDR}:{SERVER_PORT}"

    @property
    def bridge_stats(self) -> Path:
        return self.workdir / "bridge.json"

    # ------------------------------------------------------------------ building

    def __enter__(self) -> Lab:
        reason = unavailable_reason()
        if reason is not None:
            raise LabUnavailable(reason)
        self.workdir.mkdir(parents=True, exist_ok=True)
        try:
            self._namespaces()
            self._links()
            self._shape()
            self._start_bridge()
            self._start_server()
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

    def _namespaces(self) -> None:
        for ns in (self.srv, self.hst, self.lur, self.brg):
            self._made.append(ns)
            try:
                add_namespace(ns)
            except subprocess.CalledProcessError as exc:
                reason = f"cannot create network namespaces: {exc.stderr}"
                raise LabUnavailable(reason) from exc

    def _links(self) -> None:
        b = self.brg
        pairs = [
            (self.srv, "srv0", "bsrv"),
            (self.hst, "hst0", "bhst"),
            (self.lur, "lur0", "blur"),
            (b, "bx0", "bx1"),  # kernel bridge <-> user-space bridge
        ]
        for ns, end, bridge_end in pairs:
            run("ip", "link", "add", end, "netns", ns, "type", "veth",
                "peer", bridge_end, "netns", b)  # fmt: skip
        run("ip", "-n", b, "link", "add", "br0", "type", "bridge")
        for dev in ("bsrv", "bhst", "bx0"):
            run("ip", "-n", b, "link", "set", dev, "master", "br0")
        for ns, dev, addr in (
            (self.srv, "srv0", SERVER_ADDR),
            (self.hst, "hst0", HOST_ADDR),
            (self.lur, "lur0", LURAH_ADDR),
        ):
            run("ip", "-n", ns, "addr", "add", f"{addr}/16", "dev", dev)
            self._offloads_off(ns, dev)
            run("ip", "-n", ns, "link", "set", dev, "up")
        self._offloads_off(b, "bsrv", "bhst", "blur", "bx0", "bx1")
        for dev in ("br0", "bsrv", "bhst", "blur", "bx0", "bx1"):
            run("ip", "-n", b, "link", "set", dev, "up")

    def _offloads_off(self, ns: str, *devs: str) -> None:
        run("ip", "netns", "exec", ns, sys.executable, "-m", "tests.weaklink.offload", *devs)

    def _shape(self) -> None:
        rate = self.profile.rate_kbit
        if rate is None:
            return
        # bx1 carries the lurah's uplink towards the server, blur the downlink to the lurah.
        burst = max(3200, rate * 1000 // 8 // 50)  # at least two full frames, or 20 ms of rate
        for dev in ("bx1", "blur"):
            run("tc", "-n", self.brg, "qdisc", "add", "dev", dev, "root", "tbf",
                "rate", f"{rate}kbit", "burst", str(burst), "latency", "200ms")  # fmt: skip

    def _log(self, name: str) -> IO[bytes]:
        log = (self.workdir / f"{name}.log").open("wb")
        self._logs.append(log)
        return log

    def _start_bridge(self) -> None:
        p = self.profile
        self.bridge = subprocess.Popen(
            ["ip", "netns", "exec", self.brg, sys.executable, "-m", "tests.weaklink.bridge",
             "--a", "bx1", "--b", "blur", "--delay-ms", str(p.rtt_ms / 2), "--loss", str(p.loss),
             "--subnet", SUBNET, "--watch", "bsrv,bhst", "--stats", str(self.bridge_stats)],
            cwd=REPO, stdout=self._log("bridge"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        self._wait(lambda: self.bridge_stats.exists(), "the bridge's first figures", self.bridge)

    def _start_server(self) -> None:
        """``pendopo run`` bound to the server's veth address (ICE host candidates only there)."""
        self.server = subprocess.Popen(
            ["ip", "netns", "exec", self.srv, sys.executable, "-m", "pendopo", "run",
             "--host", SERVER_ADDR, "--port", str(SERVER_PORT),
             "--data-dir", str(self.workdir / "data"),
             "--admin-user", ADMIN_USER, "--admin-password", ADMIN_PASSWORD,
             "--probe-enabled", "false", "--log-level", self.log_level],
            cwd=REPO, stdout=self._log("server"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        # Ready once the login page answers, asked from the host's namespace over the lab.
        probe = (
            "import time, urllib.request\n"
            "for _ in range(300):\n"
            "    try:\n"
            f"        urllib.request.urlopen('{self.url}/login', timeout=2).read(); break\n"
            "    except OSError:\n"
            "        time.sleep(0.3)\n"
            "else:\n"
            "    raise SystemExit('no answer')\n"
        )
        try:
            run("ip", "netns", "exec", self.hst, sys.executable, "-c", probe, timeout=120)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            raise RuntimeError(f"the server did not start: {self.server_log()[-2000:]}") from exc

    def _wait(self, ready: Callable[[], bool], what: str, proc: subprocess.Popen[bytes]) -> None:
        end = time.monotonic() + 30
        while not ready():
            if proc.poll() is not None or time.monotonic() > end:
                raise RuntimeError(f"no {what}: see {self.workdir}")
            time.sleep(0.1)

    def server_log(self) -> str:
        path = self.workdir / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""

    # ------------------------------------------------------------------ using

    def chromium_wrapper(self, ns: str) -> Path:
        """A script Playwright starts as the browser: Chromium inside namespace ``ns`` (the pipe
        Playwright talks over is inherited across ``ip netns exec``)."""
        path = self.workdir / f"chromium-{ns}"
        path.write_text(f'#!/bin/sh\nexec ip netns exec {ns} {CHROMIUM} "$@"\n')
        path.chmod(0o755)
        return path

    def server_cpu_seconds(self) -> float:
        assert self.server is not None
        return cpu_seconds(self.server.pid)

    def server_alive(self) -> bool:
        return self.server is not None and self.server.poll() is None

    def bridge_figures(self) -> dict[str, Any]:
        figures: dict[str, Any] = json.loads(self.bridge_stats.read_text())
        return figures

    def containment(self) -> list[str]:
        """What could have left the lab (empty: nothing): frames with an address outside the
        subnet seen by the bridge, and any route or device beyond the lab's own."""
        problems = []
        figures = self.bridge_figures()
        if figures["foreign"]:
            problems.append(
                f"{figures['foreign']} frames to/from outside {SUBNET}: "
                f"{figures['foreign_examples']}"
            )
        for ns in (self.srv, self.hst, self.lur, self.brg):
            problems += foreign_routes(ns, SUBNET)
            devices = {link["ifname"] for link in json.loads(run("ip", "-n", ns, "-j", "link"))}
            expected = {"lo", "srv0", "hst0", "lur0", "br0", "bsrv", "bhst", "blur", "bx0", "bx1"}
            if devices - expected:
                problems.append(f"{ns}: unexpected devices {sorted(devices - expected)}")
        return problems

    # ------------------------------------------------------------------ teardown

    def close(self) -> None:
        for proc in (self.server, self.bridge):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        for ns in self._made:
            delete_namespace(ns)
        self._made.clear()
        for log in self._logs:
            log.close()
        self._logs.clear()
