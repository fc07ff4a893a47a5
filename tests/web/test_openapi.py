"""GET /api/openapi.json documents every /api/ route the app registers."""

from __future__ import annotations

from pathlib import Path

import pytest

from pendopo.app import create_app
from pendopo.config import Settings
from tests.conftest import RunningServer
from web import openapi


def test_every_registered_api_route_is_documented(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path))
    routes = openapi.api_routes(app)
    assert ("GET", "/api/sites/{ref}") in routes and ("POST", "/api/import/regions") in routes
    assert openapi.missing(app) == [], "describe these routes with web.openapi.describe()"
    doc = openapi.document(app)
    documented = {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops}
    assert documented == set(routes)
    for ops in doc["paths"].values():
        for op in ops.values():
            assert op["summary"] and op["responses"]


async def test_document_is_served_and_refs_resolve(server: RunningServer) -> None:
    http = await server.signed_in_session()
    async with http:
        async with http.get("/api/openapi.json") as resp:
            doc = await resp.json()
    assert doc["openapi"].startswith("3.1")
    sites = doc["paths"]["/api/sites"]["get"]
    assert {"limit", "offset", "kind", "parent", "status", "state", "q"} <= {
        p["name"] for p in sites["parameters"]
    }
    text = str(doc)
    for name in doc["components"]["schemas"]:
        assert name in text
    refs = {part.split("'")[0] for part in text.split("#/components/schemas/")[1:]}
    assert refs <= set(doc["components"]["schemas"])


def test_inventory_schemas_are_the_records_declarations(tmp_path: Path) -> None:
    """The request and response schemas of sites, links and probe targets are made from the
    declarations the server checks and answers with (network_inventory/records.py, model.py):
    a field added to one is in the document, enums list every value, required fields say so."""
    from dataclasses import fields

    from network_inventory.model import Link, ProbeTarget, Site, SiteKind
    from network_inventory.records import LinkInput, ProbeInput, SiteInput

    schemas = openapi.document(create_app(Settings(data_dir=tmp_path)))["components"]["schemas"]
    for model in (SiteInput, LinkInput, ProbeInput):
        assert set(schemas[model.__name__]["properties"]) == set(model.model_fields)
        assert schemas[model.__name__]["additionalProperties"] is False
    for record in (Site, Link, ProbeTarget):
        assert {f.name for f in fields(record)} <= set(schemas[record.__name__]["properties"])
    assert schemas["SiteKind"]["enum"] == [k.value for k in SiteKind]
    assert set(schemas["SiteInput"]["required"]) == {"name", "kind"}
    assert schemas["ProbeInput"]["required"] == ["kind"]
    port = schemas["ProbeInput"]["properties"]["port"]["anyOf"][0]
    assert (port["minimum"], port["maximum"]) == (1, 65535)


def test_other_records_schemas_are_their_declarations(tmp_path: Path) -> None:
    """Maintenance windows, link thresholds, alert channels, services, new sessions, users and
    the attendance list: each request schema lists exactly the fields its pydantic declaration
    checks, each answer schema the fields of the declared answer."""
    from dataclasses import fields

    from accounts.model import User
    from accounts.user_input import PasswordReset, UserInput
    from network_inventory.alert_log import AckInput
    from network_inventory.channels import AlertChannel, ChannelChange, ChannelInput
    from network_inventory.maintenance_windows import MaintenanceWindow, MaintenanceWindowInput
    from network_inventory.services import ServiceAnswer, ServiceChange, ServiceInput
    from network_inventory.thresholds import Baseline, ThresholdsInput
    from rooms.attendance import Attendance, AttendanceLine, AttendanceRoom
    from rooms.new_session import SessionInput
    from rooms.session_answer import SessionAnswer, SessionSummary

    schemas = openapi.document(create_app(Settings(data_dir=tmp_path)))["components"]["schemas"]
    inputs = (MaintenanceWindowInput, ThresholdsInput, ChannelInput, ChannelChange, AckInput,
              ServiceInput, ServiceChange, SessionInput, UserInput, PasswordReset)  # fmt: skip
    for model in inputs:
        shown = {n for n, f in model.model_fields.items() if not f.exclude}
        assert set(schemas[model.__name__]["properties"]) == shown, model
    answers = (MaintenanceWindow, Baseline, AlertChannel, ServiceAnswer, SessionAnswer,
               SessionSummary, User, Attendance, AttendanceRoom)  # fmt: skip
    for record in answers:
        assert set(schemas[record.__name__]["properties"]) == {f.name for f in fields(record)}
    assert set(schemas["AttendanceLine"]["properties"]) == {
        *(f.name for f in fields(AttendanceLine)),
        "absent",
    }
    assert set(schemas["ServiceInput"]["required"]) == {"name", "kind"}
    assert set(schemas["ChannelInput"]["required"]) == {"kind", "name"}
    assert "required" not in schemas["ChannelChange"]
    assert schemas["ChannelKind"]["enum"] == ["email", "telegram"]


