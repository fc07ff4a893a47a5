"""The sites of the meetings API as the REST answers them: the join page's site picker
(``GET /api/sites/picker``), the type-ahead searches (``GET /api/sites/all``) and a session's
readiness (``GET /api/rooms/{id}/readiness``). Declared once, as dataclasses whose fields are the
JSON answer and its OpenAPI schema (``web.openapi.declared``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import ConfigDict

from rooms.model import SessionState
from rooms.sites import DirectorySite, LinkHealth
from rooms.weak_links import Readiness

_CONFIG = ConfigDict(use_attribute_docstrings=True)


@dataclass(frozen=True, kw_only=True)
class SiteChoice:
    """A site the join page offers."""

    __pydantic_config__ = _CONFIG

    code: str
    name: str
    kind: str
    """regency, kecamatan, desa or kelurahan"""

    @classmethod
    def of(cls, site: DirectorySite) -> SiteChoice:
        return cls(code=site.code, name=site.name, kind=site.kind)


@dataclass(frozen=True, kw_only=True)
class SiteChoices:
    """The kecamatan, or the villages of ``parent``."""

    __pydantic_config__ = _CONFIG

    parent: str | None
    items: list[SiteChoice]


@dataclass(frozen=True, kw_only=True)
class LabelledSite(SiteChoice):
    """A kecamatan or village with the name people know it by."""

    kecamatan: str | None
    """the kecamatan a village lies in (null for a kecamatan)"""
    label: str
    """"Village, Kecamatan" or the kecamatan's name"""

    @classmethod
    def of_pair(cls, site: DirectorySite, parent: DirectorySite | None) -> LabelledSite:
        return cls(
            code=site.code,
            name=site.name,
            kind=site.kind,
            kecamatan=parent.name if parent is not None else None,
            label=site.label(parent),
        )


@dataclass(frozen=True, kw_only=True)
class LabelledSites:
    """Every kecamatan, each followed by its villages."""

    __pydantic_config__ = _CONFIG

    items: list[LabelledSite]


@dataclass(frozen=True, kw_only=True)
class SiteReadiness:
    """Whether one invited site can join, and who from it is there."""

    __pydantic_config__ = _CONFIG

    code: str
    name: str
    label: str
    """"Village, Kecamatan" or the kecamatan's name"""
    kind: str | None
    """null: a site the directory no longer knows"""
    readiness: Readiness
    """down: cannot join; weak: audio only by default; ready; unknown: nothing measured"""
    link: LinkHealth | None
    """its uplink as the prober sees it (null: nothing known)"""
    audio_only: bool
    reason: str | None
    """why it receives no video"""
    last_call: dict[str, Any] | None
    """the figures of its last session (schema CallSession; null: none kept)"""
    presence: Literal["present", "lobby", "absent"]
    present: int
    """people from the site (or a village under it) in the session"""
    waiting: int
    """people from it in the lobby"""


@dataclass(frozen=True, kw_only=True)
class ReadinessRoom:
    __pydantic_config__ = _CONFIG

    id: str
    title: str
    state: SessionState


@dataclass(frozen=True, kw_only=True)
class SessionReadiness:
    """Readiness of a session's invited sites."""

    __pydantic_config__ = _CONFIG

    room: ReadinessRoom
    counts: dict[str, int]
    """sites per readiness: ready, weak, down, unknown"""
    sites: list[SiteReadiness]


__all__ = [
    "LabelledSite",
    "LabelledSites",
    "ReadinessRoom",
    "SessionReadiness",
    "SiteChoice",
    "SiteChoices",
    "SiteReadiness",
]
