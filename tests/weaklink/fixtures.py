"""The body of a ``weak_lab`` fixture: the lab with a profile (d: 256 kbit/s, 600 ms, 5 %),
skipped with the reason when it cannot be built here, torn down after (also on failure).

A test module outside this package declares its fixture as ``yield from lab_fixture(tmp_path)``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.weaklink.lab import Lab, LabUnavailable, unavailable_reason
from tests.weaklink.profiles import PROFILES


def lab_fixture(tmp_path: Path, profile: str = "d") -> Iterator[Lab]:
    reason = unavailable_reason()
    if reason is not None:
        pytest.skip(reason)
    try:
        lab = Lab(PROFILES[profile], tmp_path / "lab").__enter__()
    except LabUnavailable as exc:
        pytest.skip(str(exc))
    try:
        yield lab
    finally:
        lab.close()
