"""The site chart's y axis (web/static/js/inventory-chart.js ``yTicks``), run with node.

The defect: ticks at top/4 were labelled rounded (0, 1, 3, 4, 5 for 0, 1.25, 2.5, 3.75, 5).
Every gridline must carry its exact value: nice steps and the decimals they need.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

CHART = Path(__file__).resolve().parents[1] / "web" / "static" / "js" / "inventory-chart.js"
MAXIMA = [0, 0.04, 0.3, 0.9, 1, 1.25, 2.4, 3.75, 4.2, 5, 5.25, 7, 12, 37.5, 99, 101, 630, 840,
          1234, 25_000]  # fmt: skip


def _run_node(script: str) -> Any:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is missing: install the Debian package nodejs")
    out = subprocess.run(
        [node, "--input-type=module", "-e", script],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(out.stdout)


def test_ticks_are_nice_and_labelled_exactly() -> None:
    script = f"""
      const {{ yTicks }} = await import({json.dumps(CHART.as_uri())});
      const out = [];
      for (const max of {json.dumps(MAXIMA)})
        for (const most of [2, 4]) {{
          const r = yTicks(max, most);
          const fmt = new Intl.NumberFormat("en", {{
            minimumFractionDigits: r.decimals, maximumFractionDigits: r.decimals,
            useGrouping: false }});
          out.push({{ max, most, ...r, labels: r.ticks.map((v) => fmt.format(v)) }});
        }}
      console.log(JSON.stringify(out));
    """
    for r in _run_node(script):
        ticks, step, labels = r["ticks"], r["step"], r["labels"]
        assert ticks[0] == 0 and r["top"] == ticks[-1] >= r["max"], r
        assert len(ticks) - 1 <= r["most"], r
        mantissa = step / 10 ** math.floor(math.log10(step))
        assert round(mantissa, 9) in (1, 2, 2.5, 5), r
        for i, (tick, label) in enumerate(zip(ticks, labels, strict=True)):
            assert tick == pytest.approx(i * step), r
            assert float(label) == pytest.approx(tick, abs=1e-12), r  # the label is the value
        assert len(set(labels)) == len(labels), r


def test_the_reported_case() -> None:
    script = f"""
      const {{ yTicks }} = await import({json.dumps(CHART.as_uri())});
      console.log(JSON.stringify([yTicks(5, 2), yTicks(1, 4), yTicks(630, 4)]));
    """
    five, one, vsat = _run_node(script)
    assert (five["ticks"], five["decimals"]) == ([0, 2.5, 5], 1)  # "0.0 2.5 5.0", not "0 3 5"
    assert (one["ticks"], one["decimals"]) == ([0, 0.25, 0.5, 0.75, 1], 2)
    assert (vsat["ticks"], vsat["decimals"]) == ([0, 200, 400, 600, 800], 0)
