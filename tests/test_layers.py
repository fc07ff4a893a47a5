"""The layering contract (pyproject's [tool.importlinter], docs/architecture.md): the composition
root over the two edges (siblings), over ``edge``, over the domain, over media and pendopo's base;
no import cycle inside a package. ``make test`` fails on an upward import — shown here on a copy
of the packages with one injected."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES: list[str] = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
    "importlinter"
]["root_packages"]


def lint_imports(where: Path) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` over the packages under ``where`` with ``where``'s pyproject.toml."""
    command = Path(sys.executable).with_name("lint-imports")
    env = {**os.environ, "PYTHONPATH": str(where)}
    return subprocess.run(
        [str(command), "--no-cache", "--no-logo"],
        cwd=where,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_packages_keep_their_layers() -> None:
    done = lint_imports(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def _python_only(directory: str, names: list[str]) -> list[str]:
    return [n for n in names if not n.endswith(".py") and not Path(directory, n).is_dir()]


@pytest.mark.parametrize(
    ("files", "broken"),
    [
        # the domain reaching up into an edge
        ({"rooms/_probe.py": "import web.app\n"}, "rooms._probe -> web.app"),
        # one edge importing the other
        ({"web/_probe.py": "import signaling.meeting\n"}, "web._probe -> signaling.meeting"),
        ({"signaling/_probe.py": "import web.auth\n"}, "signaling._probe -> web.auth"),
        # a domain command line loading the composition root
        ({"accounts/_probe.py": "import pendopo.cli\n"}, "accounts._probe -> pendopo.cli"),
        # rooms and accounts are independent
        ({"rooms/_probe.py": "import accounts.store\n"}, "rooms._probe -> accounts.store"),
        # a cycle inside one package
        (
            {
                "web/_probe_a.py": "import web._probe_b\n",
                "web/_probe_b.py": "import web._probe_a\n",
            },
            "._probe_b -> ._probe_a",
        ),
    ],
)
def test_an_injected_violation_breaks_the_contract(
    tmp_path: Path, files: dict[str, str], broken: str
) -> None:
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=_python_only)
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    done = lint_imports(tmp_path)
    assert done.returncode != 0, done.stdout
    assert "BROKEN" in done.stdout and broken in done.stdout, done.stdout + done.stderr
