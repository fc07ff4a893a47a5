"""Which database a server or command opens: the one choice of backend, made from the settings.

``database_url`` unset (or empty): the SQLite file in ``data_dir``, as always. A
``postgresql://`` URL: PostgreSQL through pendopo/db_postgres.py, which needs the optional
extra ``postgres`` (``pip install 'pendopo[postgres]'``): imported only then.
"""

from __future__ import annotations

from pendopo.config import ConfigError, Settings
from pendopo.db import Database


def database_for(settings: Settings) -> Database:
    """An unopened ``Database`` for ``settings`` (open it with the components to migrate)."""
    if not settings.database_url:
        return Database(settings.db_path)
    try:
        from pendopo.db_postgres import PostgresBackend
    except ImportError as exc:
        raise ConfigError(
            f"setting 'database_url' needs PostgreSQL support ({exc.name} is missing):"
            " pip install 'pendopo[postgres]'"
        ) from exc
    return Database(PostgresBackend(settings.database_url))


def uses_sqlite_file(settings: Settings) -> bool:
    """Whether the data is the SQLite file (what ``pendopo backup``/``restore`` copy)."""
    return not settings.database_url


__all__ = ["database_for", "uses_sqlite_file"]
