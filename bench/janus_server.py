"""Janus Gateway for a benchmark: a minimal configuration, the process, its VideoRoom over HTTP.

Only what ``bench/janus.py`` needs: the VideoRoom plugin and the HTTP transport, both alone in
folders of their own (symlinks to the Debian package's libraries), the HTTP API and ICE both on
one address (the benchmark's own namespace's, ``bench/janus_netns.py``), no STUN/TURN server,
no NAT mapping, no event handlers or loggers.

The VideoRoom messages (https://janus.conf.meetecho.com/docs/videoroom): a ``create`` of a
room, a publisher's ``join`` then ``publish`` with its SDP offer (the answer comes as an
event), a subscriber's ``join`` (Janus offers) then ``start`` with the answer. Every JSEP
carries ``trickle: false``: aiortc puts all its candidates in the SDP, as Janus does.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import resource
import secrets
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import aiohttp

JANUS = Path("/usr/bin/janus")
LIBRARIES = Path("/usr/lib/x86_64-linux-gnu/janus")
PLUGIN = "janus.plugin.videoroom"


HTTP_PORT = 8088  # Janus's default; the namespace Janus runs in is the benchmark's alone


def jcfg(sections: Mapping[str, Mapping[str, object]]) -> str:
    """libconfig text (Janus's .jcfg): strings quoted, booleans and numbers bare."""

    def value(v: object) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int):
            return str(v)
        return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'

    out = []
    for name, items in sections.items():
        out.append(f"{name}: {{")
        out.extend(f"\t{key} = {value(v)}" for key, v in items.items())
        out.append("}")
    return "\n".join(out) + "\n"


def write_config(folder: Path, http_port: int, address: str, libraries: Path = LIBRARIES) -> Path:
    """Janus's configuration in ``folder``; returns the main file (``janus --config``).

    ``address``: the one address Janus serves its HTTP API on, puts in its SDP and gathers ICE
    candidates on (``ice_enforce_list``): Janus skips loopback interfaces when it gathers, so
    this is the address of a veth in a namespace of the benchmark's own."""
    plugins, transports, empty = folder / "plugins", folder / "transports", folder / "none"
    for sub in (plugins, transports, empty):
        sub.mkdir(parents=True, exist_ok=True)
    (plugins / "libjanus_videoroom.so").symlink_to(libraries / "plugins" / "libjanus_videoroom.so")
    (transports / "libjanus_http.so").symlink_to(libraries / "transports" / "libjanus_http.so")
    main: dict[str, dict[str, object]] = {
        "general": {
            "configs_folder": str(folder),
            "plugins_folder": str(plugins),
            "transports_folder": str(transports),
            "events_folder": str(empty),
            "loggers_folder": str(empty),
            "debug_level": 3,  # warnings and errors
            "interface": address,  # the address in Janus's SDP
            "admin_secret": secrets.token_hex(8),  # no admin API is enabled anyway
        },
        "media": {"ipv6": False},
        "nat": {
            # No stun_server, turn_server or nat_1_1_mapping: host candidates on ``address`` only.
            "nice_debug": False,
            "ice_enforce_list": address,
            "ignore_mdns": True,
        },
        "plugins": {},
        "transports": {},
        "loggers": {},
        "events": {"broadcast": False},
    }
    http: dict[str, dict[str, object]] = {
        "general": {
            "json": "plain",
            "base_path": "/janus",
            "http": True,
            "port": http_port,
            "ip": address,
            "https": False,
        },
        "admin": {"admin_http": False, "admin_https": False},
        "cors": {},
    }
    videoroom: dict[str, dict[str, object]] = {"general": {}}  # rooms are created over the API
    (folder / "janus.transport.http.jcfg").write_text(jcfg(http))
    (folder / f"{PLUGIN}.jcfg").write_text(jcfg(videoroom))
    path = folder / "janus.jcfg"
    path.write_text(jcfg(main))
    return path


def _no_core_files() -> None:
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


async def start(
    folder: Path, address: str, prefix: Sequence[str] = ()
) -> tuple[asyncio.subprocess.Process, str]:
    """Janus started on a fresh configuration in ``folder``: (process, HTTP API base URL).

    ``prefix``: prepended to the command (``ip netns exec NS``, which execs Janus: the process
    is Janus's own)."""
    config = write_config(folder, HTTP_PORT, address)
    log = (folder / "janus.log").open("wb")
    proc = await asyncio.create_subprocess_exec(
        *prefix,
        str(JANUS),
        "--config",
        str(config),
        "--configs-folder",
        str(folder),
        "--disable-colors",
        stdout=log,
        stderr=asyncio.subprocess.STDOUT,
        cwd=folder,
        preexec_fn=_no_core_files,  # Janus 1.1.2 sometimes crashes while it stops
    )
    log.close()
    return proc, f"http://{address}:{HTTP_PORT}/janus"


