"""Import of Kemendagri-coded regions: CSV (codes, names, kinds, centroids) and GeoJSON boundaries.

Every record is matched to a stored site, in this order, and the report says which rule matched:

1. ``code``: the site already carries the record's code;
2. ``name`` / ``normalised``: same parent site and same name key (lower-case, letters and digits
   only: "Sambung Macan" = "Sambungmacan");
3. ``fuzzy``: same parent, the one uncoded sibling within a small edit distance
   (``names.tolerance``: "Samberembe" ~ "Sambirembe"), and only when it is the single closest one.

Names are never matched alone (12 village names repeat across Sragen's kecamatan): the parent
comes from the code (``33.14.01.2001`` is a village of kecamatan ``33.14.01``). A record without a
match is added under its parent when the parent is known; otherwise it is reported unmatched with
the reason. Matched sites take the record's code, Kemendagri spelling, kind and, when given,
coordinates and boundary. The whole import runs in one transaction; running it again changes
nothing (everything then matches by code).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from network_inventory import sites as sites_repo
from network_inventory.csvio import decode, read_rows
from network_inventory.errors import ValidationError
from network_inventory.model import Site, SiteKind
from network_inventory.names import distance, name_key, tolerance
from network_inventory.records import CODE_RE, RegionRow, geometry_text
from pendopo.db import Connection

LEVELS = {2: "regency", 3: "kecamatan", 4: "village"}


@dataclass
class RegionRecord:
    """One region as the files describe it (several files may describe the same code)."""

    code: str
    name: str
    kind: SiteKind
    lat: float | None = None
    lon: float | None = None
    boundary: str | None = None
    source: str = ""

    @property
    def depth(self) -> int:
        return self.code.count(".") + 1

    @property
    def parent_code(self) -> str | None:
        return self.code.rsplit(".", 1)[0] if self.depth > 2 else None

    @property
    def level(self) -> str:
        return LEVELS[self.depth]


def kind_from_code(code: str) -> SiteKind:
    """Kemendagri rule: a village part starting with 1 is a kelurahan, with 2 a desa."""
    depth = code.count(".") + 1
    if depth == 2:
        return SiteKind.KABUPATEN
    if depth == 3:
        return SiteKind.KECAMATAN
    return SiteKind.KELURAHAN if code.rsplit(".", 1)[1].startswith("1") else SiteKind.DESA


def _record(
    props: dict[str, Any], where: str, errors: list[dict[str, str]], *, text: bool
) -> RegionRecord | None:
    try:
        row = RegionRow.parse(props, text=text)
    except ValidationError as exc:
        errors.extend({"row": where, **d} for d in exc.details or [])
        return None
    code, parent, problems = row.code, row.kecamatan_code, []
    depth = code.count(".") + 1
    kind = kind_from_code(code) if CODE_RE.match(code) and depth in LEVELS else None
    if kind is None:
        problem = f"{code!r} is not a Kemendagri regency, kecamatan or village code"
        problems.append(("code", problem))
    else:
        derived_parent = code.rsplit(".", 1)[0]
        if parent is not None and (depth != 4 or parent != derived_parent):
            problems.append(("kecamatan_code", f"{parent} is not the kecamatan of {code}"))
        if row.kind is not None:
            given = row.kind.lower()
            if given not in (kind.value, "village" if depth == 4 else kind.value):
                problems.append(("kind", f"{row.kind!r} contradicts code {code} (a {kind.value})"))
    errors.extend({"row": where, "field": f, "message": m} for f, m in problems)
    if problems or kind is None:
        return None
    return RegionRecord(code, row.name, kind, row.lat, row.lon, source=where)


def read_csv(data: bytes | str, source: str) -> list[RegionRecord]:
    """``code,name,lat,lon`` (kecamatan) or ``code,kecamatan_code,name,kind,lat,lon`` (villages)."""
    errors: list[dict[str, str]] = []
    records: list[RegionRecord] = []
    rows = read_rows(
        decode(data, source),
        source,
        required=("code", "name"),
        optional=("kecamatan_code", "kind", "lat", "lon"),
    )
    for where, row in rows:
        record = _record(row, where, errors, text=True)
        if record is not None:
            records.append(record)
    _raise(errors, source)
    return records


def read_geojson(data: bytes | str, source: str) -> list[RegionRecord]:
    """A FeatureCollection of (Multi)Polygons with properties ``code``, ``name``, ..."""
    try:
        doc = json.loads(decode(data, source))
    except json.JSONDecodeError as exc:
        raise ValidationError(f"{source} is not JSON: {exc}", code="invalid_file") from exc
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise ValidationError(f"{source} is not a GeoJSON FeatureCollection.", code="invalid_file")
    features = doc.get("features")
    if not isinstance(features, list):
        raise ValidationError(f"{source} has no features list.", code="invalid_file")
    errors: list[dict[str, str]] = []
    records: list[RegionRecord] = []
    for number, feature in enumerate(features, start=1):
        where = f"{source}#{number}"
        props = feature.get("properties") if isinstance(feature, dict) else None
        if not isinstance(props, dict):
            errors.append({"row": where, "message": "is not a feature with properties"})
            continue
        record = _record(props, where, errors, text=False)
        try:
            boundary = geometry_text(feature.get("geometry"))
        except ValueError as exc:
            errors.append({"row": where, "field": "geometry", "message": str(exc)})
            continue
        if record is not None:
            record.boundary = boundary
            records.append(record)
    _raise(errors, source)
    return records


def _raise(errors: list[dict[str, str]], source: str) -> None:
    if errors:
        raise ValidationError(
            f"{source}: {len({e['row'] for e in errors})} invalid row(s); nothing was imported.",
            code="invalid_rows",
            details=errors,
        )


def read_file(data: bytes | str, source: str) -> list[RegionRecord]:
    """By extension: ``.csv`` or ``.geojson``/``.json``."""
    lower = source.lower()
    if lower.endswith(".csv"):
        return read_csv(data, source)
    if lower.endswith((".geojson", ".json")):
        return read_geojson(data, source)
    raise ValidationError(f"{source}: expected a .csv or .geojson file.", code="invalid_file")


def region_files(directory: Path) -> tuple[list[Path], list[str]]:
    """The CSV/GeoJSON files of a folder; a ``*_simplified`` file is skipped when the full one
    exists (two boundaries for one code would contradict each other). Returns (files, notes)."""
    if not directory.is_dir():
        raise ValidationError(f"{directory} is not a folder.", code="invalid_file")
    files = sorted(
        p for p in directory.iterdir() if p.suffix.lower() in (".csv", ".geojson") and p.is_file()
    )
    names = {p.name for p in files}
    kept, notes = [], []
    for path in files:
        full = path.name.replace("_simplified", "")
        if full != path.name and full in names:
            notes.append(f"skipped {path.name}: {full} has the detailed boundaries")
            continue
        kept.append(path)
    if not kept:
        raise ValidationError(f"{directory} has no .csv or .geojson files.", code="invalid_file")
    return kept, notes


def read_folder(directory: Path) -> tuple[list[RegionRecord], list[str]]:
    """Every record of a folder's files (see ``region_files``) and the notes. Blocking I/O."""
    paths, notes = region_files(directory)
    records = [rec for path in paths for rec in read_file(path.read_bytes(), path.name)]
    return records, notes


