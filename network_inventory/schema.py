"""Inventory tables: the ``inventory`` component's migrations (append, never edit).

Other components reference these tables (the prober's ``inventory_history`` keys its samples
by ``probe_targets.id`` and ``sites.id``); they register after this one in ``pendopo/schema.py``.
"""

from __future__ import annotations

from network_inventory.names import name_key
from pendopo.db import Component, Connection

_V1 = """
CREATE TABLE sites (
    id INTEGER PRIMARY KEY,
    code TEXT UNIQUE,
    name TEXT NOT NULL CHECK (length(name) > 0),
    kind TEXT NOT NULL CHECK (
        kind IN ('kabupaten', 'kecamatan', 'desa', 'kelurahan', 'village', 'other')),
    parent_id INTEGER REFERENCES sites (id) ON DELETE RESTRICT,
    lat REAL CHECK (lat BETWEEN -90 AND 90),
    lon REAL CHECK (lon BETWEEN -180 AND 180),
    boundary TEXT,
    address TEXT,
    contact TEXT,
    notes TEXT,
    tags TEXT NOT NULL DEFAULT '[]',
    maintenance_from REAL,
    maintenance_until REAL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    CHECK (parent_id IS NULL OR parent_id <> id)
);
CREATE INDEX sites_parent ON sites (parent_id);
CREATE INDEX sites_kind ON sites (kind);

CREATE TABLE links (
    id INTEGER PRIMARY KEY,
    site_id INTEGER NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    parent_site_id INTEGER NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    medium TEXT NOT NULL DEFAULT 'other' CHECK (
        medium IN ('fiber', 'wireless', 'vsat', 'adsl', 'cellular', 'other')),
    provider TEXT,
    capacity_kbps INTEGER CHECK (capacity_kbps > 0),
    status TEXT NOT NULL DEFAULT 'planned' CHECK (
        status IN ('planned', 'installing', 'active', 'faulty', 'decommissioned')),
    target_date TEXT,
    installed_date TEXT,
    priority INTEGER NOT NULL DEFAULT 0 CHECK (priority >= 0),
    notes TEXT,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    CHECK (site_id <> parent_site_id)
);
CREATE INDEX links_site ON links (site_id);
CREATE INDEX links_parent ON links (parent_site_id);

CREATE TABLE probe_targets (
    id INTEGER PRIMARY KEY,
    site_id INTEGER NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    link_id INTEGER REFERENCES links (id) ON DELETE SET NULL,
    kind TEXT NOT NULL CHECK (kind IN ('icmp', 'tcp', 'http')),
    host TEXT NOT NULL,
    port INTEGER CHECK (port BETWEEN 1 AND 65535),
    url TEXT,
    expect_status INTEGER CHECK (expect_status BETWEEN 100 AND 599),
    interval_s REAL CHECK (interval_s >= 1),
    timeout_s REAL NOT NULL DEFAULT 2 CHECK (timeout_s > 0),
    count INTEGER NOT NULL DEFAULT 5 CHECK (count BETWEEN 1 AND 100),
    enabled INTEGER NOT NULL DEFAULT 1,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE INDEX probe_targets_site ON probe_targets (site_id);

CREATE TABLE change_log (
    id INTEGER PRIMARY KEY,
    at REAL NOT NULL,
    user TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id INTEGER,
    action TEXT NOT NULL,
    before TEXT,
    after TEXT
);
CREATE INDEX change_log_entity ON change_log (entity, entity_id);
"""


def _v2_name_key(conn: Connection) -> None:
    """Add the normalised name used for search and import matching; fill it for existing rows."""
    conn.execute("ALTER TABLE sites ADD COLUMN name_key TEXT NOT NULL DEFAULT ''")
    rows = conn.execute("SELECT id, name FROM sites").fetchall()
    conn.executemany(
        "UPDATE sites SET name_key = ? WHERE id = ?", [(name_key(r[1]), r[0]) for r in rows]
    )
    conn.execute("CREATE INDEX sites_parent_name ON sites (parent_id, name_key)")


COMPONENT = Component("inventory", [_V1, _v2_name_key])
