"""Alerts: which state changes notify people, grouped per outage, and their webhook delivery.

``plan_alerts`` is pure: given one sweep's state changes it decides the alerts. A site that goes
DOWN or DEGRADED (or recovers from them) is one alert; the villages that become UNREACHABLE (or
come back) behind it in the same sweep are listed *in* that alert, never alerted on their own.
When two or more sites under one parent that is not alerted itself (the villages of a kecamatan
that stays up) change the same way in one sweep, they are one grouped alert about the parent.
Changes into or out of MAINTENANCE, PLANNED and UNKNOWN, and UNREACHABLE changes with no
alerted ancestor, are recorded in the event log with the reason they were not alerted.

A flapping site (``flapping.py``) is told about once: the change that made it flapping is its
alert (``flapping: "started"``), its later changes are recorded with the reason ``flapping``,
and when it has been stable for the hold time one alert gives the state it settled in
(``flapping: "ended"``: recovered, or still down) — even if that state did not change then.

``WebhookDispatcher`` posts each alert as JSON to every enabled webhook, with retries and
exponential backoff, from a bounded queue (when full the oldest alert is dropped and counted),
and hands it to its ``listeners`` (the e-mail and Telegram channels, ``notify.py``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from network_inventory.alert_log import AlertSite
from network_inventory.flapping import Flap, Phase, Rule, phase
from network_inventory.model import iso
from network_inventory.state import State, Track
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
    flap: Phase = Phase.STEADY
    """What this pass did to the site's flapping (``ENDED`` may come with no change of state)."""

    @property
    def changed(self) -> bool:
        return self.previous is not self.state


@dataclass
class AlertPlan:
    """One notification: ``lead`` changed; ``members`` are the sites behind it that followed.

    A grouped alert (``group`` set: the parent, which did not change) is about siblings that
    changed together: ``lead`` is the first of them, ``members`` the others."""

    lead: Transition
    members: list[Transition] = field(default_factory=list)
    group: int | None = None

    @property
    def kind(self) -> str:
        if self.lead.state is State.DOWN:
            return "down"
        if self.lead.state is State.DEGRADED:
            return "degraded"
        return "up"


def transitions(old: Mapping[int, Track], new: Mapping[int, Track]) -> list[Transition]:
    """The changes of one pass: each site whose shown state changed, and each flapping site that
    became stable again (an alert even when its state did not change)."""
    out = []
    for sid, track in new.items():
        before = old.get(sid)
        previous = before.shown if before is not None else State.UNKNOWN
        flap = phase(before.flap if before is not None else Flap(), track.flap)
        if previous is not track.shown or flap is Phase.ENDED:
            out.append(Transition(sid, previous, track.shown, flap))
    return out


def _alertable(t: Transition) -> bool:
    if t.flap is Phase.HELD:
        return False
    if t.state in ALERTED_STATES:
        return True
    if t.flap is Phase.ENDED:
        return t.state is State.UP
    return t.state is State.UP and t.previous in RECOVERED_FROM


def suppression_reason(t: Transition) -> str:
    if State.MAINTENANCE in (t.state, t.previous):
        return "maintenance"
    if State.PLANNED in (t.state, t.previous):
        return "planned"
    if t.flap is Phase.HELD:
        return "flapping"
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
    return _grouped(list(plans.values()), ancestors), suppressed


def _grouped(plans: list[AlertPlan], ancestors: Mapping[int, Sequence[int]]) -> list[AlertPlan]:
    """Merge the alerts of two or more siblings of the same kind whose parent has no alert of
    its own in this sweep into one alert about the parent."""
    alerted = {p.lead.site_id for p in plans}
    siblings: dict[tuple[int, str], list[AlertPlan]] = {}
    for plan in plans:
        parent = next(iter(ancestors.get(plan.lead.site_id, ())), None)
        if parent is not None and parent not in alerted and plan.lead.flap is Phase.STEADY:
            siblings.setdefault((parent, plan.kind), []).append(plan)
    out: list[AlertPlan] = []
    merged: set[int] = set()
    for plan in plans:
        if plan.lead.flap is not Phase.STEADY:  # says something of its own: never merged
            out.append(plan)
            continue
        parent = next(iter(ancestors.get(plan.lead.site_id, ())), None)
        group = siblings.get((parent, plan.kind), []) if parent is not None else []
        if len(group) < 2:
            out.append(plan)
        elif parent is not None and parent not in merged:
            merged.add(parent)
            members = [t for p in group for t in (p.lead, *p.members)]
            out.append(AlertPlan(members[0], members[1:], group=parent))
    return out


def _site(sites: Mapping[int, AlertSite], site_id: int) -> AlertSite:
    """The site ``site_id`` (one no longer in the inventory: ``#<id>``)."""
    return sites.get(site_id) or AlertSite(id=site_id, code=None, name=f"#{site_id}", kind="other")


