"""Real links in network namespaces: a "kecamatan" router namespace with "village" addresses
behind it. Cutting the kecamatan's link makes its villages UNREACHABLE (one grouped alert), loss
made by iptables in the village namespace makes a village DEGRADED, and an unprivileged ICMP
datagram socket is used where ``ping_group_range`` admits the user.

The prober runs inside a "regency" namespace of its own (the test's thread enters it with
setns): it has no route anywhere but to these namespaces, so no packet can leave the machine.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from network_inventory.alerts import Backoff, WebhookDispatcher
from network_inventory.live import LiveConfig, LiveService
from network_inventory.state import Policy
from pendopo.db import Database
from pendopo.schema import components
from tests.conftest import free_port
from tests.netns import add_namespace, delete_namespace, inside, run
from tests.network_inventory.live_helpers import add_site, add_target, wait_for

pytestmark = [
    pytest.mark.netns,
    pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces need root"),
    pytest.mark.skipif(shutil.which("ip") is None, reason="iproute2 (ip) is not installed"),
]

TAG = f"pd{os.getpid() % 100000}"
REG, KEC, VIL = f"{TAG}reg", f"{TAG}kec", f"{TAG}vil"
KEC_ADDR = "10.99.0.2"
VILLAGES = ["10.99.1.1", "10.99.1.2", "10.99.1.3"]


@pytest.fixture(scope="module")
def topology() -> Iterator[None]:
    made: list[str] = []
    try:
        for ns in (REG, KEC, VIL):
            add_namespace(ns)
            made.append(ns)
    except subprocess.CalledProcessError as exc:
        for ns in made:
            delete_namespace(ns)
        pytest.skip(f"cannot create network namespaces here: {exc.stderr}")
    try:
        run("ip", "link", "add", "reg0", "netns", REG, "type", "veth", "peer", "kec0", "netns", KEC)
        run("ip", "link", "add", "kvil0", "netns", KEC, "type", "veth",
            "peer", "vil0", "netns", VIL)  # fmt: skip
        for ns, dev, addr in (
            (REG, "reg0", "10.99.0.1/24"),
            (KEC, "kec0", f"{KEC_ADDR}/24"),
            (KEC, "kvil0", "10.99.1.254/24"),
            *((VIL, "vil0", f"{a}/24") for a in VILLAGES),
        ):
            run("ip", "-n", ns, "addr", "add", addr, "dev", dev)
        for ns, dev in ((REG, "reg0"), (KEC, "kec0"), (KEC, "kvil0"), (VIL, "vil0")):
            run("ip", "-n", ns, "link", "set", dev, "up")
        run("ip", "netns", "exec", KEC, "sysctl", "-qw", "net.ipv4.ip_forward=1")
        run("ip", "-n", REG, "route", "add", "10.99.1.0/24", "via", KEC_ADDR)
        run("ip", "-n", VIL, "route", "add", "10.99.0.0/24", "via", "10.99.1.254")
        yield
    finally:
        for ns in made:
            delete_namespace(ns)


class Hook:
    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []

    async def handle(self, request: web.Request) -> web.Response:
        self.bodies.append(await request.json())
        return web.Response(status=204)


async def test_cut_kecamatan_makes_villages_unreachable_with_one_alert(
    topology: None, tmp_path: Path
) -> None:
    with inside(REG):
        db = Database(tmp_path / "n.sqlite3")
        db.open(components())  # the whole schema: the sweep reads maintenance windows too
        hook = Hook()
        app = web.Application()
        app.router.add_post("/hook", hook.handle)
        runner = web.AppRunner(app)
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        config = LiveConfig(
            interval_s=1.0,
            spread_fraction=0.2,
            gap_s=0.05,
            policy=Policy(loss_degraded=0.2, down_rounds=2, up_rounds=1),
        )
        live = LiveService(
            db, config, dispatcher=WebhookDispatcher(db, backoff=Backoff(base_s=0.1))
        )
        try:
            office = await add_site(db, "N.0", "Kantor", "other", None)
            kec = await add_site(db, "N.1", "Kecamatan", "kecamatan", office)
            await add_target(db, office, "icmp", "127.0.0.1")
            await add_target(db, kec, "icmp", KEC_ADDR, count=5, timeout_s=0.5)
            villages = []
            for i, addr in enumerate(VILLAGES):
                site = await add_site(db, f"N.1.{i}", f"Desa {i}", "desa", kec)
                await add_target(db, site, "icmp", addr, count=10, timeout_s=0.5)
                villages.append(site)
            await db.execute_write(
                "INSERT INTO inventory_webhooks (url, created_at, updated_at) VALUES (?, 0, 0)",
                (f"http://127.0.0.1:{port}/hook",),
            )

            await live.sweep_once()
            assert {s["site_id"]: s["state"] for s in live.site_states()} == {
                office: "up", kec: "up", **dict.fromkeys(villages, "up"),
            }  # fmt: skip

            # 50 % of the echo requests to the third village are dropped inside its namespace.
            if shutil.which("iptables"):
                run(
                    "ip", "netns", "exec", VIL, "iptables", "-A", "INPUT", "-d", VILLAGES[2],
                    "-p", "icmp", "-m", "statistic", "--mode", "random",
                    "--probability", "0.5", "-j", "DROP",
                )  # fmt: skip
                for _ in range(10):
                    await live.sweep_once()
                    if live.state_of(villages[2]) == "degraded":
                        break
                assert live.state_of(villages[2]) == "degraded"
                assert live.state_of(villages[0]) == "up"
                run("ip", "netns", "exec", VIL, "iptables", "-F", "INPUT")
                for _ in range(5):
                    await live.sweep_once()
                    if live.state_of(villages[2]) == "up":
                        break
                assert live.state_of(villages[2]) == "up"
            await wait_for(lambda: live.dispatcher._queue.empty())
            hook.bodies.clear()

            run("ip", "-n", KEC, "link", "set", "kec0", "down")  # the kecamatan's uplink is cut
            for _ in range(2):
                await live.sweep_once()
            states = {s["site_id"]: s["state"] for s in live.site_states()}
            assert states[kec] == "down"
            assert [states[v] for v in villages] == ["unreachable"] * 3
            assert states[office] == "up"
            await wait_for(lambda: len(hook.bodies) >= 1)
            await live.sweep_once()  # a further sweep adds nothing
            await wait_for(lambda: live.dispatcher._queue.empty())
            assert len(hook.bodies) == 1
            assert hook.bodies[0]["site"]["code"] == "N.1"
            assert sorted(a["code"] for a in hook.bodies[0]["affected"]) == [
                "N.1.0", "N.1.1", "N.1.2",
            ]  # fmt: skip
            # measurements of the villages are still recorded while their alerts are not
            samples = await db.fetchall(
                "SELECT count(*) FROM probe_samples WHERE site_id = ?", (villages[0],)
            )
            assert samples[0][0] >= 3
        finally:
            run("ip", "-n", KEC, "link", "set", "kec0", "up")
            await live.stop()
            await runner.cleanup()
            db.close()


def test_unprivileged_icmp_datagram_socket_where_allowed(topology: None) -> None:
    """In the regency namespace, open ping_group_range and probe as "nobody" would: the
    prober says it uses icmp-dgram (the sysctl is per namespace; the host is not touched)."""
    run("ip", "netns", "exec", REG, "sysctl", "-qw", "net.ipv4.ping_group_range=0 2147483647")
    # The test before cut the kecamatan's uplink and brought it back up: the village must answer
    # again (a plain ping as root) before the datagram socket is judged on what comes back.
    if shutil.which("fping") is None:
        pytest.skip("fping is not installed (Debian package fping)")
    answered = False
    for _ in range(20):
        ping = subprocess.run(
            ["ip", "netns", "exec", REG, "fping", "-q", "-c1", "-t500", VILLAGES[0]],
            capture_output=True,
            timeout=30,
        )
        if ping.returncode == 0:
            answered = True
            break
    assert answered, f"the lab's path from {REG} to {VILLAGES[0]} is not up"
    code = (
        "import asyncio\n"
        "from network_inventory.model import ProbeKind, ProbeTarget\n"
        "from network_inventory.probing import Prober\n"
        "async def main():\n"
        "    p = Prober(icmp_mode='dgram')\n"
        f"    r = await p.probe(ProbeTarget(1, 1, ProbeKind.ICMP, '{VILLAGES[0]}', count=3))\n"
        "    await p.close()\n"
        "    print(r.method, r.received)\n"
        "asyncio.run(main())\n"
    )
    out = subprocess.run(
        ["ip", "netns", "exec", REG, sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["icmp-dgram", "3"]
