"""``pendopo`` command line, the top of the import graph: ``pendopo run`` builds the whole app
(pendopo/app.py) and serves it; the other subcommands are registered by the packages that own
them (inventory import/export/probe, user management) through ``pendopo.cli_common``."""

from __future__ import annotations

import argparse
import dataclasses
import gc
import socket
import sys
from collections.abc import Callable, Sequence
from typing import Any

from aiohttp import web

from pendopo.cli_common import COMMANDS, command
from pendopo.config import ConfigError, Settings, add_setting_flags, load_settings
from pendopo.db import DatabaseUnavailable
from pendopo.listen import ListenAddress, bind_sockets
from pendopo.log_levels import parse_log_levels


async def freeze_startup_objects(app: web.Application) -> None:
    """Objects made at start-up (modules, seeds, settings) live forever: move them out of the
    collector's reach so full collections stay short (field guide: p99 latency of socket.io
    deliveries is broken by GC pauses long before the CPU is busy)."""
    gc.collect()
    gc.freeze()
    # Young collections less often (700 -> 20,000 allocations): each tick of a town hall's
    # room:state makes ~1,500 short-lived objects, and objects alive at a young collection are
    # promoted, which in turn triggers full collections (tens of ms; bench/signaling.py).
    gc.set_threshold(20_000, 20, 20)


@command("run", "serve the web app, signaling and probes")
def run(settings: Settings, args: argparse.Namespace) -> int:
    if settings.workers > 1:
        from pendopo.workers import Supervisor

        supervisor = Supervisor(settings, serve)

        def bound() -> None:
            print(f"Pendopo serving on {_serving(settings)}", flush=True)
            own = "; ".join(_serving(w.settings, w.own) for w in supervisor.workers)
            print(f"  {settings.workers} workers, each also on a port of its own: {own}")

        try:
            return supervisor.run(bound)
        except OSError as exc:
            print(f"pendopo run: {exc}", file=sys.stderr)
            return 1
    try:
        sockets = bind_sockets(settings.listen_addresses)
    except OSError as exc:
        print(f"pendopo run: {exc}", file=sys.stderr)
        return 1
    print(f"Pendopo serving on {_serving(settings)}", flush=True)
    serve(settings, sockets, lambda: None)
    return 0


def serve(settings: Settings, sockets: list[socket.socket], ready: Callable[[], None]) -> None:
    """Build the app and serve it on ``sockets`` until SIGTERM/SIGINT; ``ready`` once it serves
    (after the database, the seed and the meeting core have started)."""
    from pendopo.app import create_app

    app = create_app(settings)
    app.on_startup.append(freeze_startup_objects)  # runs after every cleanup_ctx start-up

    async def announce_ready(_app: web.Application) -> None:
        ready()

    app.on_startup.append(announce_ready)
    ssl_context = None
    if settings.tls_cert and settings.tls_key:
        import ssl

        ssl_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ssl_context.load_cert_chain(settings.tls_cert, settings.tls_key)
    web.run_app(
        app,
        sock=sockets,
        ssl_context=ssl_context,
        backlog=1024,  # the default 128 overflows in a connect storm of many clients
        print=None,
        access_log=None,
    )


def _serving(settings: Settings, addresses: tuple[ListenAddress, ...] | None = None) -> str:
    """The listening URLs; a wildcard one with the addresses other PCs can use."""
    from signaling.ice import interface_addresses

    shown = []
    for listen in settings.listen_addresses if addresses is None else addresses:
        shown.append(listen.url(settings.scheme))
        if listen.wildcard:
            every = interface_addresses(ipv6=listen.host == "::")
            named = [dataclasses.replace(listen, host=a).url(settings.scheme) for a in every]
            shown[-1] += f" (from other PCs: {', '.join(named) or 'no address found'})"
    return ", ".join(shown)


def _register_package_commands() -> None:
    """Import the modules that define further subcommands (each calls ``command``)."""
    import importlib

    for module in (
        "network_inventory.cli",
        "network_inventory.cli_probe",
        "accounts.cli",
        "pendopo.tls",
        "pendopo.backup",
    ):
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise


def main(argv: Sequence[str] | None = None) -> int:
    _register_package_commands()
    parser = argparse.ArgumentParser(prog="pendopo", description=__doc__)
    parser.add_argument("--config", help="TOML settings file (env PENDOPO_CONFIG)")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (help_text, arguments, _fn) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text)
        add_setting_flags(p)
        arguments(p)
    args = parser.parse_args(argv)
    from pathlib import Path

    values: dict[str, Any] = {k: v for k, v in vars(args).items() if k not in ("command", "config")}
    try:
        settings = load_settings(values, config_file=Path(args.config) if args.config else None)
    except ConfigError as exc:
        print(f"pendopo: {exc}", file=sys.stderr)
        return 2
    parse_log_levels(settings.log_level).apply()
    try:
        return COMMANDS[args.command][2](settings, args)
    except DatabaseUnavailable as exc:
        print(f"pendopo {args.command}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
