"""Tables of the alert channels: the ``alert_channels`` component (append, never edit).

``alert_channels``: where people are told about outages (e-mail recipients or a Telegram chat),
for which kecamatan and which alert kinds, and when to re-send an unacknowledged outage; with
the channel's last delivery result. ``alert_sends``: when each alert last reached each channel
(the escalation clock). ``alert_acks``: who acknowledged an alert, when, with which note.
Registered after ``inventory_history`` (it references ``inventory_alerts``); an alert removed by
the event log's retention takes its sends and acknowledgement with it.
"""

from __future__ import annotations

from pendopo.db import Component

_V1 = """
CREATE TABLE alert_channels (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('email', 'telegram')),
    name TEXT NOT NULL CHECK (length(name) > 0),
    recipients TEXT NOT NULL DEFAULT '[]',
    chat_id TEXT,
    token TEXT,
    kecamatan TEXT NOT NULL DEFAULT '[]',
    severities TEXT NOT NULL DEFAULT '["down", "degraded", "up"]',
    escalate_after_s INTEGER CHECK (escalate_after_s IS NULL OR escalate_after_s >= 1),
    enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    last_attempt_at REAL,
    last_ok_at REAL,
    last_error TEXT,
    delivered INTEGER NOT NULL DEFAULT 0,
    failed INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE alert_sends (
    channel_id INTEGER NOT NULL REFERENCES alert_channels (id) ON DELETE CASCADE,
    alert_id INTEGER NOT NULL REFERENCES inventory_alerts (id) ON DELETE CASCADE,
    sent_at REAL NOT NULL,
    sends INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (channel_id, alert_id)
);

CREATE TABLE alert_acks (
    alert_id INTEGER PRIMARY KEY REFERENCES inventory_alerts (id) ON DELETE CASCADE,
    at REAL NOT NULL,
    user TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT ''
);
"""

COMPONENT = Component("alert_channels", [_V1])