def merge(records: Iterable[RegionRecord]) -> tuple[dict[str, RegionRecord], list[str]]:
    """Combine records of the same code from several files (CSV centroid + GeoJSON boundary)."""
    merged: dict[str, RegionRecord] = {}
    notes: list[str] = []
    errors: list[dict[str, str]] = []
    for rec in records:
        have = merged.get(rec.code)
        if have is None:
            merged[rec.code] = RegionRecord(**rec.__dict__)
            continue
        if name_key(have.name) != name_key(rec.name):
            errors.append(
                {
                    "row": rec.source,
                    "message": f"{rec.code} is {rec.name!r} here"
                    f" but {have.name!r} in {have.source}",
                }
            )
            continue
        if have.lat is None and rec.lat is not None:
            have.lat, have.lon = rec.lat, rec.lon
        if rec.boundary is not None:
            if have.boundary is None:
                have.boundary = rec.boundary
            elif have.boundary != rec.boundary:
                notes.append(f"{rec.code}: boundary also in {rec.source}; kept {have.source}'s")
    _raise(errors, "import")
    return merged, notes


@dataclass
class RegionReport:
    """What an import did; ``public()`` is the JSON of the API and the CLI."""

    dry_run: bool = False
    matched: Counter[str] = field(default_factory=Counter)
    """Per level (regency, kecamatan, village)."""
    rules: Counter[str] = field(default_factory=Counter)
    """Per matching rule (code, name, normalised, fuzzy)."""
    kinds: Counter[str] = field(default_factory=Counter)
    """Kinds of the matched and added villages (desa, kelurahan)."""
    renamed: list[dict[str, Any]] = field(default_factory=list)
    fuzzy: list[dict[str, Any]] = field(default_factory=list)
    added: list[dict[str, Any]] = field(default_factory=list)
    unmatched: list[dict[str, Any]] = field(default_factory=list)
    updated: int = 0
    notes: list[str] = field(default_factory=list)

    def public(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "matched": dict(self.matched),
            "matched_total": sum(self.matched.values()),
            "rules": dict(self.rules),
            "kinds": dict(self.kinds),
            "updated": self.updated,
            "renamed": self.renamed,
            "fuzzy": self.fuzzy,
            "added": self.added,
            "unmatched": self.unmatched,
            "notes": self.notes,
        }


