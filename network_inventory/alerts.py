"""Alerts: which state changes notify people, grouped per outage, and their webhook delivery.

``plan_alerts`` is pure: given one sweep's state changes it decides the alerts. A site that goes
DOWN or DEGRADED (or recovers from them) is one alert; the villages that become UNREACHABLE (or
come back) behind it in the same sweep are listed *in* that alert, never alerted on their own.
Changes into or out of MAINTENANCE, PLANNED and UNKNOWN, and UNREACHABLE changes with no
alerted ancestor, are recorded in the event log with the reason they were not alerted.

``WebhookDispatcher`` posts each alert as JSON to every enabled webhook, with retries and
exponential backoff, from a bounded queue (when full the oldest alert is dropped and counted).
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from network_inventory.model import iso
from network_inventory.state import State
from pendopo.db import Database
from pendopo.tasks import cancel_and_wait

log = logging.getLogger(__name__)

ALERTED_STATES = frozenset({State.DOWN, State.DEGRADED})
RECOVERED_FROM = frozenset({State.DOWN, State.DEGRADED})


@dataclass(frozen=True)
class Transition:
    site_id: int
    previous: State
    state: State


@dataclass
class AlertPlan:
    """One notification: ``lead`` changed; ``members`` are the sites behind it that followed."""

    lead: Transition
    members: list[Transition] = field(default_factory=list)

    @property
    def kind(self) -> str:
        if self.lead.state is State.DOWN:
            return "down"
        if self.lead.state is State.DEGRADED:
            return "degraded"
        return "up"


def _alertable(t: Transition) -> bool:
    if t.state in ALERTED_STATES:
        return True
    return t.state is State.UP and t.previous in RECOVERED_FROM


def suppression_reason(t: Transition) -> str:
    if State.MAINTENANCE in (t.state, t.previous):
        return "maintenance"
    if State.PLANNED in (t.state, t.previous):
        return "planned"
    if State.UNREACHABLE in (t.state, t.previous):
        return "parent_down"
    return "first_measurement" if t.previous is State.UNKNOWN else "not_alerted"


def plan_alerts(
    transitions: Sequence[Transition], ancestors: Mapping[int, Sequence[int]]
) -> tuple[list[AlertPlan], dict[int, str]]:
    """The alerts of one sweep, and the reason each non-alerted change was suppressed.

    ``ancestors[site]``: the site's ancestors, nearest first.
    """
    plans: dict[int, AlertPlan] = {t.site_id: AlertPlan(t) for t in transitions if _alertable(t)}
    suppressed: dict[int, str] = {}
    for t in transitions:
        if t.site_id in plans:
            continue
        if State.UNREACHABLE in (t.state, t.previous):
            lead = next((a for a in ancestors.get(t.site_id, ()) if a in plans), None)
            if lead is not None:
                plans[lead].members.append(t)
                continue
        suppressed[t.site_id] = suppression_reason(t)
    return list(plans.values()), suppressed


@dataclass(frozen=True)
class SiteInfo:
    id: int
    code: str | None
    name: str
    kind: str


def alert_payload(
    plan: AlertPlan,
    sites: Mapping[int, SiteInfo],
    *,
    at: float,
    measurements: Mapping[int, dict[str, Any]],
) -> dict[str, Any]:
    """The JSON body of one alert (also stored in ``inventory_alerts``)."""

    def describe(t: Transition) -> dict[str, Any]:
        info = sites.get(t.site_id, SiteInfo(t.site_id, None, f"#{t.site_id}", "other"))
        return {
            "id": info.id,
            "code": info.code,
            "name": info.name,
            "kind": info.kind,
            "state": t.state.value,
            "previous": t.previous.value,
            **measurements.get(t.site_id, {}),
        }

    lead = describe(plan.lead)
    affected = [describe(m) for m in plan.members]
    label = f"{lead['kind'].capitalize()} {lead['name']}" + (
        f" ({lead['code']})" if lead["code"] else ""
    )
    text_id = f"{plan.lead.state.value.upper()}: {label}"
    text_en = text_id
    if affected:
        behind = sum(1 for a in affected if a["state"] == State.UNREACHABLE.value)
        back = len(affected) - behind
        if behind:
            text_id += f"; {behind} lokasi di belakangnya tidak terjangkau"
            text_en += f"; {behind} sites behind it unreachable"
        if back:
            text_id += f"; {back} lokasi di belakangnya terjangkau lagi"
            text_en += f"; {back} sites behind it reachable again"
    return {
        "type": "pendopo.site_state",
        "version": 1,
        "kind": plan.kind,
        "at": iso(at),
        "site": lead,
        "affected": affected,
        "affected_count": len(affected),
        "text": text_id,
        "text_en": text_en,
    }


# -- webhooks ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Backoff:
    attempts: int = 5
    base_s: float = 1.0
    cap_s: float = 60.0
    timeout_s: float = 10.0

    def delay(self, attempt: int) -> float:
        """Seconds to wait before retry ``attempt`` (1-based), with ±20 % jitter."""
        return min(self.cap_s, self.base_s * 2 ** (attempt - 1)) * random.uniform(0.8, 1.2)


class WebhookDispatcher:
    """Delivers alerts to the webhooks stored in ``inventory_webhooks``."""

    def __init__(
        self, db: Database, *, backoff: Backoff = Backoff(), queue_size: int = 1000
    ) -> None:
        self._db = db
        self._backoff = backoff
        self._queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(queue_size)
        self._task: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None
        self.dropped = 0
        self.delivered = 0
        self.failed = 0

    def start(self) -> None:
        if self._task is None:
            self._session = aiohttp.ClientSession(
                headers={"User-Agent": "Pendopo-webhook", "Content-Type": "application/json"}
            )
            self._task = asyncio.create_task(self._run(), name="webhooks")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    def submit(self, payload: dict[str, Any]) -> None:
        """Queue one alert; never blocks (drops the oldest when the queue is full)."""
        while True:
            try:
                self._queue.put_nowait(payload)
                return
            except asyncio.QueueFull:
                self._queue.get_nowait()
                self.dropped += 1
                log.warning("webhook queue full: dropped the oldest alert")

    async def _run(self) -> None:
        while True:
            payload = await self._queue.get()
            hooks = await self._db.fetchall(
                "SELECT id, url FROM inventory_webhooks WHERE enabled = 1 ORDER BY id"
            )
            body = json.dumps(payload).encode()
            await asyncio.gather(*(self._deliver(h["id"], h["url"], body) for h in hooks))

    async def _deliver(self, hook_id: int, url: str, body: bytes) -> None:
        assert self._session is not None
        status: int | None = None
        error: str | None = None
        for attempt in range(1, self._backoff.attempts + 1):
            if attempt > 1:
                await asyncio.sleep(self._backoff.delay(attempt - 1))
            try:
                async with self._session.post(
                    url, data=body, timeout=aiohttp.ClientTimeout(total=self._backoff.timeout_s)
                ) as resp:
                    status, error = resp.status, None
                    if 200 <= resp.status < 300:
                        break
                    error = f"HTTP {resp.status}"
            except (aiohttp.ClientError, TimeoutError) as exc:
                status, error = None, f"{type(exc).__name__}: {exc}"[:200]
        ok = error is None
        if not ok:
            log.warning("webhook %s: giving up after %d attempts (%s)", url, attempt, error)
        await self._db.execute_write(
            "UPDATE inventory_webhooks SET last_attempt_at = ?, last_status = ?, last_error = ?,"
            " delivered = delivered + ?, failed = failed + ? WHERE id = ?",
            (time.time(), status, error, int(ok), int(not ok), hook_id),
        )
        if ok:  # counted once recorded, so a reader of the counters finds the row updated
            self.delivered += 1
        else:
            self.failed += 1
