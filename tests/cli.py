"""Run the ``pendopo`` command line in its own process, as an operator would."""

from __future__ import annotations

import asyncio
import sys

from pendopo.config import Settings
from tests.conftest import REPO


async def pendopo(settings: Settings, *args: str) -> tuple[int, str]:
    """``pendopo ARGS --data-dir <settings.data_dir>`` (and ``--database-url`` when the settings
    have one): exit code and output (stderr included)."""
    database = ["--database-url", settings.database_url] if settings.database_url else []
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "pendopo",
        *args,
        "--data-dir",
        str(settings.data_dir),
        *database,
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, out.decode()
