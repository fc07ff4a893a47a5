"""Real answers match the OpenAPI document, field for field: a session's readiness, the site
choices, invite links (and their audit entries), recordings, the monthly availability report,
the live state, the service catalogue, the event log, a site's history and its call quality,
each with records in it (the schemathesis run in tests/security mostly sees these lists empty).
The document's object schemas are made strict here (no field beyond the declared ones), so an
answer that grows a field its declaration lacks fails as surely as one that misses a required
field."""

from __future__ import annotations

import copy
import json
import sqlite3
import time
from typing import Any

import aiohttp
import jsonschema_rs

from edge.keys import DATABASE
from media.quality import QualitySample
from media.recordings import META, RecordedParticipant, RecordingMeta
from network_inventory.call_quality import CallSample, insert
from network_inventory.probing.result import ProbeResult, TargetRound
from pendopo.declared import as_json
from tests.conftest import RunningServer
from tests.network_inventory.report_helpers import kalijambe_november
from web import openapi


def _strict(node: Any) -> Any:
    """``node`` with ``additionalProperties: false`` on every object schema that lists its
    properties and says nothing about others."""
    if isinstance(node, dict):
        out = {k: _strict(v) for k, v in node.items()}
        if "properties" in out and "additionalProperties" not in out:
            out["additionalProperties"] = False
        return out
    if isinstance(node, list):
        return [_strict(v) for v in node]
    return node


class Documented:
    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc
        self.components = _strict(copy.deepcopy(doc["components"]))

    def check(self, method: str, path: str, status: int, body: object) -> None:
        responses = self.doc["paths"][path][method.lower()]["responses"]
        schema = responses[str(status)]["content"]["application/json"]["schema"]
        validator = jsonschema_rs.Draft202012Validator(
            {**_strict(schema), "components": self.components}
        )
        errors = [f"{e.instance_path}: {e.message}" for e in validator.iter_errors(body)]
        assert not errors, f"{method} {path} {status}: {errors[:5]}\n{body!r:.600}"


async def _call(
    http: aiohttp.ClientSession, method: str, url: str, status: int, **kw: Any
) -> dict[str, Any]:
    async with http.request(method, url, **kw) as resp:
        assert resp.status == status, await resp.text()
        body: dict[str, Any] = await resp.json()
    return body


async def test_meeting_answers_are_as_documented(server: RunningServer) -> None:
    doc = Documented(openapi.document(server.app))
    http = await server.signed_in_session()
    async with http:
        body = {"title": "Rapat", "invited_sites": ["33.14.01", "33.14.02.2001"]}
        room = (await _call(http, "POST", "/api/rooms", 201, json=body))["room"]
        ready = await _call(http, "GET", f"/api/rooms/{room['id']}/readiness", 200)
        assert [s["code"] for s in ready["sites"]] == body["invited_sites"]
        doc.check("GET", "/api/rooms/{room_id}/readiness", 200, ready)
        picker = await _call(http, "GET", "/api/sites/picker", 200, params={"parent": "33.14.01"})
        assert picker["items"] and picker["parent"] == "33.14.01"
        doc.check("GET", "/api/sites/picker", 200, picker)
        labelled = await _call(http, "GET", "/api/sites/all", 200)
        assert any(s["kecamatan"] for s in labelled["items"])
        doc.check("GET", "/api/sites/all", 200, labelled)
        invites = f"/api/rooms/{room['id']}/invites"
        created = await _call(http, "POST", invites, 201, json={"ttl_hours": 2})
        doc.check("POST", "/api/rooms/{room_id}/invites", 201, created)
        await _call(http, "POST", invites, 201, json={"site_code": "33.14.01"})
        listed = await _call(http, "GET", invites, 200)
        assert len(listed["items"]) == 2 and isinstance(listed["items"][0]["id"], str)
        doc.check("GET", "/api/rooms/{room_id}/invites", 200, listed)
        audit = await _call(http, "GET", "/api/admin/audit", 200, params={"action": "invite."})
        assert audit["total"] == 2 and audit["items"][0]["detail"]
        doc.check("GET", "/api/admin/audit", 200, audit)

        folder = server.settings.recordings_path / room["id"] / "rec1"
        folder.mkdir(parents=True)
        meta = RecordingMeta(
            id="rec1",
            room_id=room["id"],
            title="Rapat",
            started_at=time.time() - 60,
            started_by="admin",
            stopped_at=time.time(),
            participants=[
                RecordedParticipant("p1", "Bu Sri", "33.14.01", "p1.webm", 0.0, 55.0),
                RecordedParticipant("s1", "Layar", None, "s1.webm", 5.0, None, screen_of="p1"),
            ],
            timeline=[(0.5, "p1", True), (3.0, "p1", False)],
        )
        (folder / META).write_text(json.dumps(meta.public()), encoding="utf-8")
        recordings = await _call(http, "GET", f"/api/rooms/{room['id']}/recordings", 200)
        (answer,) = recordings["items"]
        assert answer["duration_s"] is not None and answer["timeline"][0] == [0.5, "p1", True]
        assert answer["participants"][1]["screen_of"] == "p1"
        doc.check("GET", "/api/rooms/{room_id}/recordings", 200, recordings)


