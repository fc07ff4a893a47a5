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
        # 2: the audit log (accounts/audit.py). actor_id has no foreign key on purpose: the
        # history of an action outlives the account that did it.
        """
        CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY,
            at REAL NOT NULL,
            actor TEXT,
            actor_id INTEGER,
            role TEXT,
            address TEXT,
            action TEXT NOT NULL,
            target TEXT,
            detail TEXT
        );
        CREATE INDEX audit_log_at ON audit_log (at);
        CREATE INDEX audit_log_action ON audit_log (action, at);
        """,
        # 3: invite links (accounts/invites.py). The token itself is never stored, only its id.
        """
        CREATE TABLE invites (
            id TEXT PRIMARY KEY,
            room TEXT NOT NULL,
            site_code TEXT,
            require_lobby INTEGER NOT NULL DEFAULT 1,
            created_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
            created_at REAL NOT NULL,
            expires_at REAL NOT NULL,
            revoked_at REAL
        );
        CREATE INDEX invites_room ON invites (room);
        """,
        # 4: sessions that admit only people with an invite link (accounts/invites.py).
        """
        CREATE TABLE invite_policies (
            room TEXT PRIMARY KEY,
            required INTEGER NOT NULL DEFAULT 0,
            updated_at REAL NOT NULL
        );
        """,
    ],
)
