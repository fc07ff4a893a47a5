"""The README's LAN steps, done: ``pendopo make-cert``, ``pendopo run`` over HTTPS, and two
office PCs — each its own network namespace running Chromium — meet.

The server runs in namespace ``pdlan<id>s``, the PCs in ``pdlan<id>1`` and ``pdlan<id>2``, linked
by bridges in ``pdlan<id>b`` (tests/lan/netns.py). Two layouts:

- one LAN (10.77.0.0/16): ``pendopo run --host 0.0.0.0 --port P``;
- two LANs (10.77.1.0/24, 10.77.2.0/24, nothing routed between them), the server on both:
  ``pendopo run --listen 10.77.1.254:P --listen 10.77.2.254:P``; each PC reaches it only at the
  address on its own LAN.

The server's namespace drops every packet but what the README says to open (the TCP port, UDP in
the ephemeral range) and answers. Chromium trusts the certificate by its public key
(``--ignore-certificate-errors-spki-list``), as a PC that imported ``cert.pem`` would. The host
signs in on PC 1 and creates a session; the lurah on PC 2 opens the join link (on the server's
address in PC 2's LAN), joins, is admitted; both see the other's video decoding, over a
candidate pair whose server side is the address that PC reaches the server at.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from playwright.async_api import Browser, Page, async_playwright, expect

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.browser.pages import (
    assert_all_see_each_other,
    create_session,
    in_session,
    join,
    join_and_admit,
    new_page,
    sign_in,
)
from tests.conftest import ADMIN_PASSWORD, ADMIN_USER, REPO, free_port
from tests.lan.netns import PC_ADDRESSES, Lan, missing_capability

pytestmark = [pytest.mark.netns, pytest.mark.browser]

HOST = "Kantor Bupati"  # the admin account's display name
LURAH = "Pak Sutrisno"


@pytest.fixture(params=["one LAN, 0.0.0.0", "two LANs, --listen"])
def lan(request: pytest.FixtureRequest) -> Iterator[Lan]:
    if (reason := missing_capability()) is not None:
        pytest.skip(reason)
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make system-deps` (Debian package chromium)")
    network = Lan(two_lans=request.param.startswith("two"))
    try:
        network.open()
        yield network
    finally:
        network.close()


@dataclass
class LanServer:
    port: int
    cert: Path
    log: Path

    def url(self, address: str) -> str:
        return f"https://{address}:{self.port}"


def pendopo(*args: str) -> list[str]:
    return [sys.executable, "-m", "pendopo", *args]


@pytest.fixture
def lan_server(lan: Lan, tmp_path: Path) -> Iterator[LanServer]:
    """README: ``pendopo make-cert --ip <each server address>``, then ``pendopo run --host
    0.0.0.0 --port P`` (or ``--listen A:P --listen B:P``) with the certificate (environment as
    make-cert prints it), in the server's namespace."""
    tls = tmp_path / "tls"
    ips = [arg for address in lan.server_addresses for arg in ("--ip", address)]
    made = subprocess.run(
        pendopo("make-cert", *ips, "--out", str(tls)),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert made.returncode == 0, made.stderr
    assert "PENDOPO_TLS_CERT=" in made.stdout
    port = free_port()
    lan.firewall(lan.server, port)  # README: open the TCP port and UDP for media, nothing else
    env = {
        **os.environ,
        "PENDOPO_TLS_CERT": str(tls / "cert.pem"),
        "PENDOPO_TLS_KEY": str(tls / "key.pem"),
        "PENDOPO_SECURE_COOKIES": "true",
        "PENDOPO_ADMIN_USER": ADMIN_USER,
        "PENDOPO_ADMIN_PASSWORD": ADMIN_PASSWORD,
    }
    if lan.two_lans:
        run = pendopo(
            "run", *[a for h in lan.server_addresses for a in ("--listen", f"{h}:{port}")]
        )
    else:
        run = pendopo("run", "--host", "0.0.0.0", "--port", str(port))
    run += ["--data-dir", str(tmp_path / "data"), "--probe-enabled", "false"]
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            lan.exec(lan.server, *run), cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        for pc, ns in enumerate(lan.pcs):
            wait_reachable(lan, ns, lan.server_address_for(pc), port, proc, log)
        yield LanServer(port, tls / "cert.pem", log)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


_CONNECT = """
import socket, sys
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=1).close()
except OSError:
    sys.exit(1)
"""


def wait_reachable(
    lan: Lan,
    ns: str,
    address: str,
    port: int,
    proc: subprocess.Popen[bytes],
    log: Path,
    within: float = 90,
) -> None:
    """Until the server accepts TCP connections at ``address`` from the PC namespace ``ns``."""
    deadline = time.monotonic() + within
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited:\n{log.read_text()}")
        probe = lan.exec(ns, sys.executable, "-c", _CONNECT, address, str(port))
        if subprocess.run(probe, capture_output=True, timeout=20).returncode == 0:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"server not reachable from {ns}:\n{log.read_text()}")
        time.sleep(0.3)