async def test_report_events_history_and_call_quality_answer_as_documented(
    server: RunningServer,
) -> None:
    await kalijambe_november(server)
    now = int(time.time())

    def samples(conn: sqlite3.Connection) -> int:
        site: int = conn.execute("SELECT id FROM sites WHERE code = '33.14.01'").fetchone()[0]
        conn.executemany(
            "INSERT INTO probe_samples (site_id, at, sent, received, rtt_min, rtt_median,"
            " rtt_max) VALUES (?, ?, 3, 3, 1.5, 2.0, 3.5)",
            [(site, now - 600), (site, now - 300)],
        )
        return site

    site = await server.app[DATABASE].write(samples)
    figures = QualitySample(5.0, 40.0, 0.01, 0.02, 3.0, 300.0, 900.0)
    calls = [CallSample.of("33.14.01", "rapat-1", p, now - 60, figures) for p in ("a", "b")]
    await server.app[DATABASE].write(lambda conn: insert(conn, calls))
    doc = Documented(openapi.document(server.app))
    http = await server.signed_in_session()
    async with http:
        report = await _call(http, "GET", "/api/reports/availability?month=2026-11", 200)
        assert report["sites"] and report["kecamatan"] and report["providers"] and report["media"]
        doc.check("GET", "/api/reports/availability", 200, report)
        events = await _call(http, "GET", "/api/events", 200, params={"site": "33.14.01"})
        assert events["total"] == 5 and events["items"][0]["code"] == "33.14.01"
        doc.check("GET", "/api/events", 200, events)
        services = await _call(http, "GET", "/api/services", 200)
        assert services["items"] and services["structure"]["perizinan"] > 0
        doc.check("GET", "/api/services", 200, services)
        state = await _call(http, "GET", "/api/state", 200, params={"limit": "50"})
        assert len(state["items"]) == 50 and state["total"] > 50 and state["rollout"]
        doc.check("GET", "/api/state", 200, state)
        history = await _call(http, "GET", f"/api/sites/{site}/history", 200)
        assert sum(p["samples"] for p in history["points"]) == 2
        doc.check("GET", "/api/sites/{id}/history", 200, history)
        quality = await _call(http, "GET", f"/api/sites/{site}/call-quality", 200)
        assert quality["points"] and quality["sessions"][0]["participants"] == 2
        doc.check("GET", "/api/sites/{id}/call-quality", 200, quality)


def test_a_stored_probe_round_reads_back_as_the_declared_target_round() -> None:
    """The rounds kept with a site's status are written by ``ProbeResult.public()`` and read
    back into ``TargetRound`` for ``GET /api/state``: one declaration, nothing lost or added."""
    result = ProbeResult(7, 3, "tcp", "tcp", 3, 2, (1.25, 2.5), error=None, at=5.0)
    stored = result.public()
    assert as_json(TargetRound.of(stored)) == stored
    assert stored["rtt_median_ms"] == 1.875 and stored["loss"] == 0.3333
    assert as_json(TargetRound.of({"target_id": 1}))["error"] is None  # an older row: nulls
