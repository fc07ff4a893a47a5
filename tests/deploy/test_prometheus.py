"""deploy/prometheus/ and deploy/grafana/ checked against the real thing: Debian's ``promtool``
checks the alert rules (and runs their unit tests) and lints the live ``/metrics`` of a server
that has probed a loopback target; every series the rules and the Grafana dashboard query is one
the server exposes."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from edge.keys import DATABASE, LIVE
from tests.conftest import REPO, RunningServer, make_settings, start_server
from tests.network_inventory.live_helpers import add_site, add_target

PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"
RULES = REPO / "deploy" / "prometheus" / "pendopo-rules.yml"
RULE_TESTS = REPO / "deploy" / "prometheus" / "pendopo-rules.test.yml"
DASHBOARD = REPO / "deploy" / "grafana" / "pendopo-dashboard.json"
PROMQL_NAME = re.compile(r"\b(pendopo_[a-z_]+)\b")

pytestmark = pytest.mark.skipif(
    not Path(PROMTOOL).exists(), reason="promtool missing (Debian package prometheus, TEST_DEBS)"
)


def promtool(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PROMTOOL, *args], input=stdin, capture_output=True, text=True, timeout=60, check=False
    )


@pytest.fixture
async def probed(tmp_path: Path) -> AsyncIterator[tuple[RunningServer, str]]:
    """A server after one sweep of a kecamatan answering on loopback, and its /metrics text."""
    runner, running = await start_server(make_settings(tmp_path, probe_interval=1.0))
    try:
        db, live = running.app[DATABASE], running.app[LIVE]
        office = await add_site(db, "P.0", "Kantor Uji", "other", None)
        kec = await add_site(db, "P.1", "Kecamatan Uji", "kecamatan", office)
        listener = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
        port = listener.sockets[0].getsockname()[1]
        await add_target(db, office, "tcp", "127.0.0.1", port=port)
        await add_target(db, kec, "tcp", "127.0.0.1", port=port)
        await live.sweep_once()
        listener.close()
        session = await running.signed_in_session()
        async with session.get("/metrics") as resp:
            assert resp.status == 200
            text = await resp.text()
        await session.close()
        yield running, text
    finally:
        await runner.cleanup()


async def test_live_metrics_pass_promtool(probed: tuple[RunningServer, str]) -> None:
    _, text = probed
    assert "pendopo_site_rtt_seconds{" in text
    assert "milliseconds" not in text
    rtt = [line for line in text.splitlines() if line.startswith("pendopo_site_rtt_seconds{")]
    assert rtt and all(0 < float(line.rsplit(" ", 1)[1]) < 1 for line in rtt)  # seconds, not ms
    result = promtool("check", "metrics", stdin=text)
    assert result.returncode == 0, result.stdout + result.stderr


def test_rules_are_valid_and_their_unit_tests_pass() -> None:
    checked = promtool("check", "rules", str(RULES))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = promtool("test", "rules", str(RULE_TESTS))
    assert tested.returncode == 0, tested.stdout + tested.stderr


async def test_rules_and_dashboard_query_series_the_server_exposes(
    probed: tuple[RunningServer, str],
) -> None:
    _, text = probed
    exposed = {line.split()[2] for line in text.splitlines() if line.startswith("# TYPE ")}
    exposed |= {f"{name}_total" for name in exposed}  # counters are sampled with _total
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    assert len(exprs) >= 8
    queried = {m for source in (*exprs, RULES.read_text()) for m in PROMQL_NAME.findall(source)}
    assert queried and queried <= exposed, sorted(queried - exposed)
    assert dashboard["uid"] and all(
        p["datasource"]["uid"] == "${datasource}" for p in dashboard["panels"]
    )
