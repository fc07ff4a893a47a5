"""Alert channels end to end: a real server sweeping loopback targets, a local SMTP server
(aiosmtpd) and a fake Telegram bot API (aiohttp), both on free loopback ports. An outage reaches
both within seconds, in Indonesian; each channel's kecamatan and kinds are respected; an
unacknowledged outage is sent again, an acknowledged one is not; villages failing together under
a kecamatan that stays up are one message; a refused delivery is shown on its channel."""

from __future__ import annotations

import asyncio
import email
import email.policy
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiosmtpd.controller import Controller

from edge.keys import DATABASE, LIVE
from tests.conftest import RunningServer, free_port, make_settings, start_server
from tests.network_inventory.live_helpers import add_site, add_target, wait_for
from tests.network_inventory.test_live import Listener

TOKEN = "123456:" + "A" * 35
BAD_TOKEN = "999999:" + "B" * 35


class Mailbox:
    def __init__(self) -> None:
        self.mails: list[EmailMessage] = []
        self.rcpt: list[list[str]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.mails.append(parsed)
        self.rcpt.append(list(envelope.rcpt_tos))
        return "250 OK"


@dataclass
class FakeTelegram:
    sent: list[dict[str, Any]] = field(default_factory=list)

    async def send_message(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != TOKEN:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        self.sent.append(await request.json())
        return web.json_response({"ok": True, "result": {"message_id": len(self.sent)}})


@dataclass
class Lab:
    server: RunningServer
    http: aiohttp.ClientSession
    mailbox: Mailbox
    telegram: FakeTelegram


@pytest.fixture
async def lab(tmp_path: Path) -> AsyncIterator[Lab]:
    mailbox = Mailbox()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    telegram = FakeTelegram()
    fake = web.Application()
    fake.router.add_post("/bot{token}/sendMessage", telegram.send_message)
    fake_runner = web.AppRunner(fake)
    await fake_runner.setup()
    tg_port = free_port()
    await web.TCPSite(fake_runner, "127.0.0.1", tg_port).start()
    settings = make_settings(
        tmp_path,
        probe_interval=1.0,
        probe_down_rounds=1,
        probe_up_rounds=1,
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        smtp_security="none",
        smtp_from="pendopo@sragenkab.go.id",
        telegram_api_url=f"http://127.0.0.1:{tg_port}",
    )
    runner, running = await start_server(settings)
    http = await running.signed_in_session()
    try:
        yield Lab(running, http, mailbox, telegram)
    finally:
        await http.close()
        await runner.cleanup()
        await fake_runner.cleanup()
        smtp.stop()


async def _post(http: aiohttp.ClientSession, path: str, body: dict[str, Any]) -> dict[str, Any]:
    async with http.post(path, json=body) as resp:
        assert resp.status in (200, 201), await resp.text()
        answer: dict[str, Any] = await resp.json()
        return answer


async def test_outage_mail_and_telegram_filters_escalation_ack_grouping(lab: Lab) -> None:
    app, http = lab.server.app, lab.http
    db, live = app[DATABASE], app[LIVE]
    office = await add_site(db, "T.0", "Kantor Bupati", "other", None)
    kec_a = await add_site(db, "T.1", "Kalijambe", "kecamatan", office)
    kec_b = await add_site(db, "T.2", "Plupuh", "kecamatan", office)
    kec_c = await add_site(db, "T.3", "Tanon", "kecamatan", office)
    village_a = [await add_site(db, f"T.1.{i}", f"Banaran {i}", "desa", kec_a) for i in (1, 2)]
    village_c = [await add_site(db, f"T.3.{i}", f"Gabugan {i}", "desa", kec_c) for i in (1, 2)]
    await add_target(db, office, "icmp", "127.0.0.1")
    listeners: dict[int, Listener] = {}
    for site in (kec_a, kec_b, kec_c, *village_a, *village_c):
        listeners[site] = Listener()
        await listeners[site].open()
        await add_target(db, site, "tcp", "127.0.0.1", port=listeners[site].port)

    mail = await _post(http, "/api/alert-channels", {
        "kind": "email", "name": "Piket TI", "recipients": ["ti@sragenkab.go.id"],
        "severities": ["down", "up"],
    })  # fmt: skip
    tg = await _post(http, "/api/alert-channels", {
        "kind": "telegram", "name": "Grup TI Kalijambe", "chat_id": "-1001234567890",
        "token": TOKEN, "kecamatan": ["T.1"], "severities": ["down"], "escalate_after_s": 1,
    })  # fmt: skip
    refused = await _post(http, "/api/alert-channels", {
        "kind": "telegram", "name": "Token salah", "chat_id": "@pendopo_uji", "token": BAD_TOKEN,
    })  # fmt: skip
    async with http.get("/api/alert-channels") as resp:
        listing = await resp.text()
    assert TOKEN not in listing and BAD_TOKEN not in listing
    assert tg["token_set"] is True and "token" not in tg

    await live.sweep_once()  # all up: nothing to tell
    await asyncio.sleep(0.5)
    assert lab.mailbox.mails == [] and lab.telegram.sent == []

    # Kalijambe is cut: one mail and one Telegram message, within seconds.
    for site in (kec_a, *village_a):
        await listeners[site].close()
    cut = time.monotonic()
    await live.sweep_once()
    await wait_for(lambda: len(lab.mailbox.mails) == 1 and len(lab.telegram.sent) == 1, 10)
    told_after = time.monotonic() - cut
    print(f"outage sweep start -> mail and Telegram delivered: {told_after:.2f} s")
    assert told_after < 10
    subject = str(lab.mailbox.mails[0]["Subject"])
    assert subject == "Pendopo: PUTUS: Kecamatan Kalijambe"
    assert lab.mailbox.rcpt[0] == ["ti@sragenkab.go.id"]
    body = lab.mailbox.mails[0].get_content()
    assert "Sejak: " in body and " WIB" in body
    assert "2 desa/kelurahan di belakangnya tak terjangkau:" in body
    assert "- Desa Banaran 1" in body and "- Desa Banaran 2" in body
    assert "T.1" not in body and "tcp" not in body  # no codes or probe methods
    message = lab.telegram.sent[0]
    assert message["chat_id"] == "-1001234567890"
    assert message["text"].startswith("PUTUS: Kecamatan Kalijambe")

    # The refused token is visible on its channel, without the token.
    async def channel(channel_id: int) -> dict[str, Any]:
        async with http.get(f"/api/alert-channels/{channel_id}") as resp:
            answer: dict[str, Any] = await resp.json()
            return answer

    error = ""
    end = time.monotonic() + 10
    while not error and time.monotonic() < end:
        error = (await channel(refused["id"]))["last_error"] or ""
        await asyncio.sleep(0.2)
    assert error == "Telegram: HTTP 401 Unauthorized" and BAD_TOKEN not in error

    # Plupuh is cut: the mail channel (all kecamatan) is told; Kalijambe's Telegram group is not.
    await listeners[kec_b].close()
    await live.sweep_once()
    await wait_for(lambda: len(lab.mailbox.mails) == 2, 10)
    assert str(lab.mailbox.mails[1]["Subject"]) == "Pendopo: PUTUS: Kecamatan Plupuh"

    # Nobody acknowledged Kalijambe: the Telegram group (escalation 1 s) is reminded.
    await wait_for(lambda: len(lab.telegram.sent) >= 2, 15)
    reminder = lab.telegram.sent[1]["text"]
    assert reminder.startswith("PENGINGAT ke-1: belum ada yang menangani")
    assert "PUTUS: Kecamatan Kalijambe" in reminder
    assert all("Plupuh" not in m["text"] for m in lab.telegram.sent)

    async with http.get("/api/alerts", params={"open": "1"}) as resp:
        open_alerts = (await resp.json())["items"]
    alert = next(a for a in open_alerts if a["site"]["name"] == "Kalijambe")
    assert alert["acknowledged"] is None and alert["open"] is True
    acked = await _post(http, f"/api/alerts/{alert['id']}/ack", {"note": "Teknisi menuju lokasi"})
    assert acked["acknowledged"]["note"] == "Teknisi menuju lokasi"
    assert acked["acknowledged"]["by"].endswith("(admin)") and acked["acknowledged"]["at"]
    async with http.post(f"/api/alerts/{alert['id']}/ack", json={"note": "lagi"}) as resp:
        assert resp.status == 409
    await asyncio.sleep(1.0)  # a reminder already under way may still land
    reminders = len(lab.telegram.sent)
    await asyncio.sleep(7)  # more than an escalation check and the escalation time
    assert len(lab.telegram.sent) == reminders
    assert len(lab.mailbox.mails) == 2  # the mail channel has no escalation

    # Tanon stays up while both its villages fail: one grouped message, not one per village.
    for site in village_c:
        await listeners[site].close()
    await live.sweep_once()
    await wait_for(lambda: len(lab.mailbox.mails) == 3, 10)
    await asyncio.sleep(0.5)
    assert len(lab.mailbox.mails) == 3
    grouped = lab.mailbox.mails[2]
    assert str(grouped["Subject"]) == "Pendopo: PUTUS: 2 lokasi di Kecamatan Tanon"
    text = grouped.get_content()
    assert "Kecamatan Tanon sendiri tetap terhubung" in text
    assert "- Desa Gabugan 1" in text and "- Desa Gabugan 2" in text
    async with http.get("/api/alerts", params={"limit": "1"}) as resp:
        newest = (await resp.json())["items"][0]
    assert newest["grouped"] is True and newest["affected_count"] == 2

    stats = await channel(mail["id"])
    assert stats["delivered"] == 3 and stats["failed"] == 0 and stats["last_error"] is None
    for listener in listeners.values():
        await listener.close()
