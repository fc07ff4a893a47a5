"""Users and sign-in sessions in SQLite.

A sign-in session is a random token kept only in the browser's cookie; the database stores its
SHA-256, so a copy of the database does not let anyone sign in.
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
import time
from dataclasses import dataclass

from accounts.model import Role, User
from accounts.passwords import hash_password, verify_password
from pendopo.db import Database

SESSION_LIFETIME = 12 * 3600.0


class AccountError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class NewSession:
    token: str
    user: User
    expires_at: float


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _user(row: sqlite3.Row) -> User:
    return User(
        id=row["id"],
        username=row["username"],
        role=Role(row["role"]),
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
        role: Role,
        *,
        display_name: str | None = None,
        site_code: str | None = None,
    ) -> User:
        username = username.strip()
        if not username or len(username) > 64:
            raise AccountError("invalid_username", "Username must be 1 to 64 characters.")
        if len(password) < 8:
            raise AccountError("weak_password", "Password must be at least 8 characters.")
        encoded = hash_password(password)

        def insert(conn: sqlite3.Connection) -> User:
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
            except sqlite3.IntegrityError as exc:
                raise AccountError("username_taken", f"User {username!r} exists.") from exc
            row = conn.execute("SELECT * FROM users WHERE id = ?", (cur.lastrowid,)).fetchone()
            return _user(row)

        return await self.db.write(insert)

    async def get_user(self, user_id: int) -> User | None:
        row = await self.db.fetchone("SELECT * FROM users WHERE id = ?", (user_id,))
        return _user(row) if row else None

    async def authenticate(self, username: str, password: str) -> User:
        row = await self.db.fetchone("SELECT * FROM users WHERE username = ?", (username.strip(),))
        if row is None or not verify_password(password, row["password_hash"]):
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

    async def end_all_sessions(self, user_id: int) -> None:
        await self.db.execute_write("DELETE FROM auth_sessions WHERE user_id = ?", (user_id,))
