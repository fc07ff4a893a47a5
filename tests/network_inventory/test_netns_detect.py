"""Fast detection on real links (root only): default settings — a 30 s interval — yet a cut
kecamatan shows DOWN with its villages UNREACHABLE (one alert) and comes back within seconds;
a VSAT village at 600 ms round trip is UP, not DEGRADED. The figures are ``bench/detect.py``'s;
the bounds here are generous (a loaded machine), and still far below one interval."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from network_inventory.alerts import Backoff, WebhookDispatcher
from network_inventory.live import LiveConfig, LiveService
from pendopo.db import Database
from pendopo.schema import components
from tests.netns import inside
from tests.network_inventory.detect_lab import (
    KEC_ADDR,
    VILLAGES,
    VSAT_ADDR,
    DetectLab,
    unavailable_reason,
)
from tests.network_inventory.live_helpers import (
    Hook,
    add_site,
    add_target,
    serving_hook,
    wait_for,
)

REASON = unavailable_reason()
pytestmark = [pytest.mark.netns, pytest.mark.skipif(REASON is not None, reason=REASON or "")]


async def test_a_cut_shows_within_seconds_with_default_settings(tmp_path: Path) -> None:
    with DetectLab(workdir=tmp_path) as lab, inside(lab.reg):
        db = Database(tmp_path / "d.sqlite3")
        db.open(components())
        live = LiveService(
            db, LiveConfig(), dispatcher=WebhookDispatcher(db, backoff=Backoff(base_s=0.1))
        )
        async with serving_hook(db) as hook:
            try:
                await _cut_and_restore(lab, db, live, hook)
            finally:
                await live.stop()
                db.close()


async def _cut_and_restore(lab: DetectLab, db: Database, live: LiveService, hook: Hook) -> None:
    office = await add_site(db, "N.0", "Kantor", "kabupaten", None)
    kec = await add_site(db, "N.1", "Kecamatan", "kecamatan", office)
    villages = [await add_site(db, f"N.1.{i}", f"Desa {i}", "desa", kec) for i in range(3)]
    vsat = await add_site(db, "N.2", "Desa VSAT", "desa", office)
    await db.execute_write("UPDATE links SET medium = 'vsat' WHERE site_id = ?", (vsat,))
    for site, addr in ((office, "127.0.0.1"), (kec, KEC_ADDR), (vsat, VSAT_ADDR),
                       *zip(villages, VILLAGES, strict=True)):  # fmt: skip
        await add_target(db, site, "icmp", addr, count=5, timeout_s=2.0)
    await live.start()
    everyone = [office, kec, *villages]
    await wait_for(lambda: all(live.state_of(s) == "up" for s in everyone), 60)
    await wait_for(lambda: live.state_of(vsat) not in (None, "unknown"), 60)
    assert live.state_of(vsat) == "up"  # 600 ms over VSAT is its normal

    def alerts() -> list[dict[str, object]]:
        """The alerts about the kecamatan's tree (the VSAT village's own are bench/detect.py's
        false-alert count, over 30 minutes: not this test's)."""
        return [b for b in hook.bodies if b["site"]["id"] != vsat]

    cut = time.monotonic()
    lab.cut()
    await wait_for(lambda: live.state_of(kec) == "down", 60)
    shown_down = time.monotonic() - cut
    await wait_for(lambda: all(live.state_of(v) == "unreachable" for v in villages), 20)
    await wait_for(lambda: len(alerts()) >= 1, 20)
    await asyncio.sleep(1.0)  # a second alert (a village's own) would come with the first
    assert [(b["kind"], b["site"]["id"], b["affected_count"]) for b in alerts()] == [
        ("down", kec, 3)
    ], [(b["alert_id"], b["at"], b["text_en"], b["affected"]) for b in alerts()]

    restored = time.monotonic()
    lab.restore()
    await wait_for(lambda: live.state_of(kec) == "up", 60)
    shown_up = time.monotonic() - restored
    await wait_for(lambda: len(alerts()) >= 2, 20)
    assert [(b["kind"], b["site"]["id"]) for b in alerts()] == [("down", kec), ("up", kec)]
    # Generous bounds (a loaded 2-core machine; bench/detect.py has the figures): sweeps alone,
    # one every 30 s, needed three failed rounds (86 s in issue 11's lab).
    assert shown_down < 45, shown_down
    assert shown_up < 45, shown_up
