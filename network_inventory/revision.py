"""The inventory's revision: a number that grows with every committed change of a site, link or
probe target, whoever wrote it (this server, ``pendopo import-regions`` in another process, an
administrator's sqlite3 shell).

Triggers bump it inside the writing transaction, so it commits with the change itself. A cache
of another process's writes (the join page's site directory) reads it — one row — to learn
whether its snapshot is stale, instead of hearing only the changes of its own process.
"""

from __future__ import annotations

from pendopo.db import Component, Connection

TABLES = ("sites", "links", "probe_targets")

_V1 = (
    "CREATE TABLE inventory_revision ("
    " id INTEGER PRIMARY KEY CHECK (id = 1), revision INTEGER NOT NULL);\n"
    "INSERT INTO inventory_revision (id, revision) VALUES (1, 0);\n"
    + "".join(
        f"CREATE TRIGGER {table}_{event.lower()}_revision AFTER {event} ON {table}"
        " BEGIN UPDATE inventory_revision SET revision = revision + 1; END;\n"
        for table in TABLES
        for event in ("INSERT", "UPDATE", "DELETE")
    )
)

COMPONENT = Component("inventory_revision", [_V1])
"""After the ``inventory`` component (its triggers are on the inventory's tables)."""


def read(conn: Connection) -> int:
    """The current revision (one indexed row)."""
    row = conn.execute("SELECT revision FROM inventory_revision WHERE id = 1").fetchone()
    return int(row[0])


__all__ = ["COMPONENT", "TABLES", "read"]
