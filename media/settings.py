"""Configuration values and small shared types of the media package."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal, TypedDict

from aiortc import RTCConfiguration, RTCIceServer
from aiortc.rtcconfiguration import RTCBundlePolicy

from media.errors import MediaError
from media.loudest import LoudestSettings

Kind = Literal["audio", "video"]
KINDS: tuple[Kind, ...] = ("audio", "video")


def require_kinds(kinds: Iterable[str]) -> None:
    """MediaError ``invalid_kind`` unless every name is a media kind."""
    bad = set(kinds) - set(KINDS)
    if bad:
        raise MediaError("invalid_kind", f"unknown media kind(s): {sorted(bad)}")


@dataclass(frozen=True)
class IceServer:
    """One STUN/TURN server, handed to browsers and to the server's own connections."""

    urls: tuple[str, ...]
    username: str | None = None
    credential: str | None = None


@dataclass(frozen=True)
class MediaSettings:
    """Knobs of the SFU. The defaults suit a regency LAN with VSAT kecamatan links."""

    ice_servers: tuple[IceServer, ...] = ()  # default none: no public STUN
    consent_retransmissions: int = 2  # aioice consent-check retransmissions (VSAT 600 ms RTT)
    nack_budget_per_second: int = 50  # max RTX resends per subscriber per second
    keyframe_min_interval: float = 0.5  # PLI throttle per publisher
    # Extension: restrict the addresses the server gathers ICE host candidates on
    # (empty: every interface, aioice's default). Tests pass ("127.0.0.1",).
    host_addresses: tuple[str, ...] = ()
    # Extension, 1:1 NAT: (LOCAL or "*", PUBLIC) — host candidates gathered on LOCAL are
    # announced as PUBLIC in the server's SDP (media/announce.py).
    announced_addresses: tuple[tuple[str, str], ...] = ()
    # Extension: SO_RCVBUF of each peer's UDP socket (bytes; 0 keeps the system default).
    udp_receive_buffer: int = 2 * 1024 * 1024
    # Extension: datagrams read from a peer's UDP socket each time it is ready (asyncio reads
    # one; 1 keeps that). A town hall's host socket otherwise fills faster than it is read.
    udp_read_batch: int = 32
    # Extension: "packet" forwards each RTP packet with rewritten headers (media/rtp_forward.py);
    # "frame" reassembles frames and re-packetizes them per subscriber (the earlier path, ~1.5x
    # the CPU; kept selectable as a fallback).
    forwarding: Literal["frame", "packet"] = "packet"
    # Extension: False gives every video slot the best layer its ceiling allows, whatever its
    # receiver reports (benchmarks of the forwarding cost with CPU-starved synthetic clients).
    rate_control: bool = True
    # Extension: each subscriber hears at most ``loudest.limit`` audio sources at a time, the
    # loudest of its audio subscriptions (media/loudest.py); limit 0: every subscription.
    loudest: LoudestSettings = field(default_factory=LoudestSettings)
    # Extension: a publisher's quiet audio that no slot forwards and no recorder takes is
    # dropped from the raw datagram, before DTLS and SRTP (media/unheard_audio.py).
    drop_unheard_audio: bool = True
    # Extension: a publisher's video that no slot has selected, no recorder takes and no other
    # worker wants is dropped from the raw datagram, before DTLS and SRTP
    # (media/unseen_video.py): a town hall's sites outside the host's six tiles.
    drop_unseen_video: bool = True
    # Extension: seconds nobody may see a publisher's video after which its page is told to
    # stop sending its camera (``MediaEvents.video_seen``, media/unseen_pause.py); 0: never.
    # Packet path only (the watch runs on its tick).
    pause_unseen_after: float = 10.0
    # Extension: a peer's SRTP is decrypted and handled in its socket's read callback instead
    # of being queued for aiortc's DTLS task (media/hooks.py ``handle_srtp_now``); False: queued.
    direct_srtp: bool = True
    # Extension: above this share of one core (the process's CPU, smoothed), every subscriber's
    # video ceiling is lowered to the low stream (media/load_guard.py); 0: never.
    cpu_limit: float = 0.85


class TrackInfo(TypedDict):
    """Who is carried on one m-line (mid) of a subscriber's connection."""

    participant: str
    kind: Kind


def rtc_configuration(settings: MediaSettings) -> RTCConfiguration:
    """MAX_BUNDLE and explicit ICE servers (never aiortc's public STUN default)."""
    servers = [
        RTCIceServer(urls=list(s.urls), username=s.username, credential=s.credential)
        for s in settings.ice_servers
    ]
    return RTCConfiguration(iceServers=servers, bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)


@dataclass(frozen=True)
class UplinkStats:
    """What the server receives from one publisher's connection (all its video streams), over
    the last second: signaling derives the page's send limits from it."""

    received_bps: int
    loss: float  # fraction of the media packets lost on the way to the server (before repair)
