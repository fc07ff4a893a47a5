"""Who a user is and what role they hold."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from pydantic import TypeAdapter


class AccountRole(enum.StrEnum):
    ADMIN = "admin"
    """Manages users and settings; may do everything."""
    HOST = "host"
    """The Bupati's office: creates and runs sessions."""
    IT = "it"
    """Edits the inventory and sees all link data."""
    VIEWER = "viewer"
    """Read-only dashboards."""
    SITE = "site"
    """A kecamatan office's seat on a shared PC; its sessions are tagged with its site."""


@dataclass(frozen=True)
class User:
    id: int
    username: str
    role: AccountRole
    display_name: str
    site_code: str | None = None
    disabled: bool = False

    @property
    def can_host(self) -> bool:
        return self.role in (AccountRole.ADMIN, AccountRole.HOST)

    @property
    def can_edit_inventory(self) -> bool:
        return self.role in (AccountRole.ADMIN, AccountRole.IT)

    def public(self) -> dict[str, object]:
        """The JSON shape (``disabled`` aside: the admin API adds it), as its fields declare it
        (also the OpenAPI schema ``User``)."""
        data: dict[str, object] = _ADAPTER.dump_python(self, mode="json", exclude={"disabled"})
        return data


_ADAPTER: TypeAdapter[User] = TypeAdapter(User)
