"""Accounts tables (migrations of the ``accounts`` component)."""

from pendopo.db import Component

COMPONENT = Component(
    "accounts",
    [
        """
        CREATE TABLE users (
            id INTEGER PRIMARY KEY,
            username TEXT NOT NULL UNIQUE COLLATE NOCASE,
            password_hash TEXT NOT NULL,
            role TEXT NOT NULL CHECK (role IN ('admin', 'host', 'it', 'viewer', 'site')),
            display_name TEXT NOT NULL,
            site_code TEXT,
            disabled INTEGER NOT NULL DEFAULT 0,
            created_at REAL NOT NULL
        );
        CREATE TABLE auth_sessions (
            token_hash TEXT PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            created_at REAL NOT NULL,
            expires_at REAL NOT NULL,
            address TEXT
        );
        CREATE INDEX auth_sessions_user ON auth_sessions (user_id);
        """,
    ],
)
