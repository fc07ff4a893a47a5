"""Users and sign-in sessions in SQLite.

A sign-in session is a random token kept only in the browser's cookie; the database stores its
SHA-256, so a copy of the database does not let anyone sign in.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import Any

from accounts.model import AccountRole, User
from accounts.passwords import hash_password, verify_password
from pendopo.db import Connection, Database, IntegrityError, Row, Then, and_then

SESSION_LIFETIME = 12 * 3600.0


class AccountError(Exception):
    def __init__(self, code: str, message: str, *, details: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details
        """``[{"field", "message"}, ...]`` of a request's bad fields, when it has them."""


@dataclass(frozen=True)
class NewSession:
    token: str
    user: User
    expires_at: float


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


MIN_PASSWORD = 8
MAX_PASSWORD = 1024
"""Longer passwords are refused before hashing (scrypt over megabytes is a cheap DoS)."""


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError("weak_password", f"Password must be at least {MIN_PASSWORD} characters.")
    if len(password) > MAX_PASSWORD:
        raise AccountError(
            "invalid_password", f"Password must be at most {MAX_PASSWORD} characters."
        )


_DUMMY: list[str] = []


async def _dummy_hash() -> str:
    if not _DUMMY:
        _DUMMY.append(await asyncio.to_thread(hash_password, secrets.token_urlsafe(16)))
    return _DUMMY[0]


def _user(row: Row) -> User:
    return User(
        id=row["id"],
        username=row["username"],
        role=AccountRole(row["role"]),
        display_name=row["display_name"],
        site_code=row["site_code"],
        disabled=bool(row["disabled"]),
    )


class AccountStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def count_users(self) -> int:
        row = await self.db.fetchone("SELECT count(*) FROM users")
        return int(row[0]) if row else 0

    async def create_user(
        self,
        username: str,
        password: str,
        role: AccountRole,
        *,
        display_name: str | None = None,
        site_code: str | None = None,
        then: Then | None = None,
    ) -> User:
        username = username.strip()
        if not username or len(username) > 64:
            raise AccountError("invalid_username", "Username must be 1 to 64 characters.")
        _check_password(password)
        encoded = await asyncio.to_thread(hash_password, password)

        def insert(conn: Connection) -> User:
            try:
                cur = conn.execute(
                    "INSERT INTO users (username, password_hash, role, display_name, site_code,"
                    " created_at) VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        username,
                        encoded,
                        role.value,
                        display_name or username,
                        site_code,
                        time.time(),
                    ),
                )
            except IntegrityError as exc:
                raise AccountError("username_taken", f"User {username!r} exists.") from exc
            row = conn.execute("SELECT * FROM users WHERE id = ?", (cur.lastrowid,)).fetchone()
            return _user(row)

        return await self.db.write(and_then(insert, then))

    async def get_user(self, user_id: int) -> User | None:
        row = await self.db.fetchone("SELECT * FROM users WHERE id = ?", (user_id,))
        return _user(row) if row else None

    async def get_user_by_name(self, username: str) -> User | None:
        row = await self.db.fetchone("SELECT * FROM users WHERE username = ?", (username.strip(),))
        return _user(row) if row else None

    async def list_users(self) -> list[User]:
        rows = await self.db.fetchall("SELECT * FROM users ORDER BY username")
        return [_user(r) for r in rows]

    async def set_password(self, user_id: int, password: str, *, then: Then | None = None) -> None:
        """Replace a password and end every session of that user (``then``: the caller's audit
        record, in the same transaction)."""
        _check_password(password)
        encoded = await asyncio.to_thread(hash_password, password)

        def run(conn: Connection) -> None:
            cur = conn.execute(
                "UPDATE users SET password_hash = ? WHERE id = ?", (encoded, user_id)
            )
            if cur.rowcount == 0:
                raise AccountError("no_such_user", "There is no such user.")
            conn.execute("DELETE FROM auth_sessions WHERE user_id = ?", (user_id,))

        await self.db.write(and_then(run, then))

    async def set_disabled(self, user_id: int, disabled: bool, *, then: Then | None = None) -> None:
        """Disable (ending every session) or re-enable an account."""

        def run(conn: Connection) -> None:
            cur = conn.execute(
                "UPDATE users SET disabled = ? WHERE id = ?", (int(disabled), user_id)
            )
            if cur.rowcount == 0:
                raise AccountError("no_such_user", "There is no such user.")
            if disabled:
                conn.execute("DELETE FROM auth_sessions WHERE user_id = ?", (user_id,))

        await self.db.write(and_then(run, then))

    async def authenticate(self, username: str, password: str) -> User:
        if len(password) > MAX_PASSWORD or len(username) > 256:
            raise AccountError("bad_credentials", "Wrong username or password.")
        row = await self.db.fetchone("SELECT * FROM users WHERE username = ?", (username.strip(),))
        # scrypt runs in a thread (it takes tens of ms), and also for unknown usernames, so the
        # answer takes as long whether or not the user exists.
        encoded = row["password_hash"] if row is not None else await _dummy_hash()
        ok = await asyncio.to_thread(verify_password, password, encoded)
        if row is None or not ok:
            raise AccountError("bad_credentials", "Wrong username or password.")
        user = _user(row)
        if user.disabled:
            raise AccountError("account_disabled", "This account is disabled.")
        return user

    async def start_session(self, user: User, *, address: str | None = None) -> NewSession:
        token = secrets.token_urlsafe(32)
        now = time.time()
        expires = now + SESSION_LIFETIME
        await self.db.execute_write(
            "INSERT INTO auth_sessions (token_hash, user_id, created_at, expires_at, address)"
            " VALUES (?, ?, ?, ?, ?)",
            (_token_hash(token), user.id, now, expires, address),
        )
        return NewSession(token, user, expires)

    async def user_for_token(self, token: str) -> User | None:
        row = await self.db.fetchone(
            "SELECT u.* FROM auth_sessions s JOIN users u ON u.id = s.user_id"
            " WHERE s.token_hash = ? AND s.expires_at > ? AND u.disabled = 0",
            (_token_hash(token), time.time()),
        )
        return _user(row) if row else None

    async def end_session(self, token: str) -> None:
        await self.db.execute_write(
            "DELETE FROM auth_sessions WHERE token_hash = ?", (_token_hash(token),)
        )

    async def end_all_sessions(self, user_id: int, *, then: Then | None = None) -> int:
        """Sign a user out everywhere; returns how many sessions ended."""

        def run(conn: Connection) -> int:
            return conn.execute("DELETE FROM auth_sessions WHERE user_id = ?", (user_id,)).rowcount

        return await self.db.write(and_then(run, then))

    async def purge_expired_sessions(self) -> int:
        def run(conn: Connection) -> int:
            return conn.execute(
                "DELETE FROM auth_sessions WHERE expires_at <= ?", (time.time(),)
            ).rowcount

        return await self.db.write(run)
