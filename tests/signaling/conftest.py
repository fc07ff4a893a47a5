"""Fixtures of the signaling tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.signaling.meeting import Person


@pytest.fixture
async def people() -> AsyncIterator[list[Person]]:
    """Everyone a test brings into a session; their media and sockets are closed afterwards."""
    everyone: list[Person] = []
    try:
        yield everyone
    finally:
        for person in everyone:
            await person.close()