def test_alerts_board_and_webhooks_are_their_declarations(tmp_path: Path) -> None:
    """The alert list, the public KPT board and the webhooks: request schemas list exactly the
    fields their pydantic declarations check, answers the fields of the declared answers (no
    hand-written schema left beside them)."""
    from dataclasses import fields

    from network_inventory.alert_log import Acknowledgement, Alert, AlertKind, AlertSite
    from network_inventory.service_board import BoardOffice, BoardService, OfficeNow, ServiceBoard
    from network_inventory.webhooks import Webhook, WebhookChange, WebhookInput

    doc = openapi.document(create_app(Settings(data_dir=tmp_path)))
    schemas = doc["components"]["schemas"]
    for model in (WebhookInput, WebhookChange):
        assert set(schemas[model.__name__]["properties"]) == set(model.model_fields)
        assert schemas[model.__name__]["additionalProperties"] is False
    assert schemas["WebhookInput"]["required"] == ["url"]
    assert "required" not in schemas["WebhookChange"]
    answers = (Alert, AlertSite, Acknowledgement, ServiceBoard, BoardService, OfficeNow,
               BoardOffice, Webhook)  # fmt: skip
    for record in answers:
        assert set(schemas[record.__name__]["properties"]) == {f.name for f in fields(record)}
    assert schemas["AlertKind"]["enum"] == [k.value for k in AlertKind]
    assert schemas["Availability"]["enum"] == ["available", "interrupted", "maintenance", "unknown"]

    def answer(path: str, method: str, status: str = "200") -> dict[str, object]:
        schema: dict[str, object] = doc["paths"][path][method]["responses"][status]["content"][
            "application/json"
        ]["schema"]
        return schema

    assert answer("/api/alerts", "get")["properties"]["items"]["items"] == openapi.ref("Alert")  # type: ignore[index]
    assert answer("/api/alerts/{id}/ack", "post") == openapi.ref("Alert")
    assert answer("/api/public/services", "get") == openapi.ref("ServiceBoard")
    assert answer("/api/webhooks/{id}", "get") == openapi.ref("Webhook")
    assert answer("/api/webhooks", "post", "201") == openapi.ref("Webhook")
    body = doc["paths"]["/api/webhooks"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"] == openapi.ref("WebhookInput")


def test_user_site_code_and_password_reset_say_what_the_server_accepts(tmp_path: Path) -> None:
    """The site code's pattern is the one the server checks with (a code like ``KPT-1`` is
    accepted, so the document must not say digits and dots only), and a password reset
    without a body (one is generated) is not documented as needing one."""
    import re

    from accounts.store import AccountError
    from accounts.user_input import SITE_CODE_RE, UserInput

    doc = openapi.document(create_app(Settings(data_dir=tmp_path)))
    site_code = doc["components"]["schemas"]["UserInput"]["properties"]["site_code"]
    assert site_code["pattern"] == SITE_CODE_RE.pattern
    for code in ("33.14.01", "KPT-1", "a.b-c", "x" * 32):
        UserInput.parse({"username": "u", "role": "site", "site_code": code})
        assert re.search(site_code["pattern"], code)
    for code in ("33 14", "x" * 33, "kode/1"):
        with pytest.raises(AccountError):
            UserInput.parse({"username": "u", "role": "site", "site_code": code})
        assert not re.search(site_code["pattern"], code)
    reset = doc["paths"]["/api/admin/users/{user_id}/password"]["post"]["requestBody"]
    assert reset["required"] is False
    create = doc["paths"]["/api/admin/users"]["post"]["requestBody"]
    assert create["required"] is True


def test_invites_recordings_report_events_and_history_are_their_declarations(
    tmp_path: Path,
) -> None:
    """The answers that had hand-written schemas (invite links, recordings, the monthly report,
    the event log, a site's history and call quality, the audit log) are documented by the
    declarations that build them; a recording's answer keeps the fields of its record on disk,
    plus its duration."""
    from dataclasses import fields

    from accounts.audit import AuditEntry
    from accounts.invites import InviteAnswer, InviteCreated, InviteInput, InviteList, InvitePolicy
    from media.recordings import RecordedParticipant, RecordingMeta
    from network_inventory.availability import (
        AvailabilityReport,
        GroupMonth,
        KecamatanMonth,
        MediumMonth,
        ProviderMonth,
        SiteMonth,
    )
    from network_inventory.call_quality import CallPoint, CallQualityReport, CallSession
    from network_inventory.events import StateEvent
    from network_inventory.history import HistoryPoint, SiteHistory
    from network_inventory.live_answer import (
        ProbingStatus,
        Rollout,
        SiteBaseline,
        SiteState,
        StateAnswer,
    )
    from network_inventory.probing.result import TargetRound
    from network_inventory.services import ServiceList
    from rooms.recording_answer import RecordingAnswer, RecordingList
    from rooms.site_answers import (
        LabelledSite,
        LabelledSites,
        ReadinessRoom,
        SessionReadiness,
        SiteChoice,
        SiteChoices,
        SiteReadiness,
    )

    doc = openapi.document(create_app(Settings(data_dir=tmp_path)))
    schemas = doc["components"]["schemas"]
    answers = (InviteAnswer, InviteCreated, InviteList, RecordingAnswer, RecordingList,
               RecordedParticipant, AvailabilityReport, GroupMonth, KecamatanMonth, MediumMonth,
               ProviderMonth, SiteMonth, StateEvent, HistoryPoint, SiteHistory, AuditEntry,
               CallQualityReport, CallPoint, CallSession, StateAnswer, SiteState, TargetRound,
               SiteBaseline, Rollout, ProbingStatus, SessionReadiness, SiteReadiness,
               ReadinessRoom, SiteChoices, SiteChoice, LabelledSites, LabelledSite,
               ServiceList)  # fmt: skip
    for record in answers:
        assert set(schemas[record.__name__]["properties"]) == {f.name for f in fields(record)}
    assert {f.name for f in fields(RecordingAnswer)} == {
        *(f.name for f in fields(RecordingMeta)),
        "duration_s",
    }
    assert schemas["InviteAnswer"]["properties"]["id"]["type"] == "string"
    for model in (InviteInput, InvitePolicy):
        assert set(schemas[model.__name__]["properties"]) == set(model.model_fields)
    ttl = schemas["InviteInput"]["properties"]["ttl_hours"]
    assert (ttl["minimum"], ttl["maximum"]) == (1, 720) and "required" not in schemas["InviteInput"]
    assert schemas["InvitePolicy"]["required"] == ["required"]
    assert schemas["StateEvent"]["properties"]["state"] == openapi.ref("State")

    def answer(path: str, method: str = "get", status: str = "200") -> object:
        return doc["paths"][path][method]["responses"][status]["content"]["application/json"][
            "schema"
        ]

    assert answer("/api/rooms/{room_id}/invites", "post", "201") == openapi.ref("InviteCreated")
    assert answer("/api/rooms/{room_id}/invites") == openapi.ref("InviteList")
    assert answer("/api/rooms/{room_id}/recordings") == openapi.ref("RecordingList")
    assert answer("/api/reports/availability") == openapi.ref("AvailabilityReport")
    assert answer("/api/sites/{id}/history") == openapi.ref("SiteHistory")
    assert answer("/api/events") == openapi.page_of("StateEvent")
    assert answer("/api/admin/audit") == openapi.page_of("AuditEntry")
    assert answer("/api/state") == openapi.ref("StateAnswer")
    assert answer("/api/rooms/{room_id}/readiness") == openapi.ref("SessionReadiness")
    assert answer("/api/sites/picker") == openapi.ref("SiteChoices")
    assert answer("/api/sites/all") == openapi.ref("LabelledSites")
    assert answer("/api/services") == openapi.ref("ServiceList")
    assert {"ServiceAnswer", "Structure"} <= set(schemas)
    assert answer("/api/sites/{id}/call-quality") == openapi.ref("CallQualityReport")
