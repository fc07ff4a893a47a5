"""Delivering alerts to people: e-mail over SMTP (``aiosmtplib``) and Telegram (the bot API's
``sendMessage``), per channel (``channels.py``), in Indonesian (``alert_text.py``).

``ChannelDispatcher.submit`` is a listener of ``alerts.WebhookDispatcher``: it queues the alert
and returns at once, so a slow mail server never holds up the probe sweep. Each channel that
wants the alert (its kecamatan, its kinds) gets it in a task of its own, retried with
exponential backoff; the result after the last try is stored on the channel (``last_error``,
``delivered``, ``failed``) and logged. Every open outage nobody acknowledged (``alert_log.py``)
is sent again to each channel with ``escalate_after_s`` once that long has passed since the last
send — including one whose earlier delivery failed, so an outage is never lost silently.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any, Protocol

import aiohttp
import aiosmtplib

from network_inventory.alert_log import LATEST, OPEN_KINDS, shown_states, still_open
from network_inventory.alert_text import Message, Place, compose
from network_inventory.alerts import Backoff, enqueue
from network_inventory.channels import Channel, Channels
from pendopo.db import Connection, Database, IntegrityError
from pendopo.tasks import TaskSet, cancel_and_wait

log = logging.getLogger(__name__)


class DeliveryError(Exception):
    """A channel refused or could not be reached (the message is safe to show: no secrets)."""


@dataclass(frozen=True)
class MailSettings:
    host: str
    port: int = 587
    security: str = "starttls"
    """``starttls``, ``tls`` (implicit, usually port 465) or ``none``."""
    user: str | None = None
    password: str | None = None
    sender: str = "pendopo@localhost"
    ca_file: str | None = None
    """PEM trust anchors for the server's certificate; None: the system's."""


@dataclass(frozen=True)
class NotifySettings:
    mail: MailSettings | None = None
    """None: e-mail channels fail with "SMTP is not configured" (visible on the channel)."""
    telegram_api_url: str = "https://api.telegram.org"
    backoff: Backoff = field(default_factory=Backoff)
    escalation_check_s: float = 5.0
    """How often open, unacknowledged outages are looked at for re-sending."""


class Sender(Protocol):
    async def send(self, channel: Channel, message: Message) -> None: ...


class MailSender:
    def __init__(self, settings: MailSettings | None, timeout_s: float) -> None:
        self.settings = settings
        self.timeout_s = timeout_s

    async def send(self, channel: Channel, message: Message) -> None:
        s = self.settings
        if s is None:
            raise DeliveryError("SMTP is not configured (smtp_host).")
        mail = EmailMessage()
        mail["From"] = s.sender
        mail["To"] = ", ".join(channel.recipients)
        mail["Subject"] = message.subject
        mail["Date"] = formatdate(localtime=False)
        mail["Message-ID"] = make_msgid(domain=s.sender.rpartition("@")[2] or None)
        mail.set_content(message.text)
        try:
            await aiosmtplib.send(
                mail,
                hostname=s.host,
                port=s.port,
                username=s.user,
                password=s.password,
                use_tls=s.security == "tls",
                start_tls=True if s.security == "starttls" else False,
                cert_bundle=s.ca_file,
                timeout=self.timeout_s,
            )
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise DeliveryError(f"SMTP: {type(exc).__name__}: {exc}"[:300]) from exc


class TelegramSender:
    def __init__(self, base_url: str, session: aiohttp.ClientSession, timeout_s: float) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = session
        self.timeout_s = timeout_s

    async def send(self, channel: Channel, message: Message) -> None:
        token = channel.token or ""
        url = f"{self.base_url}/bot{token}/sendMessage"
        body = {"chat_id": channel.chat_id, "text": message.text, "disable_web_page_preview": True}
        try:
            async with self.session.post(
                url, json=body, timeout=aiohttp.ClientTimeout(total=self.timeout_s)
            ) as resp:
                answer = await resp.json(content_type=None)
                if resp.status == 200 and isinstance(answer, dict) and answer.get("ok"):
                    return
                said = answer.get("description") if isinstance(answer, dict) else None
                raise DeliveryError(f"Telegram: HTTP {resp.status} {said or ''}".strip()[:300])
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            text = f"Telegram: {type(exc).__name__}: {exc}".replace(token, "<token>")
            raise DeliveryError(text[:300]) from exc


def _places(conn: Connection, ids: Iterable[int]) -> tuple[dict[int, Place], dict[int, str]]:
    """Each site as a reader knows it, and the code of the kecamatan it is in (if any)."""
    wanted = sorted(set(ids))
    places: dict[int, Place] = {}
    kecamatan: dict[int, str] = {}
    if not wanted:
        return places, kecamatan
    rows = conn.execute(
        "SELECT s.id, s.name, s.kind, s.code, p.name AS p_name, p.kind AS p_kind,"
        " p.code AS p_code FROM sites s LEFT JOIN sites p ON p.id = s.parent_id"
        f" WHERE s.id IN ({', '.join('?' for _ in wanted)})",
        wanted,
    )
    for r in rows:
        in_kecamatan = r["p_kind"] == "kecamatan"
        places[r["id"]] = Place(r["name"], r["kind"], r["p_name"] if in_kecamatan else None)
        code = r["code"] if r["kind"] == "kecamatan" else r["p_code"] if in_kecamatan else None
        if code:
            kecamatan[r["id"]] = code
    return places, kecamatan


def _site_ids(payload: Mapping[str, Any]) -> list[int]:
    return [int(payload["site"]["id"]), *(int(a["id"]) for a in payload.get("affected") or ())]


@dataclass(frozen=True)
class _Outgoing:
    channel: Channel
    alert_id: int
    message: Message


class ChannelDispatcher:
    """Sends alerts to the enabled channels; re-sends open outages nobody acknowledged."""

    def __init__(
        self,
        db: Database,
        settings: NotifySettings = NotifySettings(),
        *,
        queue_size: int = 1000,
        senders: Mapping[str, Sender] | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.channels = Channels(db)
        self._given_senders = senders
        self._senders: Mapping[str, Sender] = senders or {}
        self._queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(queue_size)
        self._deliveries = TaskSet("delivering an alert", log)
        self._in_flight: set[tuple[int, int]] = set()
        self._tasks: list[asyncio.Task[None]] = []
        self._session: aiohttp.ClientSession | None = None
        self.dropped = 0

    def start(self) -> None:
        if self._tasks:
            return
        timeout = self.settings.backoff.timeout_s
        if self._given_senders is None:
            self._session = aiohttp.ClientSession(headers={"User-Agent": "Pendopo-alerts"})
            self._senders = {
                "email": MailSender(self.settings.mail, timeout),
                "telegram": TelegramSender(self.settings.telegram_api_url, self._session, timeout),
            }
        self._tasks = [
            asyncio.create_task(self._run(), name="alert-channels"),
            asyncio.create_task(self._escalate(), name="alert-escalation"),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            await cancel_and_wait(task)
        self._tasks = []
        await self._deliveries.close()
        if self._session is not None:
            await self._session.close()
            self._session = None

    def submit(self, payload: dict[str, Any]) -> None:
        """Queue one alert (it carries ``alert_id``); never blocks: when the queue is full the
        oldest is dropped, counted and logged."""
        self.dropped += enqueue(self._queue, payload, "alert channel")

    async def _run(self) -> None:
        while True:
            payload = await self._queue.get()
            try:
                await self._dispatch(payload)
            except Exception:
                log.exception("could not hand an alert to the channels")

    async def _dispatch(self, payload: dict[str, Any]) -> None:
        alert_id = int(payload.get("alert_id") or 0)
        channels = await self.channels.enabled()
        if not channels or not alert_id:
            return
        places, kecamatan = await self.db.read(lambda c: _places(c, _site_ids(payload)))
        at = datetime.fromisoformat(str(payload["at"]).replace("Z", "+00:00")).timestamp()
        message = compose(payload, places, at=at)
        where = kecamatan.get(int(payload["site"]["id"]))
        for channel in channels:
            if channel.wants(str(payload["kind"]), where):
                self._spawn(_Outgoing(channel, alert_id, message))

    def _spawn(self, out: _Outgoing) -> None:
        key = (out.channel.id, out.alert_id)
        if key in self._in_flight:
            return
        self._in_flight.add(key)
        self._deliveries.spawn(self._deliver(out))

    async def _deliver(self, out: _Outgoing) -> None:
        backoff = self.settings.backoff
        sender = self._senders[out.channel.kind]
        error: str | None = None
        try:
            for attempt in range(1, backoff.attempts + 1):
                if attempt > 1:
                    await asyncio.sleep(backoff.delay(attempt - 1))
                try:
                    await sender.send(out.channel, out.message)
                    error = None
                    break
                except Exception as exc:  # every failure shows on the channel (no text: secrets)
                    error = str(exc) if isinstance(exc, DeliveryError) else (
                        f"{out.channel.kind}: {type(exc).__name__}"
                    )  # fmt: skip
                    await self.channels.note_failure(out.channel.id, at=time.time(), error=error)
            if error is not None:
                log.warning(
                    "alert %d to channel %r: giving up after %d attempts (%s)",
                    out.alert_id, out.channel.name, backoff.attempts, error,
                )  # fmt: skip
            now = time.time()
            await self.db.execute_write(
                "INSERT INTO alert_sends (channel_id, alert_id, sent_at) VALUES (?, ?, ?)"
                " ON CONFLICT (channel_id, alert_id) DO UPDATE SET sent_at = excluded.sent_at,"
                " sends = alert_sends.sends + 1",
                (out.channel.id, out.alert_id, now),
            )
            await self.channels.record(out.channel.id, at=now, error=error)
        except IntegrityError:
            pass  # the channel was deleted (or the alert expired) meanwhile
        finally:
            self._in_flight.discard((out.channel.id, out.alert_id))

    async def _escalate(self) -> None:
        while True:
            await asyncio.sleep(self.settings.escalation_check_s)
            try:
                await self.escalate_once(time.time())
            except Exception:
                log.exception("could not re-send open alerts")

    async def escalate_once(self, now: float) -> None:
        """Re-send every open, unacknowledged outage whose last send to a channel with an
        escalation time is that old."""
        channels = [c for c in await self.channels.enabled() if c.escalate_after_s]
        if not channels:
            return
        due = await self.db.read(lambda conn: _due(conn, channels, now))
        for channel, alert_id, at, sends, payload, places in due:
            message = compose(payload, places, at=at, reminder=sends, now=now)
            self._spawn(_Outgoing(channel, alert_id, message))


_Due = tuple[Channel, int, float, int, dict[str, Any], dict[int, Place]]


def _due(conn: Connection, channels: list[Channel], now: float) -> list[_Due]:
    states = shown_states(conn)
    kinds = ", ".join(f"'{k}'" for k in OPEN_KINDS)
    out: list[_Due] = []
    for channel in channels:
        assert channel.escalate_after_s is not None
        rows = conn.execute(
            "SELECT a.id, a.at, a.payload, s.sends FROM alert_sends s"
            " JOIN inventory_alerts a ON a.id = s.alert_id"
            " LEFT JOIN alert_acks k ON k.alert_id = a.id"
            f" WHERE s.channel_id = ? AND k.alert_id IS NULL AND a.kind IN ({kinds})"
            f" AND s.sent_at <= ? AND {LATEST}",
            (channel.id, now - channel.escalate_after_s),
        ).fetchall()
        for r in rows:
            payload = json.loads(r["payload"])
            if still_open(payload, states):
                places, kecamatan = _places(conn, _site_ids(payload))
                where = kecamatan.get(int(payload["site"]["id"]))
                if channel.wants(str(payload["kind"]), where):  # its filters may have changed
                    out.append((channel, r["id"], r["at"], r["sends"], payload, places))
    return out
