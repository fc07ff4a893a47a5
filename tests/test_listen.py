"""Listen addresses: parsing, binding several sockets, and the start-up line naming them."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import pytest

from pendopo.listen import ListenAddress, bind_sockets, parse_listen
from tests.conftest import REPO, free_port


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("10.0.0.5:8443", ListenAddress("10.0.0.5", 8443)),
        ("10.0.0.5", ListenAddress("10.0.0.5", 8080)),
        ("pendopo.lan:9000", ListenAddress("pendopo.lan", 9000)),
        ("[fd00::5]:8443", ListenAddress("fd00::5", 8443)),
        ("[::]", ListenAddress("::", 8080)),
        ("fd00::5", ListenAddress("fd00::5", 8080)),
    ],
)
def test_parse_listen(entry: str, expected: ListenAddress) -> None:
    assert parse_listen(entry, 8080) == expected


@pytest.mark.parametrize("entry", ["", ":8443", "10.0.0.5:", "[fd00::5]x", "a b:1", "h:99999"])
def test_parse_listen_refuses(entry: str) -> None:
    with pytest.raises(ValueError):
        parse_listen(entry, 8080)


def test_bind_sockets_binds_each_address_and_names_a_failure() -> None:
    port = free_port()
    sockets = bind_sockets((ListenAddress("127.0.0.1", port), ListenAddress("127.0.0.2", port)))
    try:
        assert sorted(s.getsockname() for s in sockets) == [
            ("127.0.0.1", port),
            ("127.0.0.2", port),
        ]
        with pytest.raises(OSError, match=f"cannot listen on 127.0.0.2:{port}"):
            bind_sockets((ListenAddress("127.0.0.3", port), ListenAddress("127.0.0.2", port)))
    finally:
        for s in sockets:
            s.close()


def test_pendopo_run_serves_on_every_listen_address(tmp_path: object) -> None:
    first, second = free_port(), free_port()
    args = [sys.executable, "-m", "pendopo", "run", "--data-dir", str(tmp_path)]
    args += ["--listen", f"127.0.0.1:{first}", "--listen", f"127.0.0.2:{second}"]
    args += ["--probe-enabled", "false", "--admin-password", "rahasia-bupati-2026"]
    proc = subprocess.Popen(args, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        assert proc.stdout is not None
        line = b""
        while b"Pendopo serving on" not in line:
            line = proc.stdout.readline()
            assert line, "pendopo run ended before serving"
        assert f"http://127.0.0.1:{first}, http://127.0.0.2:{second}" in line.decode()
        for address in (("127.0.0.1", first), ("127.0.0.2", second)):
            deadline = time.monotonic() + 60
            while True:
                try:
                    socket.create_connection(address, timeout=1).close()
                    break
                except OSError:
                    assert time.monotonic() < deadline, f"nothing listens on {address}"
                    time.sleep(0.2)
    finally:
        proc.terminate()
        proc.wait(30)
