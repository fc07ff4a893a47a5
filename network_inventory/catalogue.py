"""``ServiceCatalogue``: the KPT service catalogue over the database, and its public board.

Every method is one ``db.read`` or one ``db.write``: a change and its change-log entry commit in
one transaction; an import writes all its rows or none. (:mod:`network_inventory.services` holds
the rules, :mod:`network_inventory.services_csv` the CSV, :mod:`network_inventory.service_board`
the public view.)
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

from network_inventory import service_board, services, services_csv, uptime
from network_inventory.history import SiteStatus
from network_inventory.rows_import import RowsReport
from network_inventory.services import Service
from pendopo.db import Connection, Database

log = logging.getLogger(__name__)

SEED_USER = "seed"


class _Rehearsed(Exception):
    def __init__(self, report: RowsReport) -> None:
        self.report = report


UPTIME_CACHE_S = 600.0
"""How long a month's availability figures are reused: a month that is over no longer changes
(the few seconds after midnight aside), so each refresh of the board reads only the catalogue."""


class ServiceCatalogue:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._uptimes: tuple[str, frozenset[int], float, dict[int, uptime.Uptime]] | None = None

    async def seed(self) -> Service | None:
        """First start (after the inventory's seed): the regency's example, once per database."""
        service = await self.db.write(lambda c: services.seed(c, user=SEED_USER))
        if service is not None:
            log.info(
                "seeded the KPT catalogue: %s at %d kecamatan", service.name, len(service.offices)
            )
        return service

    async def list_services(self) -> list[Service]:
        return await self.db.read(services.list_all)

    async def get(self, service_id: int) -> Service:
        return await self.db.read(lambda c: services.get(c, service_id))

    async def create(self, data: Mapping[str, Any], *, user: str) -> Service:
        fields = services.check_fields(data, partial=False)
        return await self.db.write(lambda c: services.create(c, fields, user=user))

    async def update(self, service_id: int, data: Mapping[str, Any], *, user: str) -> Service:
        fields = services.check_fields(data, partial=True)
        service, _changed = await self.db.write(
            lambda c: services.update(c, service_id, fields, user=user)
        )
        return service

    async def delete(self, service_id: int, *, user: str) -> Service:
        return await self.db.write(lambda c: services.delete(c, service_id, user=user))

    async def export_csv(self) -> str:
        return await self.db.read(services_csv.export_csv)

    async def import_csv(
        self, data: bytes, source: str, *, user: str, dry_run: bool = False
    ) -> RowsReport:
        """All rows or nothing; a dry run does the work and rolls it back."""

        def run(conn: Connection) -> RowsReport:
            report = services_csv.import_csv(conn, data, source, user=user)
            report.dry_run = dry_run
            if dry_run:
                raise _Rehearsed(report)
            return report

        try:
            return await self.db.write(run)
        except _Rehearsed as done:
            return done.report

    async def board(
        self, statuses: Mapping[int, SiteStatus], now: float | None = None
    ) -> dict[str, Any]:
        """The public board (:func:`service_board.board`) with last month's availability."""
        at = time.time() if now is None else now
        period = uptime.previous_month(at)

        cached = self._uptimes

        def run(conn: Connection) -> dict[str, Any]:
            catalogue = services.list_all(conn)
            sites = frozenset(o.site_id for s in catalogue if s.delegated for o in s.offices)
            if cached and cached[:2] == (period.label, sites) and at - cached[2] < UPTIME_CACHE_S:
                figures = cached[3]
            else:
                figures = uptime.uptimes(conn, sites, period)
                self._uptimes = (period.label, sites, at, figures)
            return service_board.board(catalogue, statuses, figures, period, at)

        return await self.db.read(run)


__all__ = ["SEED_USER", "ServiceCatalogue"]
