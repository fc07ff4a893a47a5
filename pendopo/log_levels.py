"""The ``log_level`` setting: one level for everything, optionally followed by levels for named
loggers — ``WARNING,media.layer_control=DEBUG`` shows the per-receiver rate control's decisions
and nothing else below a warning."""

from __future__ import annotations

import logging
from dataclasses import dataclass

_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


@dataclass(frozen=True)
class LogLevels:
    root: str
    loggers: tuple[tuple[str, str], ...] = ()

    def apply(self) -> None:
        logging.basicConfig(
            level=self.root, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
        for name, level in self.loggers:
            logging.getLogger(name).setLevel(level)


def parse_log_levels(spec: str) -> LogLevels:
    """``LEVEL[,logger=LEVEL...]``; raises ValueError naming what it cannot use."""

    def level(raw: str) -> str:
        upper = raw.strip().upper()
        if upper not in _LEVELS:
            raise ValueError(f"{raw.strip()!r} is not a level ({', '.join(_LEVELS)})")
        return upper

    first, *rest = spec.split(",")
    loggers: list[tuple[str, str]] = []
    for item in rest:
        name, sep, raw = item.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"{item.strip()!r} is not logger=LEVEL")
        loggers.append((name.strip(), level(raw)))
    return LogLevels(level(first), tuple(loggers))
