"""``Inventory``: the one object the web app, the prober and the dashboard share.

It owns no state besides the database: every method is one ``db.read`` or one ``db.write``
(so each mutation, its change-log entry and any import are a single transaction; a mutation's
``then`` adds the caller's own record — the audit entry — to that same transaction). Listeners
registered with ``subscribe`` hear about committed changes (the prober reloads its targets, the
dashboard pushes). Site states come from the prober through the ``states`` hook.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

from network_inventory import changelog, export, importer, regions, rows_import, seed
from network_inventory import links as links_repo
from network_inventory import probes as probes_repo
from network_inventory import sites as sites_repo
from network_inventory.errors import InventoryError, NotFound, ValidationError
from network_inventory.model import Change, Link, Page, ProbeTarget, Site, SiteKind
from network_inventory.records import LinkInput, ProbeInput, SiteInput
from network_inventory.table import Stored, Table
from pendopo.db import Connection, Database, Then, and_then

log = logging.getLogger(__name__)
T = TypeVar("T")
R = TypeVar("R", bound=Stored)


class _Report(Protocol):
    dry_run: bool


ReportT = TypeVar("ReportT", bound=_Report)


class SiteStates(Protocol):
    """What the prober offers the inventory: the current state of each site."""

    def state_of(self, site_id: int) -> str | None: ...

    def sites_in_state(self, state: str) -> Collection[int]: ...


@dataclass(frozen=True)
class ChangeEvent:
    """A committed change: ``entity`` is site, link, probe or import; ``ids`` the records."""

    entity: str
    action: str
    ids: tuple[int, ...] = ()


Listener = Callable[[ChangeEvent], None]


@dataclass(frozen=True)
class FirstStart:
    """What ``Inventory.first_start`` wrote: the seed and the import of the region's codes."""

    seeded: seed.SeedReport
    imported: importer.RegionReport | None
    """None when no region data was found (names only, no codes)."""
    source: Path | None

    def summary(self) -> str:
        text = f"seeded {self.seeded.region}: {self.seeded.sites} sites, {self.seeded.links} links"
        if self.imported is None:
            return text + "; no region data, so no Kemendagri codes (pendopo import-regions)"
        matched = self.imported.public()["matched_total"]
        return text + f"; codes of {matched} sites from {self.source}"


_READ_ONLY = {
    # what a client may send back of a site it read: its answer's other fields
    "site": {*Site.__dataclass_fields__, "state"} - set(SiteInput.model_fields),
    "link": set(Link.__dataclass_fields__) - (set(LinkInput.model_fields) - LinkInput.CSV_ONLY),
    "probe": set(ProbeTarget.__dataclass_fields__)
    - (set(ProbeInput.model_fields) - ProbeInput.CSV_ONLY),
}
_WRITABLE = {
    "site": set(SiteInput.model_fields),
    "link": set(LinkInput.model_fields) - LinkInput.CSV_ONLY,
    "probe": set(ProbeInput.model_fields) - ProbeInput.CSV_ONLY,
}  # fmt: skip
# Input references to sites (an id or a code) and the id column each one sets.
_SITE_REFS = {"parent": "parent_id"}
_LINK_REFS = {"site": "site_id", "parent": "parent_site_id"}
_PROBE_REFS = {"site": "site_id"}


class _DryRun(Exception):
    def __init__(self, result: Any) -> None:
        self.result = result


