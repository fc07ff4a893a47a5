"""Times on the dashboard (``fmtWhen`` in web/static/js/inventory-text.js), run with node.

The defect: a change of today showed only its time ("14:05"), one of another day no seconds,
so a list read the next morning passed yesterday's outage off as today's. Every time now
carries its date (and the year when not this one) with the time to the second.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

TEXT = Path(__file__).resolve().parents[2] / "web" / "static" / "js" / "inventory-text.js"


def _format(lang: str, isos: list[str]) -> list[str]:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is missing: install the Debian package nodejs")
    script = f"""
      globalThis.location = {{ search: "?lang={lang}" }};
      const {{ fmtWhen }} = await import({json.dumps(TEXT.as_uri())});
      console.log(JSON.stringify({json.dumps(isos)}.map((iso) => fmtWhen(iso))));
    """
    out = subprocess.run(
        [node, "--input-type=module", "-e", script],
        capture_output=True, text=True, timeout=60, check=True, env={"TZ": "Asia/Jakarta"},
    )  # fmt: skip
    result: list[str] = json.loads(out.stdout)
    return result


def test_a_time_of_today_shows_its_date_and_seconds() -> None:
    import datetime as dt

    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    wib = now.astimezone(dt.timezone(dt.timedelta(hours=7)))
    [shown] = _format("en", [now.isoformat().replace("+00:00", "Z")])
    assert str(wib.day) in shown and wib.strftime("%b") in shown, shown
    assert wib.strftime("%H:%M:%S") in shown, shown


def test_an_older_time_shows_its_year_and_indonesian_month() -> None:
    [en, _] = _format("en", ["2025-01-03T08:00:05Z", "2025-01-03T08:00:05Z"])
    assert en.startswith("3 Jan 2025") and "15:00:05" in en, en
    [idn] = _format("id", ["2025-08-17T03:04:05Z"])
    assert "17 Agu 2025" in idn and "10.04.05" in idn, idn
