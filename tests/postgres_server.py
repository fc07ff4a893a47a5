"""A PostgreSQL server of the tests' own: Debian's binaries, a temporary data folder, a free
loopback port, started once per test session and stopped at its end.

Never a PostgreSQL already running on the machine: a developer's machine may have none, and CI
must not depend on one. ``start(host, netns)`` runs one inside a network namespace the test made,
listening on that namespace's address (tests/scaling/machines.py); the test process reaches
every such server through its Unix socket, whatever namespace it listens in. ``initdb``
refuses to run as root, so as root the server runs as ``nobody`` in a folder it owns. Each test
gets a fresh database of its own (``new_database``).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import pytest

from tests.conftest import free_port

USER = "pendopo"
"""The server's superuser, and the role every test database belongs to."""
INITDB = ("--encoding=UTF8", "--locale=C.UTF-8", "--no-sync")
SERVER = (
    "fsync=off",  # a test's data need not survive a crash
    "synchronous_commit=off",
    "full_page_writes=off",
    "max_connections=200",
)


def binaries() -> Path | None:
    """The newest ``/usr/lib/postgresql/<version>/bin`` with ``initdb`` and ``postgres``."""
    found = [
        d
        for d in Path("/usr/lib/postgresql").glob("*/bin")
        if (d / "initdb").exists() and (d / "postgres").exists()
    ]
    return max(found, key=lambda d: int(d.parent.name)) if found else None


@dataclass
class PostgresServer:
    port: int
    folder: Path
    process: subprocess.Popen[bytes]
    host: str = "127.0.0.1"
    _names: Iterator[int] = field(default_factory=itertools.count)

    def url(self, database: str = "postgres") -> str:
        """The database as servers reach it: over TCP at ``host``."""
        return f"postgresql://{USER}@{self.host}:{self.port}/{database}"

    def admin_url(self, database: str = "postgres") -> str:
        """The database as the test process reaches it from any network namespace: its Unix
        socket."""
        return f"postgresql://{USER}@/{database}?host={self.folder / 'run'}&port={self.port}"

    def new_database(self) -> str:
        """A fresh, empty database; its URL."""
        import psycopg  # the test extra installs it

        name = f"t{os.getpid()}_{next(self._names)}"
        with psycopg.connect(self.admin_url(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name} STRATEGY FILE_COPY")
        return self.url(name)

    def stop(self) -> None:
        self.process.terminate()  # SIGTERM: PostgreSQL's "smart" shutdown
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


def _as_owner(argv: list[str]) -> list[str]:
    """Run as ``nobody`` when the tests run as root (initdb and postgres refuse root)."""
    if os.geteuid() != 0:
        return argv
    return ["runuser", "-u", "nobody", "--", *argv]


def start(
    host: str = "127.0.0.1", netns: str | None = None, clients: str | None = None
) -> PostgresServer:
    """A server listening on ``host`` only (loopback by default), inside network namespace
    ``netns`` when given, trusting connections from the subnet ``clients`` too (initdb trusts
    loopback only)."""
    bin_dir = binaries()
    if bin_dir is None:
        pytest.skip("PostgreSQL is not installed (Debian package postgresql: make system-deps)")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("psycopg is not installed (pip install -e '.[test]')")
    folder = Path(tempfile.mkdtemp(prefix="pendopo-pg-"))
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        os.chown(folder, nobody.pw_uid, nobody.pw_gid)
    data, sockets = folder / "data", folder / "run"
    subprocess.run(_as_owner(["mkdir", str(sockets)]), check=True, capture_output=True, cwd=folder)
    init = subprocess.run(
        _as_owner([str(bin_dir / "initdb"), "-D", str(data), "-U", USER, "--auth=trust", *INITDB]),
        capture_output=True,
        cwd=folder,
    )
    if init.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        raise RuntimeError(f"initdb failed: {init.stderr.decode(errors='replace')}")
    if clients is not None:
        with open(data / "pg_hba.conf", "a") as hba:
            hba.write(f"host all all {clients} trust\n")
    port = free_port()
    with open(folder / "postgres.log", "wb") as log:  # the child keeps its own descriptor
        process = _spawn(bin_dir, data, sockets, port, log, folder, host, netns)
    server = PostgresServer(port, folder, process, host)
    _wait_ready(server, folder / "postgres.log")
    return server


def _spawn(
    bin_dir: Path,
    data: Path,
    sockets: Path,
    port: int,
    log: IO[bytes],
    folder: Path,
    host: str,
    netns: str | None,
) -> subprocess.Popen[bytes]:
    settings = (f"listen_addresses={host}", *SERVER)
    argv = _as_owner(
        [str(bin_dir / "postgres"), "-D", str(data), "-p", str(port), "-k", str(sockets)]
        + [arg for name in settings for arg in ("-c", name)]
    )
    return subprocess.Popen(
        argv if netns is None else ["ip", "netns", "exec", netns, *argv],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=folder,
    )


def _wait_ready(server: PostgresServer, log: Path) -> None:
    import psycopg

    deadline = time.monotonic() + 30
    while True:
        if server.process.poll() is not None:
            text = log.read_text(errors="replace")
            shutil.rmtree(server.folder, ignore_errors=True)
            raise RuntimeError(f"postgres exited: {text}")
        with contextlib.suppress(psycopg.OperationalError):
            psycopg.connect(server.admin_url(), connect_timeout=2).close()
            return
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError("postgres did not accept connections within 30 s")
        time.sleep(0.1)
