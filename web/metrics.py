"""``GET /metrics``: the prober's numbers in Prometheus text format (``prometheus_client``).

Per-site values are read from the live service at scrape time by a custom collector, so a site
removed from the inventory disappears from the exposition instead of lingering as a stale
series. Each app has its own registry (tests run several apps in one process).

Who may read it (docs/security.md, "Metrics"): the exposition names every site and its live
state, which the inventory shows to staff only. A Prometheus server is no signed-in user, so:
with ``metrics_token`` set, a scraper sends ``Authorization: Bearer <token>`` (from anywhere);
without it, only the addresses in ``metrics_allow_ips`` (default loopback: a scraper on the
server itself) may read it. A signed-in staff user may always read it (they see the same on the
dashboard).
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from edge.clients import address_in, client_address
from edge.keys import LIVE, SETTINGS, request_user
from network_inventory.live import LiveService
from network_inventory.state import State
from web.auth import require_staff
from web.errors import error_response

METRICS_REGISTRY = web.AppKey("metrics_registry", CollectorRegistry)


class ProbeCollector(Collector):
    def __init__(self, live: LiveService) -> None:
        self.live = live

    def collect(self) -> Iterator[Metric]:
        live = self.live
        labels = ["site_id", "code", "name", "kind"]
        state = GaugeMetricFamily(
            "pendopo_site_state",
            "1 for the site's current state (one series per state), else 0.",
            labels=[*labels, "state"],
        )
        rtt = GaugeMetricFamily(
            "pendopo_site_rtt_seconds",
            "Median round-trip time (seconds) of the site's last probe round.",
            labels=labels,
        )
        loss = GaugeMetricFamily(
            "pendopo_site_loss_ratio", "Loss (0..1) of the site's last probe round.", labels=labels
        )
        for row in live.site_states():
            values = [str(row["site_id"]), row["code"] or "", row["name"], row["kind"]]
            for s in State:
                state.add_metric([*values, s.value], 1.0 if row["state"] == s.value else 0.0)
            if row["rtt_ms"] is not None:
                rtt.add_metric(values, row["rtt_ms"] / 1000)  # base unit: seconds
            if row["loss"] is not None:
                loss.add_metric(values, row["loss"])
        yield state
        yield rtt
        yield loss

        summary = live.summary()
        by_state = GaugeMetricFamily("pendopo_sites", "Sites by current state.", labels=["state"])
        for name, count in summary["counts"].items():
            by_state.add_metric([name], count)
        yield by_state
        rollout = GaugeMetricFamily("pendopo_villages_active", "Villages with an active uplink.")
        rollout.add_metric([], summary["rollout"]["active_villages"])
        yield rollout

        c = live.counters
        rounds = CounterMetricFamily(
            "pendopo_probe_rounds",
            "Probe rounds by target kind and result.",
            labels=["kind", "result"],
        )
        for (kind, result), n in sorted(c.rounds.items()):
            rounds.add_metric([kind, result], n)
        yield rounds
        sent = CounterMetricFamily(
            "pendopo_probe_packets_sent", "Echo requests / connects sent.", labels=["method"]
        )
        received = CounterMetricFamily(
            "pendopo_probe_packets_received", "Replies received.", labels=["method"]
        )
        for method, n in sorted(c.packets_sent.items()):
            sent.add_metric([method], n)
            received.add_metric([method], c.packets_received[method])
        yield sent
        yield received
        sweeps = CounterMetricFamily("pendopo_probe_sweeps", "Sweeps completed.")
        sweeps.add_metric([], c.sweeps)
        yield sweeps
        duration = GaugeMetricFamily(
            "pendopo_probe_sweep_duration_seconds", "Wall time of the last sweep."
        )
        duration.add_metric([], c.last_sweep_s)
        yield duration
        last = GaugeMetricFamily(
            "pendopo_probe_last_sweep_timestamp_seconds", "When the last sweep started."
        )
        last.add_metric([], c.last_sweep_at)
        yield last


def _refusal(request: web.Request) -> web.Response | None:
    """None when the request may read the metrics, else the 401/403 answer."""
    if request_user(request) is not None:
        require_staff(request)  # 403 for a site seat
        return None
    settings = request.app[SETTINGS]
    if settings.metrics_token:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        token = settings.metrics_token.encode()
        if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token):
            return None
        response = error_response(
            401, "unauthorised", "Send the metrics token: Authorization: Bearer <token>."
        )
        response.headers["WWW-Authenticate"] = 'Bearer realm="pendopo-metrics"'
        return response
    if address_in(client_address(request), settings.metrics_allow_ips):
        return None
    return error_response(
        403, "forbidden", "Metrics are only for the addresses in metrics_allow_ips."
    )


async def metrics(request: web.Request) -> web.Response:
    refusal = _refusal(request)
    if refusal is not None:
        return refusal
    body = generate_latest(request.app[METRICS_REGISTRY])
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


def setup(app: web.Application) -> None:
    """Register ``/metrics``; the collector is bound once the live service exists."""
    app.router.add_get("/metrics", metrics)

    async def bind(app: web.Application) -> None:
        registry = CollectorRegistry(auto_describe=False)
        registry.register(ProbeCollector(app[LIVE]))
        app[METRICS_REGISTRY] = registry

    app.on_startup.append(bind)
