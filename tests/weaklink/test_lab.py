"""The lab's link does what its profile says: profile d (256 kbit/s, 600 ms round trip, 5 %
loss each way) between the lurah's namespace and the server's, a clean link for the host, nothing
leaving the lab, and nothing left behind (namespaces, processes) after it is closed."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.weaklink.fixtures import lab_fixture
from tests.weaklink.lab import REPO, SERVER_ADDR, Lab

pytestmark = [pytest.mark.netns]
PORT = 5000


@pytest.fixture
def weak_lab(tmp_path: Path) -> Iterator[Lab]:
    yield from lab_fixture(tmp_path, "d")


def probe(ns: str, *args: str) -> dict[str, object]:
    out = subprocess.run(
        ["ip", "netns", "exec", ns, sys.executable, "-m", "tests.weaklink.probe", *args],
        capture_output=True, text=True, timeout=60, cwd=REPO, check=True,
    )  # fmt: skip
    result: dict[str, object] = json.loads(out.stdout)
    return result


def background(ns: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        ["ip", "netns", "exec", ns, sys.executable, "-m", "tests.weaklink.probe", *args],
        cwd=REPO, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip


def test_shaped_link_delays_drops_and_limits(weak_lab: Lab) -> None:
    echo = background(weak_lab.srv, "echo", str(PORT))
    try:
        shaped = probe(weak_lab.lur, "ping", SERVER_ADDR, str(PORT), "200")
        clean = probe(weak_lab.hst, "ping", SERVER_ADDR, str(PORT), "50")
    finally:
        echo.kill()
        echo.wait()
    rtts, lost = shaped["rtts"], shaped["lost"]
    assert isinstance(rtts, list) and isinstance(lost, int)
    assert min(rtts) >= 0.6  # 300 ms each way, never less
    assert 0.02 <= lost / 200 <= 0.2  # 5 % each way: ~9.75 % of round trips
    clean_rtts = clean["rtts"]
    assert isinstance(clean_rtts, list) and len(clean_rtts) == 50
    assert max(clean_rtts) < 0.1  # the host's link adds nothing

    # 1 Mbit/s offered towards the lurah for 4 s: tbf lets ~256 kbit/s through.
    sink = background(weak_lab.lur, "sink", str(PORT), "7")
    try:
        subprocess.run(
            ["ip", "netns", "exec", weak_lab.srv, sys.executable, "-m", "tests.weaklink.probe",
             "blast", "10.78.0.3", str(PORT), "1000", "4"],
            cwd=REPO, check=True, timeout=30,
        )  # fmt: skip
        out, _ = sink.communicate(timeout=30)
    finally:
        if sink.poll() is None:
            sink.kill()
            sink.wait()
    kbit_per_s = 8 * json.loads(out)["bytes"] / 4 / 1000
    assert 150 <= kbit_per_s <= 340, kbit_per_s  # 256 kbit/s, a burst, less 5 % loss
    figures = weak_lab.bridge_figures()
    assert figures["a_to_b"]["queue_drops"] > 0  # the downlink's tbf refused the excess
    assert weak_lab.containment() == []


def test_nothing_left_after_close(tmp_path: Path) -> None:
    gen = lab_fixture(tmp_path, "c")
    lab = next(gen)
    names = [lab.srv, lab.hst, lab.lur, lab.brg]
    server, bridge = lab.server, lab.bridge
    with pytest.raises(StopIteration):
        next(gen)
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    assert not any(name in listed for name in names)
    assert server is not None and server.poll() is not None
    assert bridge is not None and bridge.poll() is not None
