"""SQLite tables of the ``rooms`` component: durable room records (live state is in the store)."""

from pendopo.db import Component

COMPONENT = Component(
    "rooms",
    [
        """
        CREATE TABLE rooms (
            id TEXT PRIMARY KEY,
            title TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('open', 'locked', 'ended')),
            created_by INTEGER,
            created_at REAL NOT NULL,
            ended_at REAL
        );
        CREATE INDEX rooms_created_at ON rooms (created_at);
        """,
        # 2: the sites invited to a session (JSON list of codes): readiness before it starts.
        "ALTER TABLE rooms ADD COLUMN invited_sites TEXT NOT NULL DEFAULT '[]';",
        # 3: a scheduled session: its start (epoch seconds), length and agenda (rooms.schedule).
        """
        ALTER TABLE rooms ADD COLUMN starts_at REAL;
        ALTER TABLE rooms ADD COLUMN duration_min INTEGER;
        ALTER TABLE rooms ADD COLUMN agenda TEXT NOT NULL DEFAULT '';
        CREATE INDEX rooms_starts_at ON rooms (starts_at);
        """,
    ],
)