def spki_hash(cert: Path) -> str:
    """base64(SHA-256(SubjectPublicKeyInfo)): what Chromium's SPKI allow-list takes."""
    public_key = x509.load_pem_x509_certificate(cert.read_bytes()).public_key()
    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


@pytest.fixture
async def office_browsers(
    lan: Lan, lan_server: LanServer, tmp_path: Path
) -> AsyncIterator[tuple[Browser, Browser]]:
    """Headless Chromium in each PC's namespace, trusting the server's certificate."""
    trust = f"--ignore-certificate-errors-spki-list={spki_hash(lan_server.cert)}"
    async with async_playwright() as pw:
        browsers: list[Browser] = []
        try:
            for pc, ns in enumerate(lan.pcs):
                # The resolver rule maps every host, IP literals too, to "not found": let the
                # server's address through.
                server = lan.server_address_for(pc)
                args = [
                    f"{a} , EXCLUDE {server}" if a.startswith("--host-resolver-rules=") else a
                    for a in CHROMIUM_ARGS
                ]
                wrapper = tmp_path / f"chromium-{ns}"
                wrapper.write_text(f'#!/bin/sh\nexec ip netns exec {ns} {CHROMIUM} "$@"\n')
                wrapper.chmod(0o755)
                browsers.append(
                    await pw.chromium.launch(
                        executable_path=str(wrapper), args=[*args, trust], headless=True
                    )
                )
            yield browsers[0], browsers[1]
        finally:
            for browser in browsers:
                await browser.close()


_MEDIA_PATH = """async () => {
  const pc = window.pendopo && window.pendopo.pc;
  if (!pc) return null;
  const stats = await pc.getStats();
  let frames = 0, pair = null;
  stats.forEach((s) => {
    if (s.type === "inbound-rtp" && s.kind === "video") frames += s.framesDecoded || 0;
    if (s.type === "transport" && s.selectedCandidatePairId)
      pair = stats.get(s.selectedCandidatePairId);
  });
  const remote = pair && stats.get(pair.remoteCandidateId);
  const local = pair && stats.get(pair.localCandidateId);
  const offered = (pc.remoteDescription?.sdp ?? "").split("\\r\\n")
    .filter((line) => line.startsWith("a=candidate:")).map((line) => line.split(" ")[4]);
  return {frames, remote: remote && remote.address, local: local && local.address, offered};
}"""


async def media_path(page: Page, deadline: float = 25.0) -> dict[str, Any]:
    """Decoded video frames keep growing; returns the selected candidate pair's addresses."""
    end = time.monotonic() + deadline
    first: int | None = None
    state: dict[str, Any] | None = None
    while time.monotonic() < end:
        state = await page.evaluate(_MEDIA_PATH)
        if state and state["frames"]:
            if first is None:
                first = state["frames"]
            elif state["frames"] > first:
                return state
        await asyncio.sleep(0.3)
    raise AssertionError(f"no video decoding on {page.url}: {state}")


async def test_two_office_pcs_meet_over_the_lan(
    lan: Lan, lan_server: LanServer, office_browsers: tuple[Browser, Browser]
) -> None:
    pc1, pc2 = office_browsers
    base = lan_server.url(lan.server_address_for(0))
    servers = [lan.server_address_for(pc) for pc in (0, 1)]

    # PC 1: the host signs in at the server's LAN address and creates a session.
    host_ctx, host = await new_page(pc1)
    lurah_ctx, lurah = await new_page(pc2)
    try:
        await sign_in(host, base)
        link = await create_session(host, "Rapat lewat LAN", origin=base)
        await join(host, link, name=None, site=None)
        await in_session(host)

        # PC 2: the lurah opens the join link, on the server's address in PC 2's LAN (the
        # same one with one LAN); the page stays where it was opened (no redirect to
        # 0.0.0.0), joins, waits in the lobby and is admitted.
        lurah_link = link.replace(base, lan_server.url(servers[1]))
        await join_and_admit(host, lurah, lurah_link, LURAH, "Kalijambe")
        assert lurah.url.startswith(f"{lurah_link}?"), lurah.url
        assert await lurah.evaluate("window.isSecureContext") is True

        await assert_all_see_each_other({HOST: host, LURAH: lurah})
        for page, server, address in zip((host, lurah), servers, PC_ADDRESSES, strict=True):
            path = await media_path(page)
            assert path["remote"] == server, path  # the server's address in this PC's LAN
            # What the server offers (docs/configuration.md): on 0.0.0.0 every address but
            # loopback; with --listen, the listen addresses.
            assert set(path["offered"]) == set(lan.server_addresses), path
            assert path["local"] in (address, None), path
        await expect(host.get_by_role("button", name="Leave", exact=True)).to_be_visible()
    finally:
        await host_ctx.close()
        await lurah_ctx.close()
