"""One inventory table whose writes go to the change log.

The sites, links and probe-target repositories check and convert their own fields; the insert,
update and delete with their change-log entries are the same for all three and live here. Each
runs in the caller's transaction, so the entry commits or rolls back with the write.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from network_inventory import changelog
from network_inventory.errors import NotFound
from pendopo.db import Connection


class Stored(Protocol):
    """A record read back from its table: its id and its stored columns."""

    @property
    def id(self) -> int: ...

    def record(self) -> dict[str, Any]: ...


R = TypeVar("R", bound=Stored)


@dataclass(frozen=True)
class Table(Generic[R]):
    name: str
    """The SQL table."""
    entity: str
    """The change log's entity (site, link, probe); ``<entity>_not_found`` is the error code."""
    noun: str
    """How messages name one record (``No probe target 7.``)."""
    get: Callable[[Connection, int], R | None]

    def require(self, conn: Connection, row_id: int) -> R:
        """The record with this id, or :class:`NotFound`."""
        found = self.get(conn, row_id)
        if found is None:
            raise NotFound(f"No {self.noun} {row_id}.", code=f"{self.entity}_not_found")
        return found

    def _reread(self, conn: Connection, row_id: int) -> R:
        found = self.get(conn, row_id)
        assert found is not None
        return found

    def insert(self, conn: Connection, values: dict[str, Any], *, user: str | None) -> R:
        """Insert stored values plus both time stamps and log the new record (``user=None``:
        no log entry, for the seed)."""
        now = time.time()
        values = {**values, "created_at": now, "updated_at": now}
        cols = ", ".join(values)
        marks = ", ".join("?" * len(values))
        row_id = conn.execute(
            f"INSERT INTO {self.name} ({cols}) VALUES ({marks})", list(values.values())
        ).lastrowid
        assert row_id is not None
        created = self._reread(conn, row_id)
        if user is not None:
            changelog.record(
                conn,
                user=user,
                entity=self.entity,
                entity_id=row_id,
                action="create",
                after=created.record(),
            )
        return created

    def update(
        self,
        conn: Connection,
        current: R,
        values: dict[str, Any],
        *,
        user: str,
        before: dict[str, Any],
        after: dict[str, Any],
        action: str = "update",
    ) -> R:
        """Write the changed stored values (and ``updated_at``); log ``before``/``after`` (the
        fields that changed, as the change log shows them)."""
        values = {**values, "updated_at": time.time()}
        assignments = ", ".join(f"{k} = ?" for k in values)
        conn.execute(
            f"UPDATE {self.name} SET {assignments} WHERE id = ?", [*values.values(), current.id]
        )
        changelog.record(
            conn,
            user=user,
            entity=self.entity,
            entity_id=current.id,
            action=action,
            before=before,
            after=after,
        )
        return self._reread(conn, current.id)

    def delete(self, conn: Connection, current: R, *, user: str) -> None:
        conn.execute(f"DELETE FROM {self.name} WHERE id = ?", (current.id,))
        changelog.record(
            conn,
            user=user,
            entity=self.entity,
            entity_id=current.id,
            action="delete",
            before=current.record(),
        )
