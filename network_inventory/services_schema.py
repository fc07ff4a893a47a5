"""Tables of the KPT service catalogue: the ``kpt_services`` component (append, never edit).

The KPT (Kantor Pelayanan Terpadu) lists its services on a board at its entrance: a name,
perizinan (permit) or non-perizinan, and the promised duration. Some are delegated to the
kecamatan offices; ``kpt_service_sites`` says which kecamatan offer which service.
``kpt_catalogue`` remembers that the catalogue was seeded once (so a service the KPT deleted is
never put back). Registered after the ``inventory`` component (it references ``sites``).
"""

from __future__ import annotations

from pendopo.db import Component

_V1 = """
CREATE TABLE kpt_services (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL CHECK (length(name) > 0),
    name_key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('perizinan', 'non-perizinan')),
    duration TEXT,
    delegated INTEGER NOT NULL DEFAULT 0 CHECK (delegated IN (0, 1)),
    notes TEXT,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);

CREATE TABLE kpt_service_sites (
    service_id INTEGER NOT NULL REFERENCES kpt_services (id) ON DELETE CASCADE,
    site_id INTEGER NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    PRIMARY KEY (service_id, site_id)
) WITHOUT ROWID;
CREATE INDEX kpt_service_sites_site ON kpt_service_sites (site_id);

CREATE TABLE kpt_catalogue (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seeded_at REAL NOT NULL
);
"""

COMPONENT = Component("kpt_services", [_V1])

__all__ = ["COMPONENT"]
