"""CPU per forwarded copy of the packet path alone: the slot's ``VideoForwarder``, the bytes it
sends, SRTP (real libsrtp) and ``sendto`` (a real loopback UDP socket), without the receive side,
the event loop or the subscriber process.

The aiortc objects a slot's sender reaches (sender, DTLS transport, nominated ICE pair) are
stand-ins carrying exactly the attributes media/hooks.py reads and writes, so a source tree of
before this path was built as bytes runs too: ``--tree`` picks whose ``media/`` is imported.
Chromium's captured L1T3 VP8 packets (tests/media/data/chrome_l1t3.json) go to ``--slots``
forwarders; repeated ``--reps`` times with fresh forwarders; prints the sorted CPU per copy.

    .venv/bin/python bench/forward_copy.py --tree /tmp/base
    .venv/bin/python bench/forward_copy.py
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
import time
import types
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tree", type=Path, default=ROOT, help="source tree whose media/ runs")
    parser.add_argument("--slots", type=int, default=20)
    parser.add_argument("--reps", type=int, default=12)
    args = parser.parse_args()
    sys.path.insert(0, str(args.tree.resolve()))

    import pylibsrtp
    from aiortc.rtcdtlstransport import State
    from aiortc.rtcrtpparameters import RTCRtpHeaderExtensionParameters, RTCRtpParameters
    from aiortc.rtp import HeaderExtensionsMap, RtpPacket

    from media import hooks, vp8_layers
    from media.video_forward import VideoForwarder

    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    receiver.setblocking(False)
    receiver.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 23)
    sender_socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)

    class Udp:
        def sendto(self, data: bytes, addr: Any) -> None:
            sender_socket.sendto(data, addr)

    pair = types.SimpleNamespace(
        protocol=types.SimpleNamespace(transport=Udp()), remote_addr=receiver.getsockname()
    )
    uris = (
        "urn:ietf:params:rtp-hdrext:sdes:mid",
        "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
    )

    def transceiver(i: int) -> Any:
        policy = pylibsrtp.Policy(
            key=bytes(range(30)), ssrc_type=pylibsrtp.Policy.SSRC_ANY_OUTBOUND
        )
        dtls = types.SimpleNamespace(
            _state=State.CONNECTED,
            _tx_srtp=pylibsrtp.Session(policy),
            transport=types.SimpleNamespace(
                _connection=types.SimpleNamespace(_nominated={1: pair})
            ),
        )
        for name in ("tx_bytes", "tx_packets"):
            setattr(dtls, f"_RTCDtlsTransport__{name}", 0)
        extensions = HeaderExtensionsMap()
        extensions.configure(
            RTCRtpParameters(
                headerExtensions=[
                    RTCRtpHeaderExtensionParameters(id=n + 1, uri=uri) for n, uri in enumerate(uris)
                ]
            )
        )
        sender = types.SimpleNamespace(
            transport=dtls, kind="video", _ssrc=1000 + i, _rtx_ssrc=2000 + i
        )
        private = {
            "rtp_header_extensions_map": extensions,
            "mid": str(i),
            "started": True,
            "ntp_timestamp": 0,
            "rtp_timestamp": 0,
            "octet_count": 0,
            "packet_count": 0,
            "rtp_history": {},
        }
        for name, value in private.items():
            setattr(sender, f"_RTCRtpSender__{name}", value)
        codec = types.SimpleNamespace(payloadType=96)
        return types.SimpleNamespace(sender=sender, mid=str(i), _codecs=[codec])

    data = json.loads((ROOT / "tests" / "media" / "data" / "chrome_l1t3.json").read_text())
    rows = data["streams"]["high"]
    per_copy: list[float] = []
    sent = 0
    for _rep in range(args.reps):
        forwarders = [VideoForwarder(transceiver(i)) for i in range(args.slots)]
        source = object()
        for forwarder in forwarders:
            forwarder.select(source, "high", 3, still=False)
        packets = [
            RtpPacket(
                payload_type=96,
                marker=int(row["marker"]),
                sequence_number=row["seq"],
                timestamp=row["ts"],
                ssrc=5,
                payload=bytes.fromhex(row["payload"]),
            )
            for row in rows
        ]
        descs = [vp8_layers.parse(p.payload) for p in packets]
        start = time.process_time()
        for k, packet in enumerate(packets):
            for forwarder in forwarders:
                forwarder.forward(packet, source, descs[k], k << 20, 0.0)
        per_copy.append((time.process_time() - start) / (len(packets) * args.slots) * 1e6)
        sent += sum(f.sent for f in forwarders)
        try:
            while True:
                receiver.recv(2048)
        except BlockingIOError:
            pass
    print(f"media/ from {Path(hooks.__file__).parent}")
    print(f"{len(rows)} packets x {args.slots} slots x {args.reps} reps, {sent} sent")
    print("µs CPU per copy, sorted:", " ".join(f"{x:.2f}" for x in sorted(per_copy)))


if __name__ == "__main__":
    main()
