"""Typed errors raised by the SFU; signaling translates them once at its edge."""

from __future__ import annotations


class MediaError(Exception):
    """A media operation failed; ``code`` is stable, ``message`` is for humans."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