def _only_known(entity: str, data: Mapping[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(data) - _WRITABLE[entity] - _READ_ONLY[entity])
    if unknown:
        raise ValidationError(
            f"Unknown field(s): {', '.join(unknown)}.",
            details=[{"field": k, "message": "is not a field of a " + entity} for k in unknown],
        )
    return {k: v for k, v in data.items() if k in _WRITABLE[entity]}


def _merged(current: Stored, patch: dict[str, Any], refs: Mapping[str, str]) -> dict[str, Any]:
    """A record's stored columns with a patch over them; a site reference in the patch
    replaces the id column it sets."""
    merged: dict[str, Any] = {**current.record(), **patch}
    for ref_key, id_key in refs.items():
        if ref_key in patch:
            merged.pop(id_key)
    return merged


def _resolve_refs(
    conn: Connection, fields: dict[str, Any], refs: Mapping[str, str]
) -> dict[str, Any]:
    """Site references (id or code) to their id columns; an unknown site is a 400 naming the
    field."""
    for ref_key, id_key in refs.items():
        try:
            fields[id_key] = sites_repo.resolve(conn, fields.pop(ref_key)).id
        except NotFound as exc:
            raise ValidationError(
                exc.message, details=[{"field": ref_key, "message": exc.message}]
            ) from exc
    return fields


class Inventory:
    """Sites, links, probe targets and the change log over one :class:`Database`."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.states: SiteStates | None = None
        """Set by the prober; until then sites have no ``state``."""
        self._listeners: list[Listener] = []

    # -- listeners -------------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` after each committed change; returns the unsubscribe function."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def _notify(self, event: ChangeEvent) -> None:
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                log.exception("inventory listener failed on %s", event)

    async def _write(self, fn: Callable[[Connection], T], event: ChangeEvent) -> T:
        result = await self.db.write(fn)
        self._notify(event)
        return result

    async def _saved(
        self,
        entity: str,
        action: str,
        fn: Callable[[Connection], R],
        then: Then | None = None,
    ) -> R:
        """One write that creates or changes a record, then its change event."""
        record = await self.db.write(and_then(fn, then))
        self._notify(ChangeEvent(entity, action, (record.id,)))
        return record

    async def _delete(
        self, table: Table[Any], row_id: int, *, user: str, then: Then | None = None
    ) -> None:
        def run(conn: Connection) -> Stored:
            current = table.require(conn, row_id)
            table.delete(conn, current, user=user)
            return current

        await self._write(and_then(run, then), ChangeEvent(table.entity, "delete", (row_id,)))

    async def _maybe_dry(
        self,
        fn: Callable[[Connection], ReportT],
        *,
        dry_run: bool,
        entity: str,
        then: Then | None = None,
    ) -> ReportT:
        """Run an import and mark its report; a dry run does all the work, then rolls it back
        (``then`` runs only for a real import)."""

        def run(conn: Connection) -> ReportT:
            report = fn(conn)
            report.dry_run = dry_run
            if then is not None and not dry_run:
                then(conn, report)
            return report

        if not dry_run:
            return await self._write(run, ChangeEvent(entity, "import"))

        def rehearse(conn: Connection) -> ReportT:
            raise _DryRun(run(conn))

        try:
            await self.db.write(rehearse)
        except _DryRun as done:
            result: ReportT = done.result
            return result
        raise AssertionError("unreachable")  # pragma: no cover

    # -- seed ------------------------------------------------------------------------------
    async def seed(self, region: str) -> seed.SeedReport | None:
        """First start: the region's sites and links, only when there are no sites yet."""
        if await self.db.read(sites_repo.count) > 0:
            return None
        tree = await asyncio.to_thread(seed.load_region, region)
        report = await self._write(lambda c: seed.seed(c, tree), ChangeEvent("import", "seed"))
        if report is not None:
            log.info("seeded %s: %d sites, %d links", report.region, report.sites, report.links)
        return report

    async def first_start(self, region: str, data_dir: Path | None = None) -> FirstStart | None:
        """When there are no sites yet: the seed of ``region`` and, in the same transaction, the
        Kemendagri import of ``data_dir`` or else of the files shipped for the region
        (:mod:`network_inventory.regions`; none: names only). Bad files raise and write nothing."""
        if await self.db.read(sites_repo.count) > 0:
            return None
        tree = await asyncio.to_thread(seed.load_region, region)
        source = data_dir if data_dir is not None else regions.bundled_dir(tree.name)
        records: list[importer.RegionRecord] = []
        if source is not None:
            records, _notes = await asyncio.to_thread(importer.read_folder, source)

        def run(conn: Connection) -> FirstStart | None:
            seeded = seed.seed(conn, tree)
            if seeded is None:  # another process seeded it meanwhile
                return None
            imported = None
            if records:
                imported = importer.import_regions(conn, records, user=seed.SEED_USER)
            return FirstStart(seeded, imported, source)

        done = await self._write(run, ChangeEvent("import", "seed"))
        if done is not None:
            log.info("first start: %s", done.summary())
        return done

    # -- sites -----------------------------------------------------------------------------
    async def list_sites(
        self,
        *,
        kinds: Sequence[str] = (),
        parent: int | str | None = None,
        uplink_status: Sequence[str] = (),
        state: str | None = None,
        q: str | None = None,
        limit: int | None = 100,
        offset: int = 0,
    ) -> Page:
        ids: Collection[int] | None = None
        if state is not None:
            ids = self.states.sites_in_state(state) if self.states else ()

        def run(conn: Connection) -> Page:
            parent_id = sites_repo.resolve(conn, parent, what="parent").id if parent else None
            filt = sites_repo.SiteFilter(kinds, parent_id, uplink_status, q, ids)
            items, total = sites_repo.list_sites(conn, filt, limit=limit, offset=offset)
            return Page(items, total, limit or total, offset)

        return await self.db.read(run)

    async def get_site(self, ref: int | str) -> Site:
        return await self.db.read(lambda c: sites_repo.resolve(c, ref))

    async def site_by_code(self, code: str) -> Site | None:
        """The site with this Kemendagri code, or None (the signaling helper's directory)."""
        return await self.db.read(lambda c: sites_repo.by_code(c, code))

    async def picker(self, parent_code: str | None = None) -> list[dict[str, str | None]]:
        """``[{"code", "name", "kind"}]`` of the children of ``parent_code`` (None: the top-level
        sites), in code order, for join pickers. An unknown parent gives :class:`NotFound`."""

        def run(conn: Connection) -> list[dict[str, str | None]]:
            if parent_code is None:
                rows = conn.execute(
                    "SELECT code, name, kind FROM sites WHERE parent_id IS NULL"
                    " ORDER BY code IS NULL, code, name_key"
                ).fetchall()
            else:
                parent = sites_repo.resolve(conn, parent_code)
                rows = conn.execute(
                    "SELECT code, name, kind FROM sites WHERE parent_id = ?"
                    " ORDER BY code IS NULL, code, name_key",
                    (parent.id,),
                ).fetchall()
            return [{"code": r["code"], "name": r["name"], "kind": r["kind"]} for r in rows]

        return await self.db.read(run)

    def _site_input(self, conn: Connection, data: dict[str, Any]) -> dict[str, Any]:
        fields = SiteInput.parse(data).fields()
        fields["parent_id"] = sites_repo.resolve_parent(conn, fields.pop("parent"))
        return fields

    async def create_site(
        self, data: Mapping[str, Any], *, user: str, then: Then | None = None
    ) -> Site:
        clean = _only_known("site", data)
        return await self._saved(
            "site",
            "create",
            lambda c: sites_repo.create(c, self._site_input(c, clean), user=user),
            then,
        )

    async def update_site(
        self, ref: int | str, data: Mapping[str, Any], *, user: str, then: Then | None = None
    ) -> Site:
        patch = _only_known("site", data)

        def run(conn: Connection) -> Site:
            site = sites_repo.resolve(conn, ref)
            fields = self._site_input(conn, _merged(site, patch, _SITE_REFS))
            updated, _ = sites_repo.update(conn, site, fields, user=user)
            return updated

        return await self._saved("site", "update", run, then)

    async def delete_site(self, ref: int | str, *, user: str, then: Then | None = None) -> None:
        def run(conn: Connection) -> Site:
            site = sites_repo.resolve(conn, ref)
            sites_repo.delete(conn, site, user=user)
            return site

        site = await self.db.write(and_then(run, then))
        self._notify(ChangeEvent("site", "delete", (site.id,)))

    # -- links -----------------------------------------------------------------------------
    async def list_links(
        self,
        *,
        site: int | str | None = None,
        parent: int | str | None = None,
        statuses: Sequence[str] = (),
        media: Sequence[str] = (),
        limit: int | None = 100,
        offset: int = 0,
    ) -> Page:
        def run(conn: Connection) -> Page:
            site_id = sites_repo.resolve(conn, site).id if site is not None else None
            parent_id = sites_repo.resolve(conn, parent).id if parent is not None else None
            filt = links_repo.LinkFilter(site_id, parent_id, statuses, media)
            items, total = links_repo.list_links(conn, filt, limit=limit, offset=offset)
            return Page(items, total, limit or total, offset)

        return await self.db.read(run)

    async def get_link(self, link_id: int) -> Link:
        return await self.db.read(lambda c: links_repo.TABLE.require(c, link_id))

    @staticmethod
    def _link_input(conn: Connection, data: dict[str, Any]) -> dict[str, Any]:
        return _resolve_refs(conn, LinkInput.parse(data).fields(), _LINK_REFS)

    async def create_link(
        self, data: Mapping[str, Any], *, user: str, then: Then | None = None
    ) -> Link:
        clean = _only_known("link", data)
        return await self._saved(
            "link",
            "create",
            lambda c: links_repo.create(c, self._link_input(c, clean), user=user),
            then,
        )

    async def update_link(
        self, link_id: int, data: Mapping[str, Any], *, user: str, then: Then | None = None
    ) -> Link:
        patch = _only_known("link", data)

        def run(conn: Connection) -> Link:
            link = links_repo.TABLE.require(conn, link_id)
            fields = self._link_input(conn, _merged(link, patch, _LINK_REFS))
            updated, _ = links_repo.update(conn, link, fields, user=user)
            return updated

        return await self._saved("link", "update", run, then)

    async def delete_link(self, link_id: int, *, user: str, then: Then | None = None) -> None:
        await self._delete(links_repo.TABLE, link_id, user=user, then=then)

    # -- probe targets ---------------------------------------------------------------------
    async def list_probes(
        self,
        *,
        site: int | str | None = None,
        kind: str | None = None,
        enabled: bool | None = None,
        limit: int | None = 100,
        offset: int = 0,
    ) -> Page:
        def run(conn: Connection) -> Page:
            site_id = sites_repo.resolve(conn, site).id if site is not None else None
            filt = probes_repo.ProbeFilter(site_id, kind, enabled)
            items, total = probes_repo.list_probes(conn, filt, limit=limit, offset=offset)
            return Page(items, total, limit or total, offset)

        return await self.db.read(run)

    async def probe_targets(self, *, enabled_only: bool = True) -> list[ProbeTarget]:
        """Every (enabled) probe target: what the prober loads."""
        page = await self.list_probes(enabled=True if enabled_only else None, limit=None)
        return list(page.items)

    async def get_probe(self, probe_id: int) -> ProbeTarget:
        return await self.db.read(lambda c: probes_repo.TABLE.require(c, probe_id))

    @staticmethod
    def _probe_input(conn: Connection, data: dict[str, Any]) -> dict[str, Any]:
        return _resolve_refs(conn, ProbeInput.parse(data).fields(), _PROBE_REFS)

    async def create_probe(
        self, data: Mapping[str, Any], *, user: str, then: Then | None = None
    ) -> ProbeTarget:
        clean = _only_known("probe", data)
        return await self._saved(
            "probe",
            "create",
            lambda c: probes_repo.create(c, self._probe_input(c, clean), user=user),
            then,
        )

    async def update_probe(
        self, probe_id: int, data: Mapping[str, Any], *, user: str, then: Then | None = None
    ) -> ProbeTarget:
        patch = _only_known("probe", data)

        def run(conn: Connection) -> ProbeTarget:
            probe = probes_repo.TABLE.require(conn, probe_id)
            merged = _merged(probe, patch, _PROBE_REFS)
            if merged.get("kind") == "http" and "host" not in patch:
                merged.pop("host")  # follows the URL
            fields = self._probe_input(conn, merged)
            updated, _ = probes_repo.update(conn, probe, fields, user=user)
            return updated

        return await self._saved("probe", "update", run, then)

    async def delete_probe(self, probe_id: int, *, user: str, then: Then | None = None) -> None:
        await self._delete(probes_repo.TABLE, probe_id, user=user, then=then)

    # -- import / export -------------------------------------------------------------------
    async def import_regions(
        self,
        files: Sequence[tuple[str, bytes | str]],
        *,
        user: str,
        dry_run: bool = False,
        then: Then | None = None,
    ) -> importer.RegionReport:
        """Kemendagri CSV/GeoJSON files (name, content); see :mod:`network_inventory.importer`."""
        if not files:
            raise ValidationError("No files to import.", code="no_files")

        def parse() -> list[importer.RegionRecord]:
            records: list[importer.RegionRecord] = []
            for name, data in files:
                records.extend(importer.read_file(data, name))
            return records

        records = await asyncio.to_thread(parse)

        return await self._maybe_dry(
            lambda c: importer.import_regions(c, records, user=user),
            dry_run=dry_run,
            entity="site",
            then=then,
        )

    async def import_links(
        self,
        data: bytes | str,
        source: str,
        *,
        user: str,
        dry_run: bool = False,
        then: Then | None = None,
    ) -> rows_import.RowsReport:
        return await self._maybe_dry(
            lambda c: rows_import.import_links(c, data, source, user=user),
            dry_run=dry_run,
            entity="link",
            then=then,
        )

    async def import_probes(
        self,
        data: bytes | str,
        source: str,
        *,
        user: str,
        dry_run: bool = False,
        then: Then | None = None,
    ) -> rows_import.RowsReport:
        return await self._maybe_dry(
            lambda c: rows_import.import_probes(c, data, source, user=user),
            dry_run=dry_run,
            entity="probe",
            then=then,
        )

    async def export_csv(self, what: str) -> str:
        """``sites``, ``links`` or ``probes`` as CSV text."""
        try:
            fn = export.EXPORTS[what]
        except KeyError:
            raise InventoryError(
                f"Cannot export {what!r}: choose one of {', '.join(export.EXPORTS)}."
            ) from None
        return await self.db.read(fn)

    # -- change log ------------------------------------------------------------------------
    async def changes(
        self,
        *,
        entity: str | None = None,
        entity_id: int | None = None,
        user: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> Page:
        def run(conn: Connection) -> Page:
            items, total = changelog.list_changes(
                conn, entity=entity, entity_id=entity_id, user=user, limit=limit, offset=offset
            )
            return Page(items, total, limit, offset)

        return await self.db.read(run)

    async def site_changes(self, site: Site) -> list[Change]:
        page = await self.changes(entity="site", entity_id=site.id, limit=1000)
        return list(page.items)


__all__ = ["ChangeEvent", "Inventory", "SiteKind", "SiteStates", "Then"]
