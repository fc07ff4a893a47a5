"""``pendopo import-regions | import-links | import-probes | export``: the inventory's CLI.

Each command opens the server's database (same settings, same migrations), does its work in one
transaction and prints a JSON report; invalid input prints every row error and exits 1 with
nothing written. The change log names the user ``cli:<login name>``.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from network_inventory.errors import InventoryError
from network_inventory.importer import region_files
from network_inventory.service import Inventory
from pendopo.cli_common import command, run_async
from pendopo.config import Settings
from pendopo.db_choice import database_for
from pendopo.schema import components

T = TypeVar("T")


def _user() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _with_inventory(settings: Settings, work: Callable[[Inventory], Awaitable[T]]) -> T:
    async def run() -> T:
        db = database_for(settings)
        db.open(components())  # every package's, so it is fully migrated
        try:
            return await work(Inventory(db))
        finally:
            db.close()

    result: T = run_async(run())
    return result


def _report(data: dict[str, Any]) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False))


def _fail(exc: InventoryError | OSError) -> int:
    if isinstance(exc, InventoryError):
        print(f"pendopo: {exc.message}", file=sys.stderr)
        for item in exc.details if isinstance(exc.details, list) else []:
            where = item.get("row") or ""
            field = item.get("field")
            print(f"  {where}{' ' + field if field else ''}: {item['message']}", file=sys.stderr)
    else:
        print(f"pendopo: {exc}", file=sys.stderr)
    return 1


def _dry_run(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dry-run", action="store_true", help="check and report, write nothing")


def _region_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dir", type=Path, help="folder of Kemendagri CSV/GeoJSON files")
    parser.add_argument("files", nargs="*", type=Path, help="or individual .csv/.geojson files")
    _dry_run(parser)


@command("import-regions", "import Kemendagri codes, kinds, coordinates, boundaries", _region_args)
def import_regions(settings: Settings, args: argparse.Namespace) -> int:
    try:
        paths: list[Path] = list(args.files)
        notes: list[str] = []
        if args.dir is not None:
            found, notes = region_files(args.dir)
            paths += found
        if not paths:
            print("pendopo: give --dir or files", file=sys.stderr)
            return 2
        files = [(p.name, p.read_bytes()) for p in paths]

        async def work(inv: Inventory) -> dict[str, Any]:
            await inv.first_start(settings.region, settings.region_data_dir)
            report = await inv.import_regions(files, user=_user(), dry_run=args.dry_run)
            report.notes[:0] = notes
            return report.public()

        _report(_with_inventory(settings, work))
    except (InventoryError, OSError) as exc:
        return _fail(exc)
    return 0


def _file_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="CSV file")
    _dry_run(parser)


def _rows_command(what: str) -> Callable[[Settings, argparse.Namespace], int]:
    def run(settings: Settings, args: argparse.Namespace) -> int:
        try:
            data = args.file.read_bytes()

            async def work(inv: Inventory) -> dict[str, Any]:
                await inv.first_start(settings.region, settings.region_data_dir)
                do = inv.import_links if what == "links" else inv.import_probes
                report = await do(data, args.file.name, user=_user(), dry_run=args.dry_run)
                return report.public()

            _report(_with_inventory(settings, work))
        except (InventoryError, OSError) as exc:
            return _fail(exc)
        return 0

    return run


command("import-links", "import links from CSV (all rows or nothing)", _file_args)(
    _rows_command("links")
)
command("import-probes", "import probe targets from CSV (all rows or nothing)", _file_args)(
    _rows_command("probes")
)


def _export_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("what", choices=("sites", "links", "probes"))
    parser.add_argument("--output", "-o", type=Path, help="file to write (default: stdout)")


@command("export", "export sites, links or probe targets as CSV", _export_args)
def export(settings: Settings, args: argparse.Namespace) -> int:
    async def work(inv: Inventory) -> str:
        await inv.first_start(settings.region, settings.region_data_dir)
        return await inv.export_csv(args.what)

    try:
        text = _with_inventory(settings, work)
        if args.output is None:
            sys.stdout.write(text)
        else:
            args.output.write_text(text, encoding="utf-8", newline="")
            print(f"wrote {args.output}", file=sys.stderr)
    except (InventoryError, OSError) as exc:
        return _fail(exc)
    return 0