class _Matcher:
    """The import's view of the stored sites, kept current as it matches and adds."""

    def __init__(self, conn: Connection, user: str, report: RegionReport) -> None:
        self.conn = conn
        self.user = user
        self.report = report
        all_sites, _ = sites_repo.list_sites(conn, sites_repo.SiteFilter(), limit=None)
        self.sites: dict[int, Site] = {s.id: s for s in all_sites}
        self.claimed: set[int] = set()

    def by_code(self, code: str | None) -> Site | None:
        if code is None:
            return None
        return next((s for s in self.sites.values() if s.code == code), None)

    def children(self, parent_id: int) -> list[Site]:
        return [
            s
            for s in self.sites.values()
            if s.parent_id == parent_id and s.code is None and s.id not in self.claimed
        ]

    def root(self) -> Site | None:
        """The single regency site, when the inventory has exactly one."""
        roots = [s for s in self.sites.values() if s.kind is SiteKind.KABUPATEN]
        return roots[0] if len(roots) == 1 else None

    def code_regency(self, records: Sequence[RegionRecord]) -> None:
        """Give the uncoded regency site the regency code its kecamatan records point to: the
        code whose kecamatan names match most of its children (none match: nothing is done)."""
        root = self.root()
        if root is None or root.code is not None:
            return
        keys = {name_key(s.name) for s in self.children(root.id)}
        votes = Counter(
            r.parent_code
            for r in records
            if r.depth == 3
            and r.parent_code
            and self.by_code(r.parent_code) is None
            and name_key(r.name) in keys
        )
        if not votes:
            return
        code, hits = votes.most_common(1)[0]
        updated, _ = sites_repo.update(
            self.conn, root, {"code": code}, user=self.user, action="import"
        )
        self.sites[root.id] = updated
        self.report.updated += 1
        self.report.notes.append(
            f"{root.name} takes regency code {code} ({hits} kecamatan names matched)"
        )

    def apply(self, site: Site, rec: RegionRecord, rule: str, dist: int = 0) -> None:
        self.claimed.add(site.id)
        changes: dict[str, Any] = {"code": rec.code}
        if rec.depth > 2:  # the regency site keeps its own name ("Kantor Bupati ...")
            changes["name"] = rec.name
            changes["kind"] = rec.kind
        if rec.lat is not None:
            changes["lat"], changes["lon"] = rec.lat, rec.lon
        if rec.boundary is not None:
            changes["boundary"] = rec.boundary
        updated, changed = sites_repo.update(
            self.conn, site, changes, user=self.user, action="import"
        )
        self.sites[site.id] = updated
        self.report.updated += int(changed)
        self.report.matched[rec.level] += 1
        self.report.rules[rule] += 1
        if rec.depth == 4:
            self.report.kinds[rec.kind.value] += 1
        if rec.depth > 2 and site.name != rec.name:
            entry = {"code": rec.code, "from": site.name, "to": rec.name, "rule": rule}
            self.report.renamed.append(entry)
        if rule == "fuzzy":
            parent = self.sites.get(site.parent_id) if site.parent_id else None
            self.report.fuzzy.append(
                {
                    "code": rec.code,
                    "name": rec.name,
                    "matched": site.name,
                    "site_id": site.id,
                    "parent": parent.name if parent else None,
                    "distance": dist,
                }
            )

    def add(self, rec: RegionRecord, parent: Site) -> None:
        fields = {
            "code": rec.code,
            "name": rec.name,
            "kind": rec.kind,
            "parent_id": parent.id,
            "lat": rec.lat,
            "lon": rec.lon,
            "boundary": rec.boundary,
            "tags": [],
        }
        site = sites_repo.create(self.conn, fields, user=self.user)
        self.sites[site.id] = site
        self.claimed.add(site.id)
        self.report.updated += 1
        self.report.added.append({"code": rec.code, "name": rec.name, "parent": parent.name})
        if rec.depth == 4:
            self.report.kinds[rec.kind.value] += 1

    def unmatched(self, rec: RegionRecord, reason: str) -> None:
        self.report.unmatched.append(
            {"code": rec.code, "name": rec.name, "level": rec.level, "reason": reason}
        )

    def run_level(self, records: Sequence[RegionRecord]) -> None:
        pending: list[tuple[RegionRecord, Site]] = []
        for rec in records:
            site = self.by_code(rec.code)
            if site is not None:
                self.apply(site, rec, "code")
                continue
            if rec.depth == 2:
                root = self.root()
                if root is not None and root.code is None:
                    self.apply(root, rec, "regency")
                else:
                    self.unmatched(rec, "no single uncoded regency site to give this code")
                continue
            parent = self.by_code(rec.parent_code)
            if parent is None:
                self.unmatched(rec, f"parent {rec.parent_code} is not in the inventory")
                continue
            pending.append((rec, parent))
        # 1) exact names within the parent, before any fuzzy guess can take a sibling.
        rest: list[tuple[RegionRecord, Site]] = []
        for rec, parent in pending:
            key = name_key(rec.name)
            same = [s for s in self.children(parent.id) if name_key(s.name) == key]
            if len(same) == 1:
                self.apply(same[0], rec, "name" if same[0].name == rec.name else "normalised")
            elif len(same) > 1:
                self.unmatched(rec, f"{len(same)} sites named {rec.name!r} under {parent.name}")
            else:
                rest.append((rec, parent))
        # 2) fuzzy: the single closest uncoded sibling within the tolerance.
        leftovers: list[tuple[RegionRecord, Site]] = []
        for rec, parent in rest:
            key = name_key(rec.name)
            scored = sorted(
                (distance(key, name_key(s.name)), s.id, s) for s in self.children(parent.id)
            )
            close = [(d, s) for d, _, s in scored if d <= tolerance(key)]
            if close and (len(close) == 1 or close[0][0] < close[1][0]):
                self.apply(close[0][1], rec, "fuzzy", close[0][0])
            elif close:
                names = ", ".join(s.name for _, s in close[:3])
                self.unmatched(rec, f"ambiguous spelling under {parent.name}: {names}")
            else:
                leftovers.append((rec, parent))
        # 3) the rest are new sites under a known parent.
        for rec, parent in leftovers:
            self.add(rec, parent)


def import_regions(conn: Connection, records: Iterable[RegionRecord], *, user: str) -> RegionReport:
    """Match and apply every record inside the caller's transaction (see the module doc)."""
    merged, notes = merge(records)
    report = RegionReport(notes=notes)
    matcher = _Matcher(conn, user, report)
    for depth in sorted(LEVELS):
        level = sorted((r for r in merged.values() if r.depth == depth), key=lambda r: r.code)
        if depth == 3:
            matcher.code_regency(level)
        matcher.run_level(level)
    uncoded = sum(1 for s in matcher.sites.values() if s.code is None)
    if uncoded:
        report.notes.append(f"{uncoded} site(s) still have no code")
    return report
