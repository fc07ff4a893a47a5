"""Typed errors of the inventory: a stable ``code``, a human ``message`` and optional ``details``.

The HTTP edge (``web/errors.py``'s middleware) and the CLI translate them once; nothing inside the
package knows about status codes.
"""

from __future__ import annotations

from typing import Any


class InventoryError(Exception):
    """Base class: ``code`` is stable (clients switch on it), ``message`` is for people."""

    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = details


class ValidationError(InventoryError):
    """Input that cannot be stored; ``details`` lists ``{"field"|"row", "message"}`` items."""

    code = "validation_failed"


class NotFound(InventoryError):
    code = "not_found"


class Conflict(InventoryError):
    """The change contradicts what is stored (duplicate code, site with children, ...)."""

    code = "conflict"


class RegionNotFound(InventoryError):
    """The configured region is not a regency/city known to the seed data."""

    code = "unknown_region"
