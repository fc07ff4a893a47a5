"""``pendopo user ...`` run as a real subprocess against a data folder's SQLite file, or with
``--database-url`` against PostgreSQL."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from accounts import AccountError, AccountStore
from accounts.audit import AuditLog
from accounts.schema import COMPONENT
from pendopo.db import Database
from pendopo.db_postgres import PostgresBackend


def pendopo(where: list[str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """``pendopo user ARGS`` with ``where`` (``--data-dir``, ``--database-url``)."""
    return subprocess.run(
        [sys.executable, "-m", "pendopo", "user", *args, *where],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def _check(db: Database) -> None:
    db.open([COMPONENT])
    try:
        store = AccountStore(db)
        user = await store.authenticate("camat-gondang", "kata-sandi-baru")
        assert user.site_code == "33.14.08" and user.role.value == "site"
        try:
            await store.authenticate("camat-gondang", "kata-sandi-lama")
        except AccountError:
            pass
        else:
            raise AssertionError("old password still works")
        actions = [e.action for e in (await AuditLog(db).entries())[0]]
        assert "user.create" in actions and "user.password_reset" in actions
    finally:
        db.close()


def test_user_commands(tmp_path: Path, new_database: Callable[[str], Database]) -> None:
    db = new_database("pendopo.sqlite3")  # on SQLite: the data folder's file
    data = ["--data-dir", str(tmp_path)]
    if isinstance(db.backend, PostgresBackend):
        data += ["--database-url", db.backend.url]
    add = pendopo(
        data,
        "add",
        "camat-gondang",
        "--role",
        "site",
        "--site-code",
        "33.14.08",
        "--password-stdin",
        stdin="kata-sandi-lama\n",
    )
    assert add.returncode == 0, add.stderr
    assert "kata-sandi-lama" not in add.stdout + add.stderr
    passwd = pendopo(data, "passwd", "camat-gondang", "--password-stdin", stdin="kata-sandi-baru\n")
    assert passwd.returncode == 0, passwd.stderr
    asyncio.run(_check(db))
    generated = pendopo(data, "add", "it-staff", "--role", "it", "--generate")
    assert generated.returncode == 0 and "password (shown once): " in generated.stdout
    assert pendopo(data, "disable", "it-staff").returncode == 0
    listing = pendopo(data, "list")
    assert "camat-gondang\tsite\t33.14.08\tactive" in listing.stdout
    assert "it-staff\tit\t-\tdisabled" in listing.stdout
    missing = pendopo(data, "disable", "nobody")
    assert missing.returncode == 1 and "no user" in missing.stderr
    weak = pendopo(data, "add", "x", "--password-stdin", stdin="short\n")
    assert weak.returncode == 1 and "at least 8" in weak.stderr
