"""``pendopo user ...`` run as a real subprocess against a data folder."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

from accounts import AccountError, AccountStore
from accounts.audit import AuditLog
from accounts.schema import COMPONENT
from pendopo.db import Database


def pendopo(data_dir: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pendopo", "user", *args, "--data-dir", str(data_dir)],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def _check(data_dir: Path) -> None:
    db = Database(data_dir / "pendopo.sqlite3")
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


def test_user_commands(tmp_path: Path) -> None:
    data = tmp_path / "data"
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
    asyncio.run(_check(data))
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