def _describe(
    t: Transition, sites: Mapping[int, AlertSite], measurements: Mapping[int, dict[str, Any]]
) -> dict[str, Any]:
    info = _site(sites, t.site_id)
    return {
        "id": info.id,
        "code": info.code,
        "name": info.name,
        "kind": info.kind,
        "state": t.state.value,
        "previous": t.previous.value,
        **measurements.get(t.site_id, {}),
    }


def _label(site: Mapping[str, Any]) -> str:
    return f"{site['kind'].capitalize()} {site['name']}" + (
        f" ({site['code']})" if site["code"] else ""
    )


def _span(seconds: float, minute: str, second: str) -> str:
    return f"{seconds / 60:g} {minute}" if seconds >= 60 else f"{seconds:g} {second}"


def _flap_words(phase: Phase, rule: Rule) -> tuple[str, str]:
    """What an alert adds about flapping, in Indonesian and in English."""
    hold_id, hold_en = _span(rule.hold_s, "menit", "detik"), _span(rule.hold_s, "min", "s")
    if phase is Phase.STARTED:
        window_id = _span(rule.window_s, "menit", "detik")
        window_en = _span(rule.window_s, "min", "s")
        return (
            f" — tidak stabil ({rule.changes} kali berubah dalam {window_id}); perubahan"
            f" berikutnya tidak diberitahukan sampai stabil {hold_id}",
            f" — flapping ({rule.changes} changes within {window_en}); further changes are not"
            f" alerted until it has been stable for {hold_en}",
        )
    return (
        f" — stabil lagi selama {hold_id} setelah tidak stabil",
        f" — stable again for {hold_en} after flapping",
    )


def alert_payload(
    plan: AlertPlan,
    sites: Mapping[int, AlertSite],
    *,
    at: float,
    measurements: Mapping[int, dict[str, Any]],
    flap_rule: Rule | None = None,
) -> dict[str, Any]:
    """The JSON body of one alert (also stored in ``inventory_alerts``).

    A grouped alert (``grouped``: true) names the parent in ``site`` (with no state: it did not
    change) and lists every site that changed in ``affected``. An alert about flapping carries
    ``flapping``: ``"started"`` or ``"ended"`` (``flap_rule``: the rule, for its text)."""
    changed = [_describe(t, sites, measurements) for t in (plan.lead, *plan.members)]
    body: dict[str, Any] = {"type": "pendopo.site_state", "version": 1, "kind": plan.kind}
    body["at"] = iso(at)
    state = plan.lead.state.value.upper()
    if plan.group is not None:
        info = _site(sites, plan.group)
        parent = {"id": info.id, "code": info.code, "name": info.name, "kind": info.kind}
        return {
            **body,
            "grouped": True,
            "site": parent,
            "affected": changed,
            "affected_count": len(changed),
            "text": f"{state}: {len(changed)} lokasi di bawah {_label(parent)}",
            "text_en": f"{state}: {len(changed)} sites under {_label(parent)}",
        }
    lead, affected = changed[0], changed[1:]
    text_id = text_en = f"{state}: {_label(lead)}"
    if plan.lead.flap in (Phase.STARTED, Phase.ENDED):
        body["flapping"] = plan.lead.flap.value
        words_id, words_en = _flap_words(plan.lead.flap, flap_rule or Rule())
        text_id += words_id
        text_en += words_en
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
        **body,
        "grouped": False,
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


def enqueue(queue: asyncio.Queue[dict[str, Any]], payload: dict[str, Any], what: str) -> int:
    """Put an alert on a bounded queue without waiting: when it is full, drop the oldest (logged).
    Returns how many were dropped."""
    dropped = 0
    while True:
        try:
            queue.put_nowait(payload)
            return dropped
        except asyncio.QueueFull:
            queue.get_nowait()
            dropped += 1
            log.warning("%s queue full: dropped the oldest alert", what)


class WebhookDispatcher:
    """Delivers alerts to the webhooks stored in ``inventory_webhooks``."""

    def __init__(
        self,
        db: Database,
        *,
        backoff: Backoff = Backoff(),
        queue_size: int = 1000,
        listeners: Sequence[Callable[[dict[str, Any]], None]] = (),
    ) -> None:
        self._db = db
        self._listeners = tuple(listeners)
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
        """Queue one alert and hand it to the listeners; never blocks (drops the oldest when the
        queue is full)."""
        for listener in self._listeners:
            try:
                listener(payload)
            except Exception:  # one listener's fault never keeps the alert from the others
                log.exception("alert listener %r failed", listener)
        self.dropped += enqueue(self._queue, payload, "webhook")

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