# ----------------------------------------------------------------------------- API messages


def create_room(room: int, bitrate: int) -> dict[str, Any]:
    """One publisher, VP8 + Opus, no keyframe timer, no REMB cap below the stream's rate."""
    return {
        "request": "create",
        "room": room,
        "publishers": 1,
        "videocodec": "vp8",
        "audiocodec": "opus",
        "bitrate": bitrate,
        "fir_freq": 0,
        "notify_joining": False,
    }


def join_publisher(room: int, feed: int, display: str) -> dict[str, Any]:
    return {"request": "join", "ptype": "publisher", "room": room, "id": feed, "display": display}


def publish() -> dict[str, Any]:
    return {"request": "publish", "audio": True, "video": True}


def join_subscriber(room: int, feed: int) -> dict[str, Any]:
    return {"request": "join", "ptype": "subscriber", "room": room, "streams": [{"feed": feed}]}


def start_subscription() -> dict[str, Any]:
    return {"request": "start"}


def jsep(kind: str, sdp: str) -> dict[str, Any]:
    return {"type": kind, "sdp": sdp, "trickle": False}


class JanusError(Exception):
    pass


class Session:
    """One Janus session over the HTTP transport: requests, and a long poll for the events,
    which it hands to whoever waits for that handle's next one."""

    def __init__(self, http: aiohttp.ClientSession, base: str) -> None:
        self.http = http
        self.base = base
        self.id = 0
        self._ids = itertools.count(1)
        self._events: dict[int, asyncio.Queue[dict[str, Any]]] = {}
        self._poller: asyncio.Task[None] | None = None

    async def _post(self, path: str, msg: dict[str, Any]) -> dict[str, Any]:
        msg = {"transaction": f"t{next(self._ids)}", **msg}
        async with self.http.post(self.base + path, json=msg) as resp:
            reply: dict[str, Any] = await resp.json(content_type=None)
        if reply.get("janus") == "error":
            raise JanusError(str(reply.get("error")))
        return reply

    async def open(self) -> None:
        self.id = (await self._post("", {"janus": "create"}))["data"]["id"]
        self._poller = asyncio.ensure_future(self._poll())

    async def attach(self) -> int:
        reply = await self._post(f"/{self.id}", {"janus": "attach", "plugin": PLUGIN})
        handle: int = reply["data"]["id"]
        self._events[handle] = asyncio.Queue()
        return handle

    async def message(
        self, handle: int, body: dict[str, Any], offer_or_answer: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """A plugin request; returns its synchronous result, or its event when it is async."""
        transaction = f"t{next(self._ids)}"
        msg: dict[str, Any] = {"janus": "message", "transaction": transaction, "body": body}
        if offer_or_answer is not None:
            msg["jsep"] = offer_or_answer
        reply = await self._post(f"/{self.id}/{handle}", msg)
        while reply.get("janus") == "ack" or reply.get("transaction") != transaction:
            # The handle's events in order; an unsolicited one is not this request's result.
            reply = await asyncio.wait_for(self._events[handle].get(), timeout=30)
        data = reply.get("plugindata", {}).get("data", {})
        if "error" in data:
            raise JanusError(f"{body['request']}: {data['error']}")
        return reply

    async def _poll(self) -> None:
        while True:
            url = f"{self.base}/{self.id}?maxev=10"
            async with self.http.get(url) as resp:
                events = await resp.json(content_type=None)
            for event in events if isinstance(events, list) else [events]:
                if event.get("janus") == "event" and event.get("sender") in self._events:
                    self._events[event["sender"]].put_nowait(event)

    async def close(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
        if self.id:
            with_timeout = aiohttp.ClientTimeout(total=5)
            async with self.http.post(
                f"{self.base}/{self.id}",
                json={"janus": "destroy", "transaction": "bye"},
                timeout=with_timeout,
            ):
                pass


async def wait_ready(http: aiohttp.ClientSession, base: str, within: float = 20.0) -> None:
    """Until the HTTP API answers ``info``."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        try:
            async with http.get(base + "/info") as resp:
                if resp.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        if asyncio.get_running_loop().time() > deadline:
            raise JanusError(f"Janus's HTTP API at {base} did not answer within {within} s")
        await asyncio.sleep(0.2)


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process (every thread), from /proc/PID/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])  # utime, stime: fields 14 and 15 of stat
    return ticks / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0
