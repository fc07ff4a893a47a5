"""``pendopo make-cert`` and serving HTTPS with the result, verified like a browser would."""

from __future__ import annotations

import ssl
import stat
import subprocess
import sys
from pathlib import Path

import aiohttp
from cryptography import x509

from tests.conftest import make_settings, start_server


def test_make_cert_writes_names_ips_and_prints_how_to_trust(tmp_path: Path) -> None:
    out = tmp_path / "tls"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pendopo",
            "make-cert",
            "--name",
            "pendopo.sragen.lan",
            "--name",
            "localhost",
            "--ip",
            "10.33.14.1",
            "--ip",
            "127.0.0.1",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "SHA-256 fingerprint" in result.stdout and "certutil" in result.stdout
    cert = x509.load_pem_x509_certificate((out / "cert.pem").read_bytes())
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["pendopo.sragen.lan", "localhost"]
    assert [str(a) for a in san.get_values_for_type(x509.IPAddress)] == ["10.33.14.1", "127.0.0.1"]
    assert stat.S_IMODE((out / "key.pem").stat().st_mode) == 0o600
    none = subprocess.run(
        [sys.executable, "-m", "pendopo", "make-cert", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert none.returncode == 2


async def test_server_speaks_https_with_the_generated_certificate(tmp_path: Path) -> None:
    from pendopo.tls import make_self_signed

    files = make_self_signed(["localhost"], ["127.0.0.1"], tmp_path / "tls")
    settings = make_settings(tmp_path, tls_cert=files.cert, tls_key=files.key, secure_cookies=True)
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(files.cert, files.key)
    runner, running = await start_server(settings, ssl_context=server_ctx)
    try:
        trusting = ssl.create_default_context(cafile=str(files.cert))
        url = f"https://127.0.0.1:{settings.port}/api/me"
        async with aiohttp.ClientSession() as http:
            async with http.get(url, ssl=trusting) as resp:
                assert resp.status == 200
                assert resp.headers["Strict-Transport-Security"].startswith("max-age=")
            async with http.post(
                f"https://127.0.0.1:{settings.port}/api/session",
                json={"username": "admin", "password": "rahasia-bupati-2026"},
                ssl=trusting,
            ) as resp:
                assert resp.status == 200
                cookies = resp.headers.getall("Set-Cookie")
                assert all("Secure" in c for c in cookies)
            # An untrusting client (a browser before the certificate is trusted) refuses it.
            try:
                async with http.get(url, ssl=ssl.create_default_context()):
                    raise AssertionError("self-signed certificate accepted without trust")
            except aiohttp.ClientConnectorCertificateError:
                pass
        assert running.url.startswith("https://")
    finally:
        await runner.cleanup()


async def test_socket_io_accepts_its_own_https_origin_only(tmp_path: Path) -> None:
    """Served over TLS by Pendopo itself (no proxy), the page's own origin is https://host:port:
    its websocket is accepted (engineio alone compared it with http:// and refused every
    browser); another origin is still refused."""
    from pendopo.tls import make_self_signed

    files = make_self_signed([], ["127.0.0.1"], tmp_path / "tls")
    settings = make_settings(tmp_path, tls_cert=files.cert, tls_key=files.key, secure_cookies=True)
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(files.cert, files.key)
    runner, running = await start_server(settings, ssl_context=server_ctx)
    trusting = ssl.create_default_context(cafile=str(files.cert))
    socket_url = f"{running.url}/socket.io/?EIO=4&transport=websocket"

    async def opens(origin: str) -> bool:
        async with aiohttp.ClientSession() as http:
            try:
                async with http.ws_connect(
                    socket_url, headers={"Origin": origin}, ssl=trusting
                ) as ws:
                    msg = await ws.receive(timeout=20)
                    return msg.type is aiohttp.WSMsgType.TEXT and msg.data.startswith("0{")
            except aiohttp.WSServerHandshakeError:
                return False

    try:
        assert await opens(running.url)
        assert not await opens(running.url.replace("https://", "http://"))
        assert not await opens("https://evil.example")
    finally:
        await runner.cleanup()
