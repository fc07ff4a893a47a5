"""Call quality of one peer connection, as the server sees it (``Sfu.peer_quality``).

Read from aiortc's ``RTCPeerConnection.getStats()``:

- ``remote-inbound-rtp`` (the client's receiver reports about what the server sends): packets
  lost, interarrival jitter, and the round-trip time aiortc estimates from LSR/DLSR;
- ``inbound-rtp`` (what the server receives from the client): packets received and lost, jitter;
- ``transport``: bytes sent and received over the (bundled) connection.

Counters are cumulative; :func:`interval` turns two readings into the figures of the time
between them (loss ratio both ways, mean jitter, bitrates), which is what gets recorded.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

CLOCK_RATES = {"audio": 48000, "video": 90000}
"""RTP clock rates of Opus and VP8: RTCP jitter is in these units."""


@dataclass(frozen=True)
class PeerQuality:
    """One reading of a peer connection's counters (cumulative since it started)."""

    at: float
    """time.monotonic() of the reading."""
    rtt_ms: float | None
    """Round trip server -> client -> server (highest of the streams the server sends)."""
    sent_packets: int
    """Packets the server sent, as far as the client's receiver reports account for them."""
    sent_lost: int
    """...of which the client reports lost."""
    sent_jitter_ms: float | None
    received_packets: int
    received_lost: int
    received_jitter_ms: float | None
    bytes_sent: int
    bytes_received: int


@dataclass(frozen=True)
class QualitySample:
    """Figures over the interval between two readings: the one declaration of a call-quality
    sample's figures (the inventory records them as ``network_inventory.call_quality.CallSample``,
    one column each)."""

    seconds: float
    rtt_ms: float | None
    loss_in: float | None
    """Loss ratio 0..1 of what the server received from the peer (its uplink)."""
    loss_out: float | None
    """Loss ratio 0..1 of what the server sent to the peer, as the peer reports it."""
    jitter_ms: float | None
    """Highest of the two directions' jitter."""
    kbps_in: float
    kbps_out: float

    def rounded(self) -> QualitySample:
        """As recorded: seconds to the ms, times to 0.01 ms, rates to 0.1 kbit/s."""
        return QualitySample(
            seconds=round(self.seconds, 3),
            rtt_ms=None if self.rtt_ms is None else round(self.rtt_ms, 2),
            loss_in=self.loss_in,
            loss_out=self.loss_out,
            jitter_ms=None if self.jitter_ms is None else round(self.jitter_ms, 2),
            kbps_in=round(self.kbps_in, 1),
            kbps_out=round(self.kbps_out, 1),
        )


def _jitter_ms(stat: Any) -> float:
    return float(stat.jitter) * 1000.0 / CLOCK_RATES.get(stat.kind, 90000)


def _max(values: Iterable[float]) -> float | None:
    items = list(values)
    return max(items) if items else None


def read(stats: Iterable[Any], at: float) -> PeerQuality:
    """A reading from the values of an ``RTCStatsReport``."""
    remote, inbound, transports = [], [], []
    for stat in stats:
        kind = getattr(stat, "type", None)
        if kind == "remote-inbound-rtp":
            remote.append(stat)
        elif kind == "inbound-rtp":
            inbound.append(stat)
        elif kind == "transport":
            transports.append(stat)
    rtts = [float(s.roundTripTime) * 1000.0 for s in remote if s.roundTripTime is not None]
    return PeerQuality(
        at=at,
        rtt_ms=_max(rtts),
        sent_packets=sum(
            max(0, int(s.packetsReceived)) + max(0, int(s.packetsLost)) for s in remote
        ),
        sent_lost=sum(max(0, int(s.packetsLost)) for s in remote),
        sent_jitter_ms=_max(_jitter_ms(s) for s in remote),
        received_packets=sum(int(s.packetsReceived) for s in inbound),
        received_lost=sum(max(0, int(s.packetsLost)) for s in inbound),
        received_jitter_ms=_max(_jitter_ms(s) for s in inbound),
        bytes_sent=sum(int(s.bytesSent) for s in transports),
        bytes_received=sum(int(s.bytesReceived) for s in transports),
    )


def _ratio(lost: int, total: int) -> float | None:
    if total <= 0:
        return None
    return min(1.0, max(0.0, lost / total))


def interval(before: PeerQuality, now: PeerQuality) -> QualitySample | None:
    """Figures between two readings of the same connection; None when no time has passed or a
    counter went back (a new connection of the same peer: start again from ``now``)."""
    seconds = now.at - before.at
    received = now.received_packets - before.received_packets
    lost_in = now.received_lost - before.received_lost
    sent = now.sent_packets - before.sent_packets
    lost_out = now.sent_lost - before.sent_lost
    sent_bytes = now.bytes_sent - before.bytes_sent
    received_bytes = now.bytes_received - before.bytes_received
    if seconds <= 0 or min(received, sent, sent_bytes, received_bytes) < 0:
        return None
    jitters = [j for j in (now.sent_jitter_ms, now.received_jitter_ms) if j is not None]
    kbps = 8 / 1000 / seconds
    return QualitySample(
        seconds=seconds,
        rtt_ms=now.rtt_ms,
        loss_in=_ratio(lost_in, received + lost_in),
        loss_out=_ratio(lost_out, sent),
        jitter_ms=max(jitters) if jitters else None,
        kbps_in=received_bytes * kbps,
        kbps_out=sent_bytes * kbps,
    )


__all__ = ["CLOCK_RATES", "PeerQuality", "QualitySample", "interval", "read"]
